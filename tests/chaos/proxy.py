"""A TCP proxy on loopback in front of the IMAP server that cuts connections mid-FETCH:
the first ``drops`` server replies carrying a FETCH response are relayed only in part,
then both sides are closed, as a flaky network or a restarting server would."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.servers import free_port

_CHUNK = 4096


class DroppingProxy:
    """Relay 127.0.0.1:``port`` to 127.0.0.1:``target``; ``dropped`` counts the cuts."""

    def __init__(self, target: int, *, drops: int) -> None:
        self.target, self.port, self.drops, self.dropped = target, free_port(), drops, 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _cut_here(self, data: bytes) -> bool:
        with self._lock:
            if b" FETCH (" in data and self.dropped < self.drops:
                self.dropped += 1
                return True
        return False

    def _pipe(self, source: socket.socket, sink: socket.socket, replies: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(_CHUNK):
                if replies and self._cut_here(data):
                    sink.sendall(data[: len(data) // 2])
                    break
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
