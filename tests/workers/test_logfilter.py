"""A database error's own text (which may quote a resident's row) never reaches a log."""

from __future__ import annotations

import io
import logging
import smtplib

from sqlalchemy.exc import IntegrityError

from plaint.workers.logfilter import install

PHONE = "+8613800138000"
ADDRESS = "resident7@example.com"


def _fail() -> None:
    detail = Exception(f'duplicate key value violates unique constraint "residents_phone_key"\n'
                       f"DETAIL:  Key (phone)=({PHONE}) already exists.")  # fmt: skip
    raise IntegrityError("INSERT INTO residents ...", {"phone": PHONE}, detail)


def _logged(exc_raiser: object) -> str:
    stream = io.StringIO()
    logger = logging.getLogger("test.redactor")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    install(logger)
    try:
        try:
            exc_raiser()  # type: ignore[operator]
        except Exception:
            logger.exception("triage failed for inbox %s", 7)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_database_error_is_logged_by_class_with_its_frames_but_without_its_text() -> None:
    text = _logged(_fail)
    assert PHONE not in text
    assert "triage failed for inbox 7" in text
    assert "in _fail" in text  # the stack frames stay
    assert "IntegrityError: [text withheld] error:Exception" in text


def test_other_errors_keep_their_message() -> None:
    def boom() -> None:
        raise ValueError("NumMedia must be a number")

    assert "ValueError: NumMedia must be a number" in _logged(boom)


def test_a_providers_refusal_is_logged_without_the_address_it_names() -> None:
    def refuse() -> None:
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such user")})

    text = _logged(refuse)
    assert ADDRESS not in text
    assert "SMTPRecipientsRefused: [text withheld]" in text
