"""A real browser against a real server: Debian's headless Chromium driven by Selenium
through Debian's chromedriver, and uvicorn serving the app on a free loopback port.

Nothing is downloaded: the driver and the browser are given by path, and Selenium
Manager is told to stay offline. Without them a test skips locally and fails in CI
(:func:`tests.servers.missing`). Every page a test opens is saved as a PNG under
:func:`artifact_dir` (printed), to be looked at.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from tests.artifacts import artifact_dir as artifacts
from tests.servers import free_port, missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
READY_SECONDS = 20.0
_PROBE_INTERVAL_SECONDS = 0.05


def artifact_dir() -> Path:
    """Where screenshots go: ``$PLAINT_TEST_ARTIFACTS/pages`` or ``tests/artifacts/pages``."""
    return artifacts("pages")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL
    once ``/healthz`` answers; stop it (requests in flight finish) on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not answer on loopback") from None
            time.sleep(_PROBE_INTERVAL_SECONDS)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium session (a ``selenium.webdriver.Chrome``); skips locally and
    fails in CI when Chromium, its driver or Selenium is missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        missing("chromium and chromium-driver (Debian packages)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium (the test extra)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1366,1600", "--lang=zh-CN", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
