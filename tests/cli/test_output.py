"""Tables, JSON and progress as users see them: aligned with Chinese text, plain when
piped, progress only on a terminal's stderr."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest

from plaint.cli.output import print_table, render_table
from tests.cli.test_classify import TRAINING, write_jsonl

REPO = Path(__file__).resolve().parents[2]
HEADERS = ("number", "subject", "department", "status")
ROWS = [
    ["TS-2026-000001", "3号楼电梯困人了，快来！", "engineering", "open"],
    ["TS-2026-000002", "leak", "工程部", "responded"],
    ["TS-2026-000003", "[b]不是标记[/b]", "-", "closed"],
]


def width(text: str) -> int:
    """Terminal columns of ``text``: East-Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_starts(line: str, cells: list[str] | tuple[str, ...]) -> list[int]:
    """The display column where each cell begins in ``line``."""
    starts, position = [], 0
    for cell in cells:
        position = line.index(cell, position)
        starts.append(width(line[:position]))
        position += len(cell)
    return starts


def test_columns_line_up_by_display_width() -> None:
    lines = render_table(HEADERS, ROWS).splitlines()
    assert len(lines) == 2 + len(ROWS)
    expected = column_starts(lines[0], HEADERS)
    for line, row in zip(lines[2:], ROWS, strict=True):
        assert column_starts(line, row) == expected, line
    assert set(lines[1]) == {"-", " "}
    assert all(line == line.rstrip() for line in lines)


def test_a_piped_table_is_plain_text_and_never_wrapped(capsys: pytest.CaptureFixture[str]) -> None:
    long = "很长的投诉内容" * 30  # far wider than any terminal
    print_table(HEADERS, [*ROWS, ["TS-2026-000004", long, "cleaning", "open"]])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "[b]不是标记[/b]" in out  # cells are text, not markup
    lines = out.splitlines()
    assert len(lines) == 2 + len(ROWS) + 1
    assert long in lines[-1]


def test_json_rows_replace_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(HEADERS, ROWS, as_json=True)
    assert json.loads(capsys.readouterr().out) == [dict(zip(HEADERS, r, strict=True)) for r in ROWS]
    print_table(HEADERS, ROWS, as_json=True, json_rows=[{"n": 1, "subject": "电梯"}])
    out = capsys.readouterr().out
    assert out == '[{"n": 1, "subject": "电梯"}]\n'


def run_with_terminal_stderr(*args: str | Path) -> tuple[int, str, str]:
    """Run ``python -m plaint ARGS`` with stdout piped and stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLAINT_", "NO_COLOR"))}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(
        [sys.executable, "-m", "plaint", *map(str, args)], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    return process.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_batch_progress_shows_on_a_terminal_and_stays_out_of_the_pipe(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "电梯坏了"}] * 700)
    code, out, err = run_with_terminal_stderr("classify", "--batch", data, "--json")
    assert code == 0
    assert "classifying" in err
    assert "700/700" in err or "512/700" in err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in results] == list(range(1, 701))
    assert "\x1b" not in out


def test_training_shows_its_steps_on_a_terminal(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", TRAINING)
    code, out, err = run_with_terminal_stderr(
        "train", "--data", data, "--label-field", "sub_topic", "--out", tmp_path / "m"
    )
    assert (code, out) == (0, "v1\n")
    assert "choosing a model for 3 labels on 3 folds" in err
    assert "plaint: trained v1 on 12 rows" in err
