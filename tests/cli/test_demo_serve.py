"""``plaint demo --serve``: after the ticket table it serves the pages on loopback and
prints a one-time sign-in link for the demo desk, until SIGINT (Ctrl-C)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/signin\?token=(\S+)")


@pytest.mark.slow
def test_the_demo_serves_the_desks_pages_until_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINT_")}
    # The children's logs go to a file: an unread pipe would fill and stall them.
    errors = (tmp_path / "stderr").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "plaint", "demo", "--serve"], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=errors,
    )  # fmt: skip
    try:
        seen = []
        # Blocks on the child's output, no sleeping; the pipe stays open (the web child
        # writes to it too), so no generator that would close it when dropped.
        assert process.stdout is not None
        for line in iter(process.stdout.readline, ""):
            seen.append(line)
            if found := _LINK.search(line):
                break
        else:
            pytest.fail("no sign-in link in\n" + "".join(seen) + _tail(errors))
        base, token = found.groups()
        assert "18 tickets from 21 messages" in "".join(seen)
        print("".join(seen), _tail(errors))  # shown if a request below fails
        with httpx.Client(base_url=base, timeout=10.0, follow_redirects=True) as browser:
            today = browser.get(f"/signin?token={token}")
            assert today.url.path == "/today"
            assert "demo.desk" in today.text
            assert re.search(r"TS-\d{4}-\d{6}", today.text)
            assert browser.get("/tickets/new").status_code == 200  # the desk's form
        with httpx.Client(base_url=base, timeout=10.0) as stranger:
            assert stranger.get(f"/signin?token={token}").status_code == 401  # used once
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        log = _tail(errors)
        errors.close()
    assert process.returncode == 0, log
    assert "stopped" in out


def _tail(errors: IO[str]) -> str:
    errors.seek(0)
    return errors.read()[-3000:]
