"""The demo IMAP server's entry point: pymap's own ``main`` (``python -m
plaint.demo.pymap_main ARGS…`` takes pymap's arguments) with one more backend,
``demo-dict``: pymap's in-memory ``dict`` backend whose users' passwords are kept in clear.

pymap hashes passwords with PBKDF2-SHA256 at 500 000 rounds (pysasl's default, without
passlib): right for a real server, but each login then costs about a quarter of a second of
CPU, and the demo's poller logs in every second (plus the IDLE listener and the demo's
own probes) — a good part of the demo's CPU time. The demo's server listens on loopback only,
lives as long as the demo, and its one user's password is random and never stored: a hash
protects nothing there. The backend is added through pymap's plugin registry
(``backends.add``) and the hash through the ``hash_context`` override pymap's
``Config.from_args`` documents, so nothing of pymap is patched.
"""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from pymap.backend import backends
from pymap.backend.dict import Config, DictBackend
from pymap.main import main
from pysasl.hashing import Cleartext

from plaint.demo.imap_server import BACKEND

__all__ = ["CleartextDictBackend"]


class CleartextDictBackend(DictBackend):
    """pymap's ``dict`` backend, its passwords compared in clear (see the module)."""

    @classmethod
    async def init(cls, args: Namespace, **overrides: Any) -> tuple[DictBackend, Config]:
        """Build the backend as pymap's ``dict`` does, with a clear-text password hash."""
        built: tuple[DictBackend, Config] = await super().init(
            args, **{"hash_context": Cleartext(), **overrides}
        )
        return built


backends.add(BACKEND, CleartextDictBackend)

if __name__ == "__main__":
    main()
