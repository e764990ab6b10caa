"""Where a test run leaves what a person should look at afterwards (screenshots, the chaos
suite's figures): ``$PLAINT_TEST_ARTIFACTS/KIND`` or ``tests/artifacts/KIND`` (gitignored)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "artifacts"


def artifact_dir(kind: str) -> Path:
    """The directory for ``kind`` (created)."""
    base = os.environ.get("PLAINT_TEST_ARTIFACTS")
    directory = (Path(base) if base else ROOT) / kind
    directory.mkdir(parents=True, exist_ok=True)
    return directory
