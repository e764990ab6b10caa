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


@pytest.mark.parametrize("path", _modules("channels"), ids=lambda p: p.name)
def test_channels_do_not_reach_into_models_or_workers(path: Path) -> None:
    for name in _imports(path):
        assert not name.startswith(("plaint.models", "plaint.workers")), f"{path} imports {name}"


@pytest.mark.parametrize("path", _modules("models"), ids=lambda p: p.name)
def test_models_depend_only_on_errors(path: Path) -> None:
    for name in _imports(path):
        if name.startswith("plaint."):
            assert name.startswith(("plaint.models", "plaint.errors")), f"{path} imports {name}"


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="plaint."):
        if ".migrations" in info.name or info.name.endswith(("__main__", ".actors")):
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
