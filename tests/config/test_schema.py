"""Every key of the TOML file is validated: unknown keys name the nearest valid one, types
and ranges are checked, and each problem is one line naming the key's full path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from plaint.config import Config
from plaint.config.schema import RoutingMatch
from plaint.errors import ConfigError
from plaint.pipeline.calendar import Budget, parse_working_hours
from plaint.pipeline.route import MATCH_KEYS
from tests.config.samples import SOURCE

SLA = "[sla]\ndefault = { first_response = { hours = 24 }, closure = { working_days = 3 } }\n"
POLICY = """
[[sla.policies]]
name = "p"
match = { level = 2 }
first_response = { hours = 12 }
closure = { working_days = 3 }
"""


def problems(make_config: Callable[[str], Config], text: str) -> list[str]:
    """The lines of the ConfigError that ``text`` raises."""
    with pytest.raises(ConfigError) as info:
        make_config(text)
    return str(info.value).splitlines()


# A misspelt key at every depth: top-level table, nested table, array-of-tables entry,
# inline table, a table of tables, and a key among many.
UNKNOWN_KEYS = [
    ("top-level table", "[compnay]\nx = 1", "compnay: unknown key; did you mean company?"),
    ("table", "[routing]\nfallback_department = 'customer_service'\nreview_treshold = 0.9",
     "routing.review_treshold: unknown key; did you mean review_threshold?"),
    ("table key", "[company]\ntimezone = 'Asia/Shanghai'\nticket_prefx = 'TS'",
     "company.ticket_prefx: unknown key; did you mean ticket_prefix?"),
    ("array of tables", SOURCE.replace("host =", "hots ="),
     "sources[0].hots: unknown key; did you mean host?"),
    ("inline table", SLA.replace("{ first_response = { hours = 24 }",
                                 "{ first_respons = { hours = 24 }"),
     "sla.default.first_respons: unknown key; did you mean first_response?"),
    ("inline table in an inline table",
     SLA.replace("{ hours = 24 }", "{ hour = 24 }"),
     "sla.default.first_response.hour: unknown key; did you mean hours?"),
    ("array of tables in a table", SLA + POLICY.replace("closure =", "closur ="),
     "sla.policies[0].closur: unknown key; did you mean closure?"),
    ("match table", SLA + POLICY.replace("level = 2", "levle = 2"),
     "sla.policies[0].match.levle: unknown key; did you mean level?"),
    ("table of tables", "[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\n"
     "x = { category = 'c', department = 'engineering', scoop = 1 }",
     "taxonomy.sub_topics.x.scoop: unknown key; did you mean scope?"),
    ("staff", "[[staff]]\ncode = 'a'\nrole = 'desk'\nworking_hour = '09:00-18:00'",
     "staff[0].working_hour: unknown key; did you mean working_hours?"),
    ("weekday", "[calendar]\nworking_hours = '09:00-18:00'\n"
     "weekday_hours = { fry = '09:00-12:00' }",
     "calendar.weekday_hours.fry: unknown key; did you mean fri?"),
    ("nothing near", "[calendar]\ncolour = 1",
     "calendar.colour: unknown key; valid keys: holidays, time_zone, weekday_hours, "
     "working_days, working_hours, years"),
    ("unit", SLA.replace("{ hours = 24 }", "{ weeks = 1 }"),
     "sla.default.first_response.weeks: unknown key; valid keys: hours, minutes, working_days"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line"), [case[1:] for case in UNKNOWN_KEYS], ids=[case[0] for case in UNKNOWN_KEYS]
)
def test_an_unknown_key_names_its_path_and_the_nearest_valid_key(
    make_config: Callable[[str], Config], text: str, line: str
) -> None:
    assert problems(make_config, text) == [line]


WRONG_VALUES = [
    ("string for integer", SOURCE.replace("port = 993", "port = '993'"),
     "sources[0].port: must be an integer, got '993'"),
    ("float for integer", SOURCE.replace("port = 993", "port = 993.0"),
     "sources[0].port: must be an integer, got 993.0"),
    ("string for boolean", SOURCE + "tls = 'yes'",
     "sources[0].tls: must be true or false, got 'yes'"),
    ("boolean for number", "[dedupe]\nseries_window_hours = true",
     "dedupe.series_window_hours: must be a number, got true"),
    ("string for number", "[routing]\nfallback_department = 'customer_service'\n"
     "review_threshold = '0.5'", "routing.review_threshold: must be a number, got '0.5'"),
    ("scalar for table", "company = 'x'", "company: must be a table, got 'x'"),
    ("scalar for array", "sources = 5", "sources: must be an array, got 5"),
    ("missing key", SOURCE.replace('password_env = "IMAP_PASSWORD"', ""),
     "sources[0].password_env: required key is missing"),
    ("not a choice", SOURCE.replace('"imap"', '"fax"'),
     "sources[0].kind: must be 'imap', 'twilio-sms', 'twilio-calls', 'cdr-folder' or 'amqp', "
     "got 'fax'"),
    ("port range", SOURCE.replace("port = 993", "port = 70000"),
     "sources[0].port: must be less than or equal to 65535, got 70000"),
    ("zero budget", SLA.replace("{ hours = 24 }", "{ hours = 0 }"),
     "sla.default.first_response.hours: must be greater than 0, got 0"),
    ("two units", SLA.replace("{ hours = 24 }", "{ hours = 24, minutes = 5 }"),
     "sla.default.first_response: give exactly one of minutes, hours or working_days"),
    ("threshold above 1", "[routing]\nfallback_department = 'customer_service'\n"
     "review_threshold = 1.5",
     "routing.review_threshold: must be less than or equal to 1, got 1.5"),
    ("warn_at outside (0, 1)", SLA + "warn_at = [0.5, 1.0]",
     "sla.warn_at[1]: must be less than 1, got 1.0"),
    ("warn_at unsorted", SLA + "warn_at = [0.8, 0.5]",
     "sla.warn_at: fractions must be increasing, e.g. [0.5, 0.8]"),
    ("level 3", SLA + POLICY.replace("level = 2", "level = 3"),
     "sla.policies[0].match.level: must be less than or equal to 2, got 3"),
    ("empty match", SLA + POLICY.replace("level = 2", ""),
     "sla.policies[0].match: give one or more of level, urgency, category"),
    ("unknown category", SLA + POLICY.replace("level = 2", "category = 'facilty'"),
     "sla.policies[0].match.category: 'facilty' is not a category of taxonomy.sub_topics; "
     "did you mean facility?"),
    ("min reporters", "[dedupe]\nseries_min_reporters = 1",
     "dedupe.series_min_reporters: must be greater than or equal to 2, got 1"),
    ("empty keywords", "[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\n"
     "x = { category = 'c', department = 'engineering' }\n[[taxonomy.rules]]\nname = 'r'\n"
     "keywords = []", "taxonomy.rules[0].keywords: must not be empty"),
    ("unknown sub-topic", "[routing]\nfallback_department = 'customer_service'\n"
     "[[routing.rules]]\ndepartment = 'security'\nmatch = { sub_topic = 'lifts' }",
     "routing.rules[0].match.sub_topic: 'lifts' is not in taxonomy.sub_topics; did you mean lift?"),
    ("empty routing match", "[routing]\nfallback_department = 'customer_service'\n"
     "[[routing.rules]]\ndepartment = 'security'\nmatch = {}",
     "routing.rules[0].match: give one or more of category, sub_topic, scope, community, "
     "building"),
    ("unknown department", "[routing]\nfallback_department = 'enginering'",
     "routing.fallback_department: 'enginering' is not a department code; "
     "did you mean engineering?"),
    ("ladder of a ghost", "[escalation]\nladders = { ghost = ['property_manager'] }",
     "escalation.ladders.ghost: 'ghost' is not a department code; known: cleaning, "
     "customer_service, developer, engineering, external, finance, landscaping, security"),
    ("ladder role", "[escalation]\nladder = ['boss']",
     "escalation.ladder[0]: must be 'department_head', 'property_manager', "
     "'regional_manager' or 'member', got 'boss'"),
    ("staff hours", "[escalation]\nstaff_hours = '9-18'",
     "escalation.staff_hours: '9' is not a time of day HH:MM between 00:00 and 23:59"),
    ("calendar date", "[calendar]\nholidays = ['31/12/2025']",
     "calendar.holidays[0]: '31/12/2025' is not a date YYYY-MM-DD"),
    ("date and time", "[calendar]\nholidays = [2025-12-31T10:00:00]",
     "calendar.holidays[0]: 2025-12-31T10:00:00 is a date and time, not a date YYYY-MM-DD"),
    ("time zone", "[company]\ntimezone = 'Mars/Base'\nticket_prefix = 'TS'",
     "company.timezone: unknown time zone 'Mars/Base' (expected e.g. Asia/Shanghai)"),
    ("ticket prefix", "[company]\ntimezone = 'Asia/Shanghai'\nticket_prefix = 'T-S'",
     "company.ticket_prefix: must be 1-10 letters and digits, starting with a letter, "
     "got 'T-S'"),
    ("password variable", SOURCE.replace('"IMAP_PASSWORD"', '"hunter 2"'),
     "sources[0].password_env: must be an environment variable name like IMAP_PASSWORD, "
     "got 'hunter 2'"),
    ("duplicate source", SOURCE + SOURCE, "sources[1].name: 'mail' is used twice"),
    ("duplicate department", "[[departments]]\ncode = 'customer_service'\nname = 'A'\n"
     "[[departments]]\ncode = 'customer_service'\nname = 'B'\n"
     "[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\n"
     "x = { category = 'c', department = 'customer_service' }",
     "departments[1].code: 'customer_service' is used twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line"), [case[1:] for case in WRONG_VALUES], ids=[case[0] for case in WRONG_VALUES]
)
def test_a_wrong_type_or_range_names_the_key(
    make_config: Callable[[str], Config], text: str, line: str
) -> None:
    assert problems(make_config, text) == [line]


def test_several_problems_are_reported_together_one_per_line(
    make_config: Callable[[str], Config],
) -> None:
    text = (
        "[compnay]\n[routing]\nfallback_department = 'customer_service'\n"
        "review_treshold = 0.9\nassignment = 'random'\n"
        + SOURCE.replace("host =", "hots =").replace("port = 993", "port = 'x'")
    )
    assert sorted(problems(make_config, text)) == sorted([
        "compnay: unknown key; did you mean company?",
        "routing.review_treshold: unknown key; did you mean review_threshold?",
        "routing.assignment: must be 'least_open', 'round_robin' or 'none', got 'random'",
        "sources[0].hots: unknown key; did you mean host?",
        "sources[0].port: must be an integer, got 'x'",
    ])  # fmt: skip


def test_a_flood_of_problems_is_cut_short(make_config: Callable[[str], Config]) -> None:
    lines = problems(make_config, "[[departments]]\ncode = 'a'\nname = 'A'\n")
    assert len(lines) == 21
    assert lines[-1].startswith("... and ")
    assert lines[-1].endswith(" more problems")


STAFF = [
    ("member without department", "code = 'a'", "staff[0].department: required for role 'member'"),
    ("head without department", "code = 'a'\nrole = 'department_head'",
     "staff[0].department: required for role 'department_head'"),
    ("unknown role", "code = 'a'\nrole = 'boss'\ndepartment = 'engineering'",
     "staff[0].role: must be 'member', 'department_head', 'property_manager', "
     "'regional_manager', 'desk' or 'admin', got 'boss'"),
    ("misspelt department", "code = 'a'\ndepartment = 'enginering'",
     "staff[0].department: 'enginering' is not a department code; did you mean engineering?"),
    ("bad hours", "code = 'a'\nrole = 'desk'\nworking_hours = '09:00-12:00,11:00-13:00'",
     "staff[0].working_hours: working periods 09:00-12:00 and 11:00-13:00 overlap or are "
     "unsorted"),
    ("bad phone", "code = 'a'\nrole = 'admin'\nphone = 'call me'",
     "staff[0].phone: must be a phone number like +8613800000001, got 'call me'"),
    ("bad email", "code = 'a'\nrole = 'admin'\nemail = 'nobody'",
     "staff[0].email: must be an email address, got 'nobody'"),
    ("on duty", "code = 'a'\nrole = 'admin'\non_duty = 'no'",
     "staff[0].on_duty: must be true or false, got 'no'"),
    ("empty code", "code = ''\nrole = 'admin'", "staff[0].code: must not be empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "line"), [case[1:] for case in STAFF], ids=[case[0] for case in STAFF]
)
def test_staff_entries_are_checked(
    make_config: Callable[[str], Config], entry: str, line: str
) -> None:
    assert problems(make_config, f"[[staff]]\n{entry}") == [line]


def test_staff_codes_are_unique(make_config: Callable[[str], Config]) -> None:
    entry = "[[staff]]\ncode = 'a'\nrole = 'admin'\n"
    assert problems(make_config, entry * 2) == ["staff[1].code: 'a' is used twice"]


def test_staff_roles_hours_and_departments(make_config: Callable[[str], Config]) -> None:
    config = make_config(
        "[[staff]]\ncode = 'desk.1'\nrole = 'desk'\nworking_hours = '08:30-12:00,13:00-20:00'\n"
        "[[staff]]\ncode = 'root'\nname = '管理员'\nrole = 'admin'\n"
        "[[staff]]\ncode = 'desk.2'\nrole = 'desk'\ndepartment = 'customer_service'\n"
        "[[staff]]\ncode = 'w'\ndepartment = 'engineering'\nphone = '+8613800000003'\n"
        "email = 'w@property.example'\non_duty = false\n"
    )
    desk, admin, desk2, member = config.staff
    assert (desk.role, desk.department, desk.working_hours) == (
        "desk",
        None,
        "08:30-12:00,13:00-20:00",
    )
    assert (admin.name, admin.role, admin.department, admin.working_hours) == (
        "管理员",
        "admin",
        None,
        None,
    )
    assert desk2.department == "customer_service"
    assert (member.name, member.role, member.on_duty, member.phone) == (
        "w",
        "member",
        False,
        "+8613800000003",
    )


def test_routing_rules_match_on_every_key_the_router_knows() -> None:
    assert tuple(RoutingMatch.model_fields) == MATCH_KEYS


def test_defaults_give_level_2_its_own_deadlines(make_config: Callable[[str], Config]) -> None:
    config = make_config("")
    level_2 = next(rule for rule in config.sla.rules if rule.level == 2)
    assert level_2.policy.first_response == Budget.clock(timedelta(hours=12))
    assert level_2.policy.closure == Budget.working_days(3)
    assert [rule.policy.name for rule in config.sla.rules] == ["emergency", "level-2"]


def test_values_reach_the_config(make_config: Callable[[str], Config]) -> None:
    config = make_config(
        SOURCE + "tls = false\nfolder = 'Complaints'\npoll_interval_seconds = 2.5\n"
        "[routing]\nfallback_department = 'customer_service'\nreview_threshold = 0\n"
        "assignment = 'round_robin'\n[[routing.rules]]\ndepartment = 'developer'\n"
        "match = { scope = 2, community = '翠园' }\n"
        "[calendar]\ntime_zone = 'Asia/Urumqi'\nworking_hours = '09:00-18:00'\n"
        "weekday_hours = { sat = '09:00-12:00' }\n"
        "[escalation]\nreescalate_after_minutes = 30\nstaff_hours = '08:00-20:00'\n"
        "ladders = { developer = ['property_manager'] }\n"
        "[dedupe]\nseries_min_reporters = 5\n"
    )
    source = config.source("mail")
    assert (source.tls, source.folder, source.poll_interval) == (
        False, "Complaints", timedelta(seconds=2.5)
    )  # fmt: skip
    assert config.routing.review_threshold == 0
    assert config.routing.assignment == "round_robin"
    assert config.routing.rules[0].name == "rule0"
    assert dict(config.routing.rules[0].match) == {"scope": 2, "community": "翠园"}
    assert str(config.calendar.zone) == "Asia/Urumqi"
    assert config.calendar.hours is not None
    assert config.calendar.hours.for_weekday(5) == parse_working_hours("09:00-12:00")
    assert config.staff_calendar.hours is not None
    assert config.staff_calendar.hours.for_weekday(5) == parse_working_hours("08:00-20:00")
    assert config.escalation.for_department("developer").steps == ("property_manager",)
    assert config.escalation.interval == timedelta(minutes=30)
    assert config.dedupe.series_min_reporters == 5
