"""The ``twilio`` REST client as plaint uses it.

Two departures from the client's defaults, both through its documented extension point,
a custom :class:`~twilio.http.HttpClient`:

- the base URL: requests for ``https://api.twilio.com`` go to ``PLAINT_TWILIO_API_URL``
  when it is set (tests and staging point it at a stand-in), media URLs included;
- throttling: a 429 or 5xx answer raises :class:`TwilioBusyError` carrying ``Retry-After``
  (the client's own exception drops the headers, so the delay would be lost), and a
  network failure raises :class:`TwilioBusyError` too, instead of a ``requests`` exception;
- a timeout of :data:`TIMEOUT_SECONDS` (the client waits for ever by default).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from plaint.config.twilio import DEFAULT_API_URL, TwilioSettings

__all__ = ["TIMEOUT_SECONDS", "TwilioBusyError", "make_client", "rewrite_url"]

# Seconds to wait for Twilio's answer to one request.
TIMEOUT_SECONDS = 15.0


class TwilioBusyError(Exception):
    """Twilio (or the network to it) failed in a way a later retry may not: 429, 5xx, a
    timeout. ``retry_after`` is the delay Twilio asked for, in seconds, if any."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def rewrite_url(url: str, api_url: str) -> str:
    """``url`` with Twilio's default base replaced by ``api_url``."""
    if api_url != DEFAULT_API_URL and url.startswith(DEFAULT_API_URL):
        return api_url + url[len(DEFAULT_API_URL) :]
    return url


def _retry_after(headers: Any) -> float | None:
    raw = (headers or {}).get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return None if parsedate_to_datetime(raw) is None else 0.0
    except (TypeError, ValueError):
        return None


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types for it
    def __init__(self, api_url: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self._api_url = api_url
        if self.session is not None:  # the stand-in is plain http
            self.session.mount("http://", requests.adapters.HTTPAdapter())

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        try:
            response = super().request(method, rewrite_url(url, self._api_url), *args, **kwargs)
        except requests.RequestException as exc:
            raise TwilioBusyError(f"network: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TwilioBusyError(
                f"HTTP {response.status_code}", retry_after=_retry_after(response.headers)
            )
        return response


def make_client(settings: TwilioSettings) -> Client:
    """A Twilio client for the account of ``settings``, talking to its ``api_url``."""
    return Client(
        settings.account_sid, settings.auth_token, http_client=_HttpClient(settings.api_url)
    )
