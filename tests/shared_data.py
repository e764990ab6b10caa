"""Locating ``../shared/eval`` (read-only test data beside the clone, never copied in)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
EVAL = SHARED / "eval"


def eval_path(*parts: str) -> Path:
    """Return a path under ../shared/eval; skip locally, fail in CI when it is missing."""
    path = EVAL.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI has ../shared beside the clone", pytrace=False)
        pytest.skip(f"{path} is not here")
    return path
