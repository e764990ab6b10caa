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

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from plaint.demo.residents import DIRECTORY, TEXTS, sms_params
from plaint.demo.twilio_standin import TwilioStandIn
from plaint.errors import TransientError

__all__ = ["SMS_PATH", "drop_calls", "import_directory", "post_texts", "reply_as_desk"]

SMS_PATH = "/webhooks/twilio/sms"
REQUEST_TIMEOUT_SECONDS = 30.0
# The reply's Idempotency-Key: the demo replies once however often the request is sent.
_REPLY_KEY = "plaint-demo-reply"


def import_directory(database_url: str) -> None:
    """Import :data:`~plaint.demo.residents.DIRECTORY` into the resident directory."""
    from plaint.models import create_db_engine, session_factory
    from plaint.service.residents import import_residents

    engine = create_db_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            result = import_residents(session, DIRECTORY, now=datetime.now(UTC))
    finally:
        engine.dispose()
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


def reply_as_desk(*, web_url: str, database_url: str, desk: str, number: str, text: str) -> None:
    """Reply ``text`` to ticket ``number`` as the member of staff ``desk`` through the
    staff API, with a token issued to them for it."""
    from plaint.models import create_db_engine, session_factory
    from plaint.service.directory import issue_token

    engine = create_db_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            token = issue_token(session, desk, now=datetime.now(UTC))
    finally:
        engine.dispose()
    response = httpx.post(
        f"{web_url}/api/v1/tickets/{number}/reply", json={"text": text},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": _REPLY_KEY},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )  # fmt: skip
    if response.status_code != 200:
        raise TransientError(f"the staff API answered {response.status_code} to the reply")
