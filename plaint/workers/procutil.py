"""Child-process helpers shared by the supervisor and the embedded servers."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import signal
import subprocess
import sys

__all__ = ["child_preexec", "stop_process"]

_PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_SECONDS = 10.0


def child_preexec() -> None:
    """Run in a child before exec: on Linux, ask for SIGTERM when the parent dies, so a
    ``kill -9`` of ``plaint run`` leaves no orphaned Redis or worker behind."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """Send SIGTERM, wait up to ``timeout`` seconds, then SIGKILL; return the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
