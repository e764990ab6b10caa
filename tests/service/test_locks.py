"""Series locks on PostgreSQL: residents of different buildings of one community do not
wait for each other; a resident known only by community waits for all of them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import Resident
from plaint.service.dedupe import series_keys
from plaint.service.locks import lock_keys


def _lock(session: Session, resident: Resident) -> None:
    session.execute(text("SET LOCAL lock_timeout = '300ms'"))
    exclusive, shared = series_keys(resident)
    lock_keys(session, exclusive, shared=shared)


@pytest.mark.postgres
def test_series_locks_are_exactly_as_wide_as_grouping(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite serialises every writer")
    one = Resident(building="1", community="翠湖苑")
    two = Resident(building="2", community="翠湖苑")
    same = Resident(building="1", community=None)
    anywhere = Resident(building=None, community="翠湖苑")
    with sessions.begin() as holder:
        _lock(holder, one)
        with sessions.begin() as other:
            _lock(other, two)  # another building of the community: no wait
        for blocked in (same, anywhere):
            with pytest.raises(OperationalError, match="lock timeout"), sessions.begin() as other:
                _lock(other, blocked)
