"""One log format for plaint's and dramatiq's lines: JSON objects with the same keys when
``PLAINT_LOG_FORMAT=json``, database error texts withheld in either format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import IntegrityError

from plaint.workers.logs import JSON_KEYS, configure

# A resident's number in a database's error text (the traceback quotes source lines, so it
# is kept out of the line that raises).
PHONE = "+8613900000001"
DETAIL = f"Key (phone)=({PHONE}) already exists"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put back the root logger's handlers and level (pytest's capture among them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    dramatiq_level = logging.getLogger("dramatiq").level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("dramatiq").setLevel(dramatiq_level)


def _log_both() -> None:
    logging.getLogger("plaint.workers.actors").warning("source %s unavailable", "mail")
    logging.getLogger("dramatiq.worker.WorkerThread").info("Worker thread is ready.")
    try:
        raise IntegrityError("INSERT", {}, Exception(DETAIL))
    except IntegrityError:
        logging.getLogger("dramatiq.worker.WorkerThread").exception("Failed to process message")


@pytest.mark.usefixtures("root_logging")
def test_json_lines_of_plaint_and_dramatiq_have_the_same_keys() -> None:
    stream = io.StringIO()
    configure(level="INFO", log_format="json", stream=stream)
    _log_both()
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["logger"] for r in records] == [
        "plaint.workers.actors", "dramatiq.worker.WorkerThread", "dramatiq.worker.WorkerThread",
    ]  # fmt: skip
    assert [tuple(r)[: len(JSON_KEYS)] for r in records] == [JSON_KEYS] * 3
    assert records[0]["message"] == "source mail unavailable"
    assert records[0]["level"] == "WARNING"
    assert "IntegrityError: [text withheld]" in records[2]["exc_info"]
    assert PHONE not in stream.getvalue()


@pytest.mark.usefixtures("root_logging")
def test_text_lines_share_one_format_and_configuring_twice_keeps_one_handler() -> None:
    stream = io.StringIO()
    configure(level="INFO", log_format="text", stream=stream)
    configure(level="INFO", log_format="text", stream=stream)
    _log_both()
    lines = [line for line in stream.getvalue().splitlines() if " INFO " in line or
             " WARNING " in line or " ERROR " in line]  # fmt: skip
    assert len(lines) == 3
    assert "WARNING plaint.workers.actors: source mail unavailable" in lines[0]
    assert "INFO dramatiq.worker.WorkerThread: Worker thread is ready." in lines[1]
    assert PHONE not in stream.getvalue()
