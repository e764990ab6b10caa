"""Checking ``X-Twilio-Signature`` with the ``twilio`` library's RequestValidator.

The URL checked is the public URL Twilio called (``PLAINT_PUBLIC_URL`` + path + query),
not the one the app sees behind a proxy. The validator accepts a signature computed with
or without the default port, as Twilio's own SDKs do. Two cases it does not cover are
added here, as twilio-node has them: a single quote in the query signed escaped or not
(``%27`` and ``'``), and a JSON body without a ``bodySHA256`` parameter (refused, where
the Python validator would raise).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

__all__ = ["valid_signature"]


class _MultiParams(dict[str, list[str]]):
    """Form parameters with repeated names, in the shape the validator reads with
    ``getall`` (its rule: values of one name sorted, each distinct value once)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def valid_signature(
    *, auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str, body: str = ""
) -> bool:
    """Whether ``signature`` signs ``url`` and the form ``params`` (repeated names
    allowed) with ``auth_token``; for a JSON webhook, ``body`` is the raw body, checked
    against the ``bodySHA256`` parameter of ``url``. Never raises on a bad signature."""
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    signed: str | _MultiParams
    if body:
        if "bodySHA256" not in parse_qs(urlsplit(url).query):
            return False
        signed = body
    else:
        signed = _MultiParams()
        for name, value in params:
            signed.setdefault(name, []).append(value)
    return any(
        bool(validator.validate(candidate, signed, signature)) for candidate in _spellings(url)
    )


def _spellings(url: str) -> list[str]:
    """``url`` as given, and with its single quotes escaped the other way."""
    spellings = [url]
    if "%27" in url:
        spellings.append(url.replace("%27", "'"))
    if "'" in url:
        spellings.append(url.replace("'", "%27"))
    return spellings
