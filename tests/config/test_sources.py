"""``[[sources]]`` of every kind: each kind's keys required, other kinds' keys refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plaint.config import Config
from tests.config.test_schema import problems

CDR = """
[[sources]]
name = "desk"
kind = "cdr-folder"
path = "/srv/cdr"
"""
AMQP = """
[[sources]]
name = "pbx"
kind = "amqp"
url_env = "PBX_AMQP_URL"
queue = "calls"
exchange = "cti"
"""


def test_a_cdr_folder_source(make_config: Callable[[str], Config]) -> None:
    config = make_config(CDR + 'format = "columns"\ncolumns = { caller = "主叫", '
                         'started_at = "开始时间", notes = "坐席备注" }\n')  # fmt: skip
    source = config.source("desk")
    assert source.cdr is not None
    assert (source.kind, source.cdr.path, source.cdr.processed) == (
        "cdr-folder", Path("/srv/cdr"), Path("/srv/cdr/processed")
    )  # fmt: skip
    assert source.cdr.timezone == "Asia/Shanghai"  # the company's
    assert dict(source.cdr.columns) == {"caller": "主叫", "started_at": "开始时间",
                                        "notes": "坐席备注"}  # fmt: skip
    assert source.secret_envs == ()


def test_an_amqp_source(make_config: Callable[[str], Config]) -> None:
    source = make_config(AMQP).source("pbx")
    assert source.amqp is not None
    assert (source.amqp.routing_key, source.amqp.dead_letter_exchange) == ("calls", "cti.dlx")
    assert source.secret_envs == (("url_env", "PBX_AMQP_URL"),)
    no_dlx = make_config(AMQP + 'dead_letter_exchange = ""\n').source("pbx")
    assert no_dlx.amqp is not None
    assert no_dlx.amqp.dead_letter_exchange == ""


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (CDR, "sources[0].format: required key is missing"),
        (CDR + 'format = "asterisk"\nhost = "x"\n',
         "sources[0].host: not a key of kind cdr-folder"),
        (CDR + 'format = "columns"\n', 'sources[0].columns: give columns exactly when format '
         'is "columns"'),
        (CDR + 'format = "columns"\ncolumns = { caller = "主叫" }\n',
         "sources[0].columns.started_at: required key is missing"),
        (CDR + 'format = "columns"\ncolumns = { caller = "a", started_at = "b", mood = "c" }\n',
         "sources[0].columns.mood: must be 'call_id', 'caller', 'caller_name', 'called', "
         "'started_at', 'duration', 'status', 'agent' or 'notes', got 'mood'"),
        (CDR + 'format = "csv"\n', "sources[0].format: must be 'asterisk', 'freeswitch' or "
         "'columns', got 'csv'"),
        (AMQP.replace('queue = "calls"\n', ""), "sources[0].queue: required key is missing"),
        (AMQP + 'folder = "INBOX"\n', "sources[0].folder: not a key of kind amqp"),
    ],
)  # fmt: skip
def test_each_kind_has_its_keys(make_config: Callable[[str], Config], text: str, line: str) -> None:
    assert problems(make_config, text) == [line]


def test_a_relative_processed_folder_lies_in_the_drop_folder(
    make_config: Callable[[str], Config],
) -> None:
    source = make_config(CDR + 'format = "asterisk"\nprocessed = "done"\n').source("desk")
    assert source.cdr is not None
    assert source.cdr.processed == Path("/srv/cdr/done")
    absolute = make_config(CDR + 'format = "asterisk"\nprocessed = "/var/done"\n')
    assert absolute.source("desk").cdr.processed == Path("/var/done")  # type: ignore[union-attr]
