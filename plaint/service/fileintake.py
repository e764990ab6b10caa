"""Taking files into the inbox as a poller would: persist, then enqueue triage.

:func:`import_files` reads what :func:`~plaint.service.filereaders.scan_paths` found and
stores it in batches (:data:`BATCH_ROWS` rows or :data:`BATCH_BYTES` of payload per
transaction, whichever comes first), so a day-one import of years of mail costs a few
multi-row INSERTs per batch instead of a transaction per message. The inbox's
UNIQUE(source, external_id) makes it idempotent: importing the same files again, or mail
the IMAP poller of the same source already took in, creates nothing.

After each batch commits, the triage of the rows it created is enqueued (see
:class:`~plaint.service.inbox.TriageSender`: without a queue, or with the queue down, the
rows stay pending for the reconciler). Rows already there are left to whoever stored them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.errors import ConfigError
from plaint.service.filereaders import FileScan, Unreadable, read_file
from plaint.service.inbox import Enqueue, QueueOutcome, TriageSender
from plaint.service.store import store_deliveries, store_delivery

__all__ = [
    "BATCH_BYTES",
    "BATCH_ROWS",
    "DEFAULT_SOURCE",
    "ImportProgress",
    "ImportResult",
    "import_files",
]

logger = logging.getLogger(__name__)

# The source name of imported items unless the operator names a configured source.
DEFAULT_SOURCE = "import"
# A batch is committed at this many rows or this many payload bytes, whichever is first.
BATCH_ROWS = 500
BATCH_BYTES = 32 * 1024 * 1024
_MAX_SOURCE = 100  # the width of inbox.source


@dataclass(frozen=True)
class ImportProgress:
    """How far an import is: files read of ``files_total``, messages read, rows created."""

    files_done: int
    files_total: int
    messages: int
    new: int


@dataclass(frozen=True)
class ImportResult:
    """What an import did: files read, messages found in them, rows ``new`` to the inbox,
    messages ``already`` there, files ``skipped`` as of no known kind, the files or
    messages that were ``unreadable`` (by path, with a reason), the triage queue's
    outcome for the new rows, and how many new rows were stored ``quarantined`` (malformed
    call-record rows: ``plaint inbox list --status quarantined`` names their lines)."""

    source: str
    files: int
    messages: int
    new: int
    already: int
    skipped: int
    unreadable: tuple[Unreadable, ...]
    queue: QueueOutcome
    quarantined: int = 0


@dataclass
class _Run:
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    sender: TriageSender
    batch: list[Delivery] = field(default_factory=list)
    malformed: list[Delivery] = field(default_factory=list)
    batch_bytes: int = 0
    messages: int = 0
    new: int = 0
    already: int = 0
    quarantined: int = 0
    unreadable: list[Unreadable] = field(default_factory=list)

    def add(self, delivery: Delivery, *, max_rows: int, max_bytes: int) -> None:
        (self.batch if delivery.quarantine is None else self.malformed).append(delivery)
        self.batch_bytes += len(delivery.payload)
        self.messages += 1
        if len(self.batch) >= max_rows or self.batch_bytes >= max_bytes:
            self.flush()

    def flush(self) -> None:
        if not self.batch and not self.malformed:
            return
        with self.sessions.begin() as session:
            created = store_deliveries(session, self.batch, now=self.clock())
            stored = [store_delivery(session, d, now=self.clock()) for d in self.malformed]
        quarantined = sum(item.created for item in stored)
        self.new += len(created) + quarantined
        self.quarantined += quarantined
        self.already += len(self.batch) + len(self.malformed) - len(created) - quarantined
        self.batch, self.malformed, self.batch_bytes = [], [], 0
        self.sender.send(created)


def import_files(
    sessions: sessionmaker[Session],
    scan: FileScan,
    *,
    source: str = DEFAULT_SOURCE,
    clock: Callable[[], datetime],
    enqueue: Enqueue,
    progress: Callable[[ImportProgress], None] | None = None,
    batch_rows: int = BATCH_ROWS,
    batch_bytes: int = BATCH_BYTES,
) -> ImportResult:
    """Store every item of the files in ``scan`` as an inbox row of ``source`` (once per
    external id), enqueueing the triage of new rows after each batch commits.

    ``progress`` is called after each file and each committed batch. An unreadable file
    or message is reported in the result, never raised. Raises ConfigError for an empty
    or too long source name; database errors propagate (committed batches stay)."""
    if not source.strip() or len(source) > _MAX_SOURCE:
        raise ConfigError(f"the source name must be 1 to {_MAX_SOURCE} characters")
    run = _Run(sessions=sessions, clock=clock, sender=TriageSender(enqueue, sessions))
    run.unreadable.extend(scan.missing)
    total = len(scan.files)

    def report(files_done: int) -> None:
        if progress is not None:
            progress(ImportProgress(files_done, total, run.messages, run.new))

    for done, found in enumerate(scan.files, 1):
        for item in read_file(found, source=source, now=clock()):
            if isinstance(item, Unreadable):
                run.unreadable.append(item)
            else:
                run.add(item, max_rows=batch_rows, max_bytes=batch_bytes)
                if not run.batch and not run.malformed:  # a batch was just committed
                    report(done - 1)
        report(done)
    run.flush()
    report(total)
    logger.info("import into source %s: %d new, %d already there", source, run.new, run.already)
    return ImportResult(
        source=source, files=total, messages=run.messages, new=run.new, already=run.already,
        skipped=scan.skipped, unreadable=tuple(run.unreadable), queue=run.sender.outcome(),
        quarantined=run.quarantined,
    )  # fmt: skip
