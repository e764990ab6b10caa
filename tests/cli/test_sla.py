"""``plaint sla due`` through the real ``plaint`` entry point."""

from __future__ import annotations

import pytest

from plaint import cli

LUNCH = "09:00-12:00,13:30-18:00"


@pytest.fixture(autouse=True)
def only_the_sla_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only ``sla``, so these tests do not depend on the other commands' imports."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.sla",))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["sla", "due", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--start", "2025-09-30T23:59", "--working-days", "3"], "2025-10-11T23:59:00+08:00"),
        (["--start", "2025-09-30T15:59Z", "--working-days", "3"], "2025-10-11T23:59:00+08:00"),
        (["--start", "2025-09-30T10:00", "--hours", "24"], "2025-10-01T10:00:00+08:00"),
        (["--start", "2025-09-30T10:00", "--hours", "1.5"], "2025-09-30T11:30:00+08:00"),
        (
            ["--start", "2025-09-28T09:00", "--working-days", "1", "--working-hours", LUNCH],
            "2025-09-28T18:00:00+08:00",
        ),
        (
            ["--start", "2025-09-30T12:30", "--working-days", "0.5", "--working-hours", LUNCH],
            "2025-09-30T17:15:00+08:00",
        ),
        (
            ["--start", "2025-03-28T12:00", "--working-days", "1", "--tz", "Europe/Berlin"],
            "2025-03-31T12:00:00+02:00",
        ),
    ],
    ids=[
        "national day",
        "utc input",
        "clock hours",
        "fractional hours",
        "lunch",
        "half day",
        "dst",
    ],
)
def test_due(capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    assert run(capsys, *args) == (0, expected + "\n", "")


def test_several_starts_print_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        *["--start", "2025-10-03T15:00", "--start", "2025-09-26T10:00"],
        *["--start", "2025-09-30T23:59", "--working-days", "1"],
    )
    assert code == 0
    assert out.splitlines() == [
        "2025-10-10T00:00:00+08:00",
        "2025-09-28T10:00:00+08:00",
        "2025-10-09T23:59:00+08:00",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "next tuesday", "--working-days", "1"], "'next tuesday' is not an ISO 8601"),
        (
            [
                "--start",
                "2025-09-30T10:00",
                "--working-days",
                "1",
                "--working-hours",
                "18:00-09:00",
            ],
            "18:00-09:00 must end after it starts",
        ),
        (["--start", "2025-09-30T10:00", "--hours", "1", "--tz", "Mars/Base"], "'Mars/Base'"),
        (["--start", "2030-01-07T10:00", "--working-days", "1"], "2030's make-up working days"),
        (["--start", "2101-01-07T10:00", "--working-days", "1"], "no holiday data for 2101"),
        (["--start", "2025-09-30T10:00", "--working-days", "-1"], "--working-days must be"),
        (["--start", "2025-09-30T10:00", "--hours", "soon"], "--hours must be a number"),
        (["--start", "2025-09-30T10:00", "--hours", "inf"], "--hours must be a finite"),
        (["--start", "2025-09-30T10:00", "--hours", "1e12"], "too large"),
    ],
    ids=[
        "date",
        "period",
        "zone",
        "provisional year",
        "uncovered year",
        "negative",
        "not a number",
        "infinite",
        "huge",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("plaint: error: ")
    assert err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--start", "2027-02-04T10:00", "--working-days", "3"],
            "2027-02-11T10:00:00+08:00 provisional",
        ),
        (
            ["--start", "2026-12-30T10:00", "--working-days", "3"],
            "2027-01-05T10:00:00+08:00 provisional",
        ),
        (["--start", "2026-12-29T10:00", "--working-days", "1"], "2026-12-30T10:00:00+08:00"),
        (["--start", "2027-02-04T10:00", "--hours", "24"], "2027-02-05T10:00:00+08:00"),
    ],
    ids=["spring festival 2027", "into 2027", "official year", "clock hours need no calendar"],
)
def test_provisional_due_times_are_printed_marked_when_asked(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert run(capsys, *args, "--provisional") == (0, expected + "\n", "")


def test_a_provisional_due_time_is_refused_without_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--start", "2027-02-04T10:00", "--working-days", "3")
    assert (code, out) == (2, "")
    assert err == (
        "plaint: error: the due time of --start 2027-02-04T10:00:00+08:00 is provisional: "
        "2027's make-up working days are not published yet; due times computed from the "
        "statutory holidays; will be recomputed when the schedule is added; pass "
        "--provisional to print it anyway\n"
    )
    assert run(capsys, "--start", "2027-02-04T10:00", "--hours", "24")[0] == 0


def test_a_budget_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sla", "due", "--start", "2025-09-30T10:00"])
    assert exit_info.value.code == 2
    assert "--working-days" in capsys.readouterr().err
