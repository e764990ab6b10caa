"""Reading deploy/: the commands, settings and paths its files name (shared by its tests)."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PACKAGE = REPO / "plaint"
# Variables only ``plaint demo`` sets for its own children: not settings of an install.
DEMO_ONLY = "PLAINT_DEMO_"
_NAME = re.compile(r"PLAINT_[A-Z0-9_]*[A-Z0-9]")


def yaml_files() -> list[Path]:
    return sorted(DEPLOY.rglob("*.yaml"))


def documents(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d is not None]


def compose() -> dict[str, Any]:
    [doc] = documents(DEPLOY / "compose.yaml")
    return dict(doc)


def manifests() -> list[dict[str, Any]]:
    return [d for p in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for d in documents(p)
            if "kind" in d and d["kind"] != "Kustomization"]  # fmt: skip


def manifest(kind: str, name: str) -> dict[str, Any]:
    [found] = [m for m in manifests() if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


def unit_files() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("plaint*.*"))


def unit_values(path: Path, key: str) -> list[str]:
    prefix = f"{key}="
    return [line.removeprefix(prefix) for line in path.read_text("utf-8").splitlines()
            if line.startswith(prefix)]  # fmt: skip


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text("utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines
            if line and not line.startswith("#")]  # fmt: skip


def commands() -> Iterator[tuple[str, list[str]]]:
    """Every plaint command line deploy/ runs or tells people to run: (where, argv)."""
    for name, service in compose()["services"].items():
        if str(service.get("image", "")).startswith("plaint:"):
            yield f"compose:{name}", list(service.get("command") or ["web"])
    for doc in manifests():
        for container in containers(doc):
            yield f"{doc['kind']}/{doc['metadata']['name']}", list(container["args"])
    for path in unit_files():
        for line in unit_values(path, "ExecStart"):
            binary, *argv = shlex.split(line)
            assert binary == "/opt/plaint/bin/plaint", f"{path.name}: {binary}"
            yield path.name, argv
    for instruction, args in dockerfile_instructions():
        if instruction == "CMD":
            yield "Dockerfile CMD", list(yaml.safe_load(args))
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.suffix != ".json":
            for quoted in re.findall(r"`plaint ([^`]+)`", path.read_text("utf-8")):
                if "FILE" not in quoted:  # a placeholder to fill in
                    yield path.name, shlex.split(quoted)


def deploy_settings() -> Iterator[tuple[str, dict[str, str]]]:
    """Every set of PLAINT_* settings deploy/ gives a process: (where, name → value)."""
    for name, service in compose()["services"].items():
        env = service.get("environment") or {}
        yield f"compose:{name}", {k: _compose_default(str(v)) for k, v in env.items()
                                  if k.startswith("PLAINT_")}  # fmt: skip
    config_map = manifest("ConfigMap", "plaint-env")["data"]
    secret = manifest("Secret", "plaint")["stringData"]
    for doc in manifests():
        for container in containers(doc):
            env = {e["name"]: str(e["value"]) for e in container.get("env", [])}
            yield f"{doc['kind']}/{doc['metadata']['name']}", {**config_map, **secret, **env}
    for path in unit_files():
        env = dict(line.split("=", 1) for line in unit_values(path, "Environment"))
        yield path.name, env
    env = {}
    for instruction, args in dockerfile_instructions():
        if instruction == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    yield "Dockerfile", {k: v for k, v in env.items() if k.startswith("PLAINT_")}


def _compose_default(value: str) -> str:
    """``${VAR:-default}`` as compose fills it when VAR is not set."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def code_settings() -> set[str]:
    """The PLAINT_* names plaint's code reads (string constants naming a variable)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if (
                isinstance(value, str)
                and _NAME.fullmatch(value)
                and not value.startswith(DEMO_ONLY)
            ):
                names.add(value)
    return names


def example_settings() -> set[str]:
    """The names deploy/env.example documents (``NAME=`` or ``# NAME=``)."""
    text = (DEPLOY / "env.example").read_text("utf-8")
    return set(re.findall(r"^#?\s*(PLAINT_[A-Z0-9_]+)=", text, flags=re.MULTILINE))


def config_named_settings() -> set[str]:
    """Secrets deploy/config.example.toml names (``password_env``, ``url_env``)."""
    text = (DEPLOY / "config.example.toml").read_text("utf-8")
    return set(re.findall(r'_env\s*=\s*"(PLAINT_[A-Z0-9_]+)"', text))
