"""``plaint config check`` and a bad config stopping ``plaint run``, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaint.cli import main
from plaint.config.calendars import package_years
from tests.config.samples import SOURCE

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "config.example.toml"
MISSPELT = "[routing]\nfallback_department = 'customer_service'\nreview_treshold = 0.9\n"
MISSPELT_LINE = (
    "plaint: error: routing.review_treshold: unknown key; did you mean review_threshold?"
)


@pytest.fixture(autouse=True)
def no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    monkeypatch.delenv("IMAP_PASSWORD", raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plaint.toml"
    path.write_text(text, "utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("plaint: warning: ")]


def test_a_valid_file_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, str(EXAMPLE))
    assert (code, out) == (0, f"config OK: {EXAMPLE}\n")
    assert errors(err) == []


def test_each_problem_is_one_error_line_and_the_exit_code_is_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[compnay]\n" + MISSPELT + SOURCE.replace("host =", "hots ="))
    code, out, err = check(capsys, str(path))
    assert (code, out) == (2, "")
    assert sorted(err.splitlines()) == [
        "plaint: error: compnay: unknown key; did you mean company?",
        MISSPELT_LINE,
        "plaint: error: sources[0].hots: unknown key; did you mean host?",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("this is = not toml [", "is not valid TOML"),
        ("[calendar]\nholidays = [2025-12-31]\nworking_days = [2025-12-31]", "2025-12-31 is both"),
        ("[calendar]\nholidays = [2031-01-01]", "2031-01-01 lies in 2031, for which there is no"),
    ],
    ids=["not TOML", "calendar clash", "date in an unknown year"],
)
def test_problems_found_after_the_schema_are_errors_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str
) -> None:
    code, _, err = check(capsys, str(write(tmp_path, text)))
    assert code == 2
    assert err.startswith("plaint: error: ")
    assert line in err


def test_a_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(capsys, str(tmp_path / "absent.toml"))
    assert code == 2
    assert err.startswith("plaint: error: cannot read config file")


def test_the_file_defaults_to_plaint_config_then_to_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(capsys)[:2] == (0, "config OK: packaged defaults\n")
    path = write(tmp_path, MISSPELT)
    monkeypatch.setenv("PLAINT_CONFIG", str(path))
    code, _, err = check(capsys)
    assert code == 2
    assert errors(err) == [MISSPELT_LINE]


def test_show_prints_the_effective_configuration_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, SOURCE + "[dedupe]\nseries_min_reporters = 4\n")
    code, out, err = check(capsys, str(path), "--show")
    assert code == 0
    assert f"config OK: {path}" in err
    shown = json.loads(out)
    assert shown["sources"][0]["poll_interval_seconds"] == 30  # a default filled in
    assert shown["sources"][0]["password_env"] == "IMAP_PASSWORD"
    assert shown["dedupe"]["series_min_reporters"] == 4
    assert shown["dedupe"]["series_window_hours"] == 24
    assert shown["taxonomy"]["sub_topics"]["lift"]["department"] == "engineering"
    assert [p["name"] for p in shown["sla"]["policies"]] == ["emergency", "level-2"]
    assert shown["routing"]["review_threshold"] == 0.3


def test_years_the_calendar_does_not_know_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    year = datetime.now(UTC).year
    missing = [y for y in (year, year + 1) if y not in package_years()]
    code, _, err = check(capsys)
    assert code == 0
    warned = [line for line in err.splitlines() if "is provisional" in line]
    assert len(warned) == len(missing)
    for line, missing_year in zip(warned, missing, strict=True):
        assert line.startswith(f"plaint: warning: calendar year {missing_year} is provisional")
        assert f"years = [{missing_year}]" in line

    declared = write(tmp_path, f"[calendar]\nyears = [{year}, {year + 1}]\n")
    code, out, err = check(capsys, str(declared))
    assert (code, out, err) == (0, f"config OK: {declared}\n", "")


def test_an_unset_password_variable_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, SOURCE)
    code, _, err = check(capsys, str(path))
    assert code == 0
    assert (
        "plaint: warning: sources[0].password_env: IMAP_PASSWORD is not set in this environment"
    ) in err.splitlines()
    monkeypatch.setenv("IMAP_PASSWORD", "secret")
    assert "IMAP_PASSWORD" not in check(capsys, str(path))[2]


def _plaint(*args: str, config: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINT_")}
    env |= {"PYTHONPATH": str(REPO), "PLAINT_CONFIG": str(config), "PLAINT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "plaint", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("command", [["run"], ["config", "check"]], ids=["run", "config check"])
def test_a_misspelt_key_stops_the_command_before_anything_starts(
    tmp_path: Path, command: list[str]
) -> None:
    data_dir = tmp_path / "data"
    result = _plaint(*command, config=write(tmp_path, MISSPELT), data_dir=data_dir)
    assert result.returncode == 2
    assert MISSPELT_LINE in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert not data_dir.exists()  # no database, no embedded Redis


def test_a_template_naming_an_unknown_variable_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '[messages.templates.ack.en]\nbody = "Number ${ticket}, by ${deadline}."\n'
    code, out, err = check(capsys, str(write(tmp_path, text)))
    assert (code, out) == (2, "")
    assert errors(err) == [
        "plaint: error: messages.templates.ack.en.body: unknown variable ${deadline} "
        "(known: department, filed_as, first_response_due, promise, ticket)"
    ]


def test_templates_from_a_named_file_and_per_community_quiet_hours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "texts.toml").write_text('[closed.zh]\nbody = "${ticket} 已办结"\n', "utf-8")
    text = ('[messages]\ntemplates_file = "texts.toml"\n'
            '[messages.communities."阳光花园"]\nquiet_hours = "off"\n')  # fmt: skip
    code, _, _ = check(capsys, str(write(tmp_path, text)))
    assert code == 0
    (tmp_path / "texts.toml").write_text('[closed.zh]\nbody = "${ticket} ${oops}"\n', "utf-8")
    code, _, err = check(capsys, str(write(tmp_path, text)))
    assert code == 2
    assert "messages.templates.closed.zh.body: unknown variable ${oops}" in err


def test_quiet_hours_that_do_not_parse_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = check(capsys, str(write(tmp_path, '[messages]\nquiet_hours = "night"\n')))
    assert code == 2
    assert err.startswith("plaint: error: messages.quiet_hours: ")
