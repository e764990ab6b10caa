"""One web process replying to a ticket when a go-file appears; run by
test_reply_concurrency as several processes at once, like several ``plaint web`` workers:

    python -m tests.web.concurrent_reply DB_URL CONFIG READY_FILE GO_FILE NUMBER TOKEN KEY

Builds the app as ``plaint web`` does (deferred reads, a writer), touches READY_FILE, waits
for GO_FILE (probed), POSTs one reply with ``Idempotency-Key: KEY`` and prints one JSON line:
the status and whether the answer was a replay.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

from plaint.config import load_config
from plaint.models import create_db_engine, read_session_factory, session_factory
from plaint.web.app import create_app
from tests.web.conftest import NOW

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # see tests/web/conftest.py: Starlette prefers httpx2
    from fastapi.testclient import TestClient

GO_WAIT_SECONDS = 60


def main(db_url: str, config_path: str, ready: str, go: str, number: str, token: str,
         key: str) -> None:  # fmt: skip
    engine = create_db_engine(db_url)
    app = create_app(config=load_config(Path(config_path)), sessions=read_session_factory(engine),
                     writer=session_factory(engine), redis_ready=lambda: False,
                     clock=lambda: NOW)  # fmt: skip
    with TestClient(app) as client:
        Path(ready).touch()
        deadline = time.monotonic() + GO_WAIT_SECONDS
        while not Path(go).exists() and time.monotonic() < deadline:
            time.sleep(0.002)  # a readiness probe of the go-file, not a wait for an effect
        response = client.post(f"/api/v1/tickets/{number}/reply", json={"text": "马上处理"},
                               headers={"Authorization": f"Bearer {token}",
                                        "Idempotency-Key": key})  # fmt: skip
    engine.dispose()
    body = response.json()
    print(json.dumps({"status": response.status_code, "replayed": body.get("replayed")}))


if __name__ == "__main__":
    main(*sys.argv[1:8])
