"""Triage records the language each inbound message is written in, and the ticket's, on
SQLite and PostgreSQL (the resident loop answers in it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from plaint.config import Config
from plaint.models import Message, Ticket
from tests.service.test_inbox import _triaged, b64_mail, english_mail


def test_triage_stores_the_language_of_the_message_and_the_ticket(
    sessions: Any, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    _triaged(sessions, config, b64_mail(), english_mail(7), folder=tmp_path / "m")
    with sessions() as session:
        tickets = {t.subject: t.language for t in session.scalars(select(Ticket))}
        messages = sorted(m.language or "" for m in session.scalars(select(Message)))
    assert tickets == {"电梯困人": "zh", "Lift broken again": "en"}
    assert messages == ["en", "zh"]
