"""The dependency direction of DESIGN.md, and the exported names of each module."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import plaint

PACKAGE = Path(plaint.__file__).parent
FORBIDDEN_IN_PIPELINE = ("sqlalchemy", "redis", "dramatiq", "imapclient", "twilio", "kombu")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("pipeline"), ids=lambda p: p.name)
def test_pipeline_imports_only_values_and_errors(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN_IN_PIPELINE, f"{path.name} imports {name}"
        if top == "plaint":
            assert name.startswith(("plaint.inbound", "plaint.errors", "plaint.pipeline")), (
                f"{path.name} imports {name}"
            )


def test_importing_the_pipeline_loads_no_infrastructure() -> None:
    modules = ", ".join(
        f"plaint.pipeline.{p.stem}" for p in _modules("pipeline") if p.stem != "__init__"
    )
    code = (
        f"import sys, {modules}; "
        f"print(sorted(m for m in {FORBIDDEN_IN_PIPELINE!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


# What each part of the package may import from plaint (DESIGN.md, "Dependency direction"):
# pipeline <- service <- workers, cli, web; channels never import models; web never imports
# the worker runtime; nothing but the ``plaint demo`` command imports the demo.
_VALUES = ("plaint.inbound", "plaint.errors")
ALLOWED = {
    "config": (*_VALUES, "plaint.pipeline", "plaint.config"),
    "channels": (*_VALUES, "plaint.pipeline", "plaint.config", "plaint.channels"),
    "models": ("plaint.errors", "plaint.models"),
    "classifier": (*_VALUES, "plaint.classifier"),
    "queue": (*_VALUES, "plaint.queue"),
    "service": (
        *_VALUES, "plaint.pipeline", "plaint.config", "plaint.models", "plaint.channels",
        "plaint.classifier", "plaint.service",
    ),
    "workers": (
        *_VALUES, "plaint.pipeline", "plaint.config", "plaint.models", "plaint.channels",
        "plaint.classifier", "plaint.service", "plaint.queue", "plaint.telemetry",
        "plaint.workers",
    ),
    "telemetry": (*_VALUES, "plaint.config", "plaint.models", "plaint.queue", "plaint.telemetry"),
    "web": (
        *_VALUES, "plaint.pipeline", "plaint.config", "plaint.models", "plaint.classifier",
        "plaint.service", "plaint.queue", "plaint.telemetry", "plaint.web",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("part", "path"),
    [(part, path) for part in ALLOWED for path in _modules(part)],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_each_part_imports_only_what_lies_below_it(part: str, path: Path) -> None:
    for name in _imports(path):
        if name == "plaint" or name.startswith("plaint."):
            assert name.startswith(ALLOWED[part]), f"{path} imports {name}"


def test_only_the_demo_command_imports_the_demo() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "demo") or path == PACKAGE / "cli" / "demo.py":
            continue
        for name in _imports(path):
            assert not name.startswith("plaint.demo"), f"{path} imports {name}"


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="plaint."):
        if ".migrations" in info.name or info.name.endswith(("__main__", ".entry")):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _public_modules())
def test_all_lists_only_names_that_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert sorted(exported) == sorted(set(exported)), "duplicates in __all__"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item}, which does not exist"
