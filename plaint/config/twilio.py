"""Twilio's process settings (``PLAINT_TWILIO_*``, ``PLAINT_PUBLIC_URL``).

Twilio is enabled when both ``PLAINT_TWILIO_ACCOUNT_SID`` and ``PLAINT_TWILIO_AUTH_TOKEN``
are set; one without the other is a ConfigError (a half-configured account would fail
later, on the first message, far from the cause).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from plaint.errors import ConfigError

__all__ = ["DEFAULT_API_URL", "TwilioSettings", "load_twilio_settings"]

DEFAULT_API_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioSettings:
    """One Twilio account. ``sender`` is a phone number or a Messaging Service SID
    (``MG…``); ``public_url`` is the URL Twilio calls (webhook signatures are computed
    over it, and status callbacks point at it); ``api_url`` is the REST API's base URL."""

    account_sid: str
    auth_token: str = field(repr=False)
    sender: str = ""
    public_url: str = ""
    api_url: str = DEFAULT_API_URL

    @property
    def messaging_service(self) -> bool:
        """Whether ``sender`` names a Messaging Service rather than a number."""
        return self.sender.startswith("MG")

    def public(self, path: str) -> str:
        """The public URL of ``path`` (e.g. ``/webhooks/twilio/sms``)."""
        return self.public_url.rstrip("/") + path


def load_twilio_settings(environ: Mapping[str, str]) -> TwilioSettings | None:
    """Read the Twilio settings; ``None`` when Twilio is not configured. Raises ConfigError
    for a half-set account or a URL that is not ``http(s)://host…``."""
    sid = environ.get("PLAINT_TWILIO_ACCOUNT_SID", "").strip()
    token = environ.get("PLAINT_TWILIO_AUTH_TOKEN", "").strip()
    if not sid and not token:
        return None
    if not sid or not token:
        missing = "PLAINT_TWILIO_AUTH_TOKEN" if sid else "PLAINT_TWILIO_ACCOUNT_SID"
        raise ConfigError(f"{missing} is not set (Twilio needs both the SID and the token)")
    return TwilioSettings(
        account_sid=sid,
        auth_token=token,
        sender=environ.get("PLAINT_TWILIO_FROM", "").strip(),
        public_url=_url(environ, "PLAINT_PUBLIC_URL", ""),
        api_url=_url(environ, "PLAINT_TWILIO_API_URL", DEFAULT_API_URL),
    )


def http_url(environ: Mapping[str, str], name: str, default: str = "") -> str:
    """The http(s) URL in variable ``name`` (``default`` when unset), without a trailing
    slash; raises ConfigError when it is not ``http(s)://host…``."""
    return _url(environ, name, default)


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip() or default
    if raw and (urlsplit(raw).scheme not in ("http", "https") or not urlsplit(raw).netloc):
        raise ConfigError(f"{name} must be an http(s) URL like https://plaint.example.com")
    return raw.rstrip("/")
