"""Benchmark: Twilio SMS webhooks accepted per second with persistence (signature checked,
inbox row written, triage enqueued) against a bare FastAPI endpoint that answers 200, both
served by uvicorn on loopback in the same run and driven by the same client.

    python bench/webhook.py                 # SQLite in a temporary directory, N=2000
    python bench/webhook.py -n 200 --concurrency 4
    python bench/webhook.py --db-url postgresql://user@host/db --redis-url redis://...

Prints requests per second, p50 and p99 latency of each, and the ratio bare / plaint.
Without ``--redis-url`` the triage enqueue is a no-op (the inbox row is still written).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Response
from twilio.request_validator import RequestValidator

from plaint.config import load_config
from plaint.config.twilio import TwilioSettings
from plaint.models import create_db_engine, read_session_factory, session_factory
from plaint.models.migrate import upgrade
from plaint.queue.broker import build_broker
from plaint.queue.producer import Producer
from plaint.web.app import create_app

PUBLIC = "https://plaint.example.com"
SETTINGS = TwilioSettings(account_sid="AC" + "0" * 32, auth_token="bench-token",
                          sender="+8610690000", public_url=PUBLIC)  # fmt: skip


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: FastAPI) -> tuple[str, uvicorn.Server]:
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server


def _bare() -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks/twilio/sms")
    async def ok() -> Response:
        return Response("<Response></Response>", media_type="application/xml")

    return app


def _plaint(db_url: str, redis_url: str | None) -> FastAPI:
    engine = create_db_engine(db_url)
    upgrade(engine)
    enqueue: Callable[[int], None] | None = None
    if redis_url:
        enqueue = Producer(build_broker(redis_url)).triage
    return create_app(config=load_config(None), sessions=read_session_factory(engine),
                      redis_ready=lambda: True, clock=lambda: datetime.now(UTC),
                      writer=session_factory(engine), twilio=SETTINGS, enqueue=enqueue)  # fmt: skip


def _requests(n: int, run: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    validator = RequestValidator(SETTINGS.auth_token)
    url = f"{PUBLIC}/webhooks/twilio/sms"
    made = []
    for i in range(n):
        params = {"MessageSid": f"SM{run}{i:012d}", "From": "+8613800138000",
                  "To": SETTINGS.sender, "Body": f"3号楼电梯坏了 {i}", "NumMedia": "0",
                  "AccountSid": SETTINGS.account_sid}  # fmt: skip
        made.append((params, {"X-Twilio-Signature": validator.compute_signature(url, params)}))
    return made


def _drive(base: str, requests: list[tuple[dict[str, str], dict[str, str]]],
           concurrency: int) -> tuple[float, list[float]]:  # fmt: skip
    client = httpx.Client(base_url=base, limits=httpx.Limits(max_connections=concurrency))

    def one(request: tuple[dict[str, str], dict[str, str]]) -> float:
        started = time.perf_counter()
        response = client.post("/webhooks/twilio/sms", data=request[0], headers=request[1])
        assert response.status_code == 200, response.status_code
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(one, requests))
    elapsed = time.perf_counter() - started
    client.close()
    return len(requests) / elapsed, latencies


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        results = {}
        for name, app in (("bare", _bare()), ("plaint", _plaint(db_url, args.redis_url))):
            base, server = _serve(app)
            _drive(base, _requests(20, f"w{name}"), args.concurrency)  # warm-up
            results[name] = _drive(base, _requests(args.n, name), args.concurrency)
            server.should_exit = True
    for name, (rate, latencies) in results.items():
        print(f"{name:7s} {rate:8.1f} req/s   p50 {_p(latencies, 50):6.1f} ms   "
              f"p99 {_p(latencies, 99):6.1f} ms")  # fmt: skip
    print(f"ratio bare/plaint: {results['bare'][0] / results['plaint'][0]:.1f}x "
          f"(n={args.n}, concurrency={args.concurrency}, db={db_url.split(':')[0]})")  # fmt: skip


if __name__ == "__main__":
    main()
