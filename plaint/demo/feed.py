"""Feeding the running demo along the real code paths, as the outside world would.

- the resident directory through :func:`plaint.service.residents.import_residents` (what
  ``plaint residents import`` calls);
- residents' SMS as Twilio posts them: form requests to the demo's own web app
  (``/webhooks/twilio/sms``), signed with the ``twilio`` library's RequestValidator over
  ``PLAINT_PUBLIC_URL`` and the account's token;
- the call centre's CSV export, written beside the drop folder and renamed into it (a file
  must be complete when it appears there);
- a reply by the demo desk through the staff API (``POST /api/v1/tickets/{number}/reply``
  with a bearer token issued to the desk).

Each call blocks until its request was answered; a refusal raises TransientError (the
demo cannot go on, but nothing is wrong with the caller's input).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from twilio.request_validator import RequestValidator

from plaint.demo.residents import DIRECTORY, TEXTS, sms_params
from plaint.demo.twilio_standin import TwilioStandIn
from plaint.errors import TransientError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "SMS_PATH",
    "drop_calls",
    "import_directory",
    "post_texts",
    "reply_as_desk",
    "staff_token",
]

SMS_PATH = "/webhooks/twilio/sms"
REQUEST_TIMEOUT_SECONDS = 30.0
# The reply's Idempotency-Key: the demo replies once however often the request is sent.
_REPLY_KEY = "plaint-demo-reply"


@contextlib.contextmanager
def _transaction(database_url: str) -> Iterator[Session]:
    """A session in a transaction committed at the end, on an engine of its own."""
    from plaint.models import create_db_engine, session_factory

    engine = create_db_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def import_directory(database_url: str) -> None:
    """Import :data:`~plaint.demo.residents.DIRECTORY` into the resident directory."""
    from plaint.service.residents import import_residents

    with _transaction(database_url) as session:
        result = import_residents(session, DIRECTORY, now=datetime.now(UTC))
    if result.rejected:
        raise TransientError(f"the demo's resident directory was refused: {result.rejected}")


def post_texts(*, web_url: str, public_url: str, twilio: TwilioStandIn) -> int:
    """POST the residents' SMS (:data:`~plaint.demo.residents.TEXTS`) to the web app at
    ``web_url``, signed as Twilio signs requests to ``public_url``; return how many were
    accepted (all of them, or this raises)."""
    validator = RequestValidator(twilio.token)
    posted = 0
    with httpx.Client(base_url=web_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for text in TEXTS:
            params = sms_params(text, account=twilio.account, to=twilio.sender)
            signature = validator.compute_signature(public_url + SMS_PATH, params)
            response = client.post(SMS_PATH, data=params,
                                    headers={"X-Twilio-Signature": signature})  # fmt: skip
            if response.status_code != 200:
                raise TransientError(f"the SMS webhook answered {response.status_code}")
            posted += 1
    return posted


def drop_calls(folder: Path, data: bytes, *, name: str) -> None:
    """Put the CSV ``data`` into the drop ``folder`` as ``name``, complete when it appears."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)


def staff_token(database_url: str, code: str) -> str:
    """A new API token (also a one-time sign-in link's) for the member of staff ``code``."""
    from plaint.service.directory import issue_token

    with _transaction(database_url) as session:
        return issue_token(session, code, now=datetime.now(UTC))


def reply_as_desk(*, web_url: str, database_url: str, desk: str, number: str, text: str) -> None:
    """Reply ``text`` to ticket ``number`` as the member of staff ``desk`` through the
    staff API, with a token issued to them for it."""
    token = staff_token(database_url, desk)
    response = httpx.post(
        f"{web_url}/api/v1/tickets/{number}/reply", json={"text": text},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": _REPLY_KEY},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )  # fmt: skip
    if response.status_code != 200:
        raise TransientError(f"the staff API answered {response.status_code} to the reply")
