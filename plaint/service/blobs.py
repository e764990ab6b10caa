"""Content-addressed storage of files (attachments): one small interface, a disk store.

A blob's name is the SHA-256 of its bytes, so storing the same file twice stores it once,
a stored file can be verified, and a database row needs only the hash. The disk store
writes under ``PLAINT_DATA_DIR/blobs/ab/cd/abcd…``; another store (object storage) only
has to keep :class:`BlobStore`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from plaint.errors import NotFoundError

__all__ = ["BlobStore", "DiskBlobStore"]


class BlobStore(Protocol):
    """Where file bytes live, by their SHA-256."""

    def put(self, data: bytes) -> str:
        """Store ``data`` durably (idempotent) and return its SHA-256 in hex."""

    def get(self, sha256: str) -> bytes:
        """Return the bytes stored as ``sha256``; raise NotFoundError if there are none."""


class DiskBlobStore:
    """Blobs as files under ``root``, two directory levels by the hash's first bytes.

    ``put`` writes to a temporary file in the same directory, fsyncs it and renames it
    into place, so a crash leaves either no file or the whole file, never a torn one; two
    writers of the same bytes race harmlessly (same name, same content)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFoundError(f"{sha256!r} is not a SHA-256")
        return self._root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """See :meth:`BlobStore.put`."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        """See :meth:`BlobStore.get`."""
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no blob {sha256}") from None
