"""The rule engine on the shipped default taxonomy: a table of plain values."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plaint.config import Config, load_config
from plaint.errors import ConfigError
from plaint.pipeline.classify import Rule, Taxonomy, classify

TAXONOMY = load_config(None).taxonomy


@pytest.mark.parametrize(
    ("text", "sub_topic", "department", "category", "urgency"),
    [
        ("电梯又坏了，三号楼，困了人", "lift", "engineering", "facility", "emergency"),
        ("卫生间天花板一直在滴水，楼上漏水", "water_leak", "engineering", "facility", "normal"),
        ("7号楼停水了，什么时候恢复", "water_supply", "engineering", "facility", "emergency"),
        ("晚上广场舞噪音太大，严重扰民", "noise", "security", "management", "normal"),
        ("消防通道被私家车占用", "parking", "security", "management", "normal"),
        ("垃圾桶满了两天没人清运", "garbage", "cleaning", "service", "normal"),
        ("物业费为什么涨价，收费不透明", "property_fee", "finance", "fee", "normal"),
        ("前台工作人员态度很差", "staff_attitude", "customer_service", "service", "normal"),
        ("客厅墙面出现裂缝，交房才一年", "construction_defect", "developer", "facility", "normal"),
        ("The lift in Building 8 is broken", "lift", "engineering", "facility", "normal"),
        ("Someone is trapped in the elevator!", "lift", "engineering", "facility", "emergency"),
        ("Please send an invoice for my parking payment", "invoice", "finance", "fee", "normal"),
        ("Dogs off the lead near the playground", "pets", "security", "management", "normal"),
        ("I smell gas in the stairwell", "gas", "engineering", "facility", "emergency"),
    ],
)
def test_default_rules_pick_the_owner(
    text: str, sub_topic: str, department: str, category: str, urgency: str
) -> None:
    result = classify(text, taxonomy=TAXONOMY)
    assert (result.sub_topic, result.department, result.category, result.urgency) == (
        sub_topic,
        department,
        category,
        urgency,
    )
    assert result.validity == "valid"
    assert sub_topic in result.rules


def test_construction_defects_are_scope_two() -> None:
    assert classify("外墙开裂渗水，房子质量问题", taxonomy=TAXONOMY).scope == 2


@pytest.mark.parametrize(
    ("text", "validity"),
    [("", "invalid"), ("   ", "invalid"), ("测试", "invalid"), ("电梯坏了", "valid")],
)
def test_empty_and_test_messages_are_invalid(text: str, validity: str) -> None:
    assert classify(text, taxonomy=TAXONOMY).validity == validity


def test_repeat_complaints_are_level_two() -> None:
    assert classify("电梯又坏了，这是第三次了", taxonomy=TAXONOMY).level == 2
    assert classify("电梯坏了", taxonomy=TAXONOMY).level == 1


def test_unmatched_text_falls_back_with_low_confidence() -> None:
    result = classify("请问你们几点下班", taxonomy=TAXONOMY)
    assert result.sub_topic == "other"
    assert result.rules == ()
    assert result.confidence < 0.3


def test_more_keyword_hits_win_and_ties_go_to_the_first_mentioned() -> None:
    taxonomy = Taxonomy(
        sub_topics={"a": ("c", "d1", 1), "b": ("c", "d2", 1), "z": ("c", "d3", 1)},
        rules=(Rule("a", ("xx",), sub_topic="a"), Rule("b", ("yy", "ww"), sub_topic="b")),
        fallback_sub_topic="z",
    )
    assert classify("xx yy ww", taxonomy=taxonomy).sub_topic == "b"
    assert classify("yy then xx", taxonomy=taxonomy).sub_topic == "b"
    assert classify("xx then yy", taxonomy=taxonomy).sub_topic == "a"
    contested = classify("xx then yy", taxonomy=taxonomy).confidence
    assert contested < classify("xx", taxonomy=taxonomy).confidence


def _taxonomy(*rules: Rule) -> Taxonomy:
    return Taxonomy(
        sub_topics={"a": ("c", "d1", 1), "b": ("c", "d2", 1), "z": ("c", "d3", 1)},
        rules=rules,
        fallback_sub_topic="z",
    )


@pytest.mark.parametrize(
    ("text", "fired"),
    [
        ("bin here", ("a",)),
        ("a cabinet", ()),
        ("my e-bike, charging", ("b",)),
        ("ebike", ()),
        ("power's out", ("a",)),
        ("5栋的bin满了", ("a",)),
        ("BIN", ("a",)),
        ("垃圾桶", ("b",)),
    ],
)
def test_ascii_keywords_match_whole_words_and_chinese_ones_substrings(
    text: str, fired: tuple[str, ...]
) -> None:
    taxonomy = _taxonomy(
        Rule("a", ("bin", "power"), sub_topic="a"), Rule("b", ("e-bike", "垃圾"), sub_topic="b")
    )
    assert classify(text, taxonomy=taxonomy).rules == fired


@pytest.mark.parametrize(
    ("text", "urgency"),
    [("xx now", "emergency"), ("xx fixed", "normal"), ("xx 已修好", "normal"), ("yy", "normal")],
)
def test_unless_keywords_stop_a_rule_firing(text: str, urgency: str) -> None:
    taxonomy = _taxonomy(Rule("e", ("xx",), urgency="emergency", unless=("fixed", "已修好")))
    assert classify(text, taxonomy=taxonomy).urgency == urgency


@pytest.mark.parametrize(
    ("text", "sub_topic", "department", "scope"),
    [
        ("xx", "a", "d1", 1),
        ("xx outside", "a", "far", 3),
        ("outside", "z", "far", 3),
        ("yy outside", "b", "far", 3),
    ],
)
def test_a_rule_may_set_department_and_scope(
    text: str, sub_topic: str, department: str, scope: int
) -> None:
    taxonomy = _taxonomy(
        Rule("a", ("xx",), sub_topic="a"),
        Rule("b", ("yy",), sub_topic="b"),
        Rule("out", ("outside",), department="far", scope=3),
    )
    result = classify(text, taxonomy=taxonomy)
    assert (result.sub_topic, result.department, result.scope) == (sub_topic, department, scope)


@pytest.mark.parametrize(
    ("text", "sub_topic", "validity"),
    [
        ("xx here", "a", "valid"),
        ("xx promo offer", "z", "invalid"),  # the advertising rule outweighs the topic
        ("xx xy promo", "a", "valid"),  # the topic outweighs a passing mention
        ("hello", "z", "valid"),
    ],
)
def test_the_winning_topic_rule_decides_validity(text: str, sub_topic: str, validity: str) -> None:
    taxonomy = _taxonomy(
        Rule("a", ("xx", "xy"), sub_topic="a"),
        Rule("ad", ("promo", "offer"), sub_topic="z", validity="invalid"),
    )
    result = classify(text, taxonomy=taxonomy)
    assert (result.sub_topic, result.validity) == (sub_topic, validity)


@pytest.mark.parametrize("text", ["", "111", "？？？", "哈哈哈哈哈", "aaaa", "滚"])
def test_fewer_than_two_distinct_letters_are_invalid(text: str) -> None:
    assert classify(text, taxonomy=TAXONOMY).validity == "invalid"


@pytest.mark.parametrize(
    ("text", "sub_topic", "department", "scope", "urgency"),
    [
        ("供电局线路故障，整个片区停电了", "power", "external", 3, "emergency"),
        ("State Grid cut the power to the whole district", "power", "external", 3, "normal"),
        ("小区外面的地铁工地通宵打桩", "noise", "external", 3, "normal"),
        ("楼道灯不亮，不是急事", "public_facility", "engineering", 1, "normal"),
        ("停电的问题已经修好了，谢谢", "power", "engineering", 1, "normal"),
        ("烟感误报，根本没着火", "fire_safety", "engineering", 1, "normal"),
        ("Not urgent: the hallway light flickers", "public_facility", "engineering", 1, "normal"),
        ("电动车在楼道充电，着火了谁负责", "fire_safety", "engineering", 1, "normal"),
        ("地下车库有老鼠", "pest", "cleaning", 1, "normal"),
        ("卫生间地砖空鼓", "construction_defect", "developer", 2, "normal"),
        ("Karaoke next door every night", "noise", "security", 1, "normal"),
    ],
)
def test_default_rules_route_outside_work_and_calm_texts(
    text: str, sub_topic: str, department: str, scope: int, urgency: str
) -> None:
    result = classify(text, taxonomy=TAXONOMY)
    assert (result.sub_topic, result.department, result.scope, result.urgency) == (
        sub_topic,
        department,
        scope,
        urgency,
    )


@pytest.mark.parametrize(
    ("text", "validity"),
    [
        ("专业疏通下水道，24小时上门，加微信", "invalid"),
        ("下水道堵了，污水往上冒", "valid"),
        ("单元门口贴满了疏通下水道的小广告", "valid"),
        ("You've won! Click the link to claim your prize", "invalid"),
    ],
)
def test_default_rules_tell_advertising_from_complaints_about_it(text: str, validity: str) -> None:
    assert classify(text, taxonomy=TAXONOMY).validity == validity


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("12栋停水，已有多户来电反映", 2),
        ("老人在电梯里摔伤了", 2),
        ("Reported it twice, nothing happened", 2),
        ("12栋停水", 1),
    ],
)
def test_serial_reports_and_harm_are_level_two(text: str, level: int) -> None:
    assert classify(text, taxonomy=TAXONOMY).level == level


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("keywords = ['x']\ndepartment = 'ghost'", r"taxonomy.rules\[0\].department"),
        ("keywords = ['x']\nscope = 'far'", r"taxonomy.rules\[0\].scope"),
        ("keywords = ['x']\nunless = 'y'", r"taxonomy.rules\[0\].unless"),
    ],
)
def test_bad_rule_options_name_the_key(
    make_config: Callable[[str], Config], rule: str, message: str
) -> None:
    text = (
        "[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\n"
        "x = { category = 'c', department = 'engineering' }\n"
        f"[[taxonomy.rules]]\nname = 'r'\n{rule}"
    )
    with pytest.raises(ConfigError, match=message):
        make_config(text)


def test_a_rule_table_reads_department_scope_and_unless(
    make_config: Callable[[str], Config],
) -> None:
    taxonomy = make_config(
        "[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\n"
        "x = { category = 'c', department = 'engineering' }\n[[taxonomy.rules]]\nname = 'r'\n"
        "keywords = ['Road Works']\ndepartment = 'external'\nscope = 3\nunless = ['Finished']"
    ).taxonomy
    assert taxonomy.rules == (
        Rule("r", ("road works",), department="external", scope=3, unless=("finished",)),
    )
    assert classify("road works outside", taxonomy=taxonomy).department == "external"
    assert classify("road works finished", taxonomy=taxonomy).department == "engineering"


@pytest.mark.parametrize(
    ("text", "validity", "below_review"),
    [
        ("公司拖欠员工工资三个月，社保也没交", "invalid", False),  # wages, social insurance
        ("孩子学校周末补课，老师收费", "invalid", False),
        ("小区业主反映：物业拖欠保洁员工资，楼道没人打扫", "valid", False),  # anchors win
        ("电梯坏了", "valid", False),  # a topic, short: about the property
        ("请问你们几点下班", "invalid", True),  # nothing to go on: the desk decides
        ("I was overcharged on my credit card and the bank will not refund me", "invalid", False),
    ],
)
def test_relevance_is_decided_with_a_confidence(
    text: str, validity: str, below_review: bool
) -> None:
    result = classify(text, taxonomy=TAXONOMY)
    assert result.validity == validity
    assert (result.confidence < 0.3) == below_review


def test_a_long_letter_that_names_no_home_or_estate_is_unrelated() -> None:
    letter = (
        "关于县城主干道红绿灯配时不合理的建议：" + "早晚高峰车辆排队很长，行人过街时间太短。" * 4
    )
    assert classify(letter, taxonomy=TAXONOMY).validity == "invalid"
    ours = "小区楼道灯坏了一个月：" + "晚上业主回家看不见路，老人已经摔倒过。" * 4
    assert classify(ours, taxonomy=TAXONOMY).validity == "valid"


@pytest.mark.parametrize(
    ("text", "department", "scope"),
    [
        ("开发商延期交房一年，房产证也办不下来", "developer", 2),
        ("维修基金被开发商挪用", "developer", 2),
        ("小区旁边工地夜间施工打桩，吵得睡不着", "external", 3),
        ("自来水公司管道改造后小区水压一直很低", "external", 3),
        ("物业收的停车费太贵了", "finance", 1),
    ],
)
def test_the_heaviest_remit_rule_decides_scope(text: str, department: str, scope: int) -> None:
    result = classify(text, taxonomy=TAXONOMY)
    assert (result.department, result.scope) == (department, scope)


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("小区长期停水，至今没水，全小区都没法做饭", "emergency"),
        ("我们小区经常停电，去年停过好几次，希望改善供电", "normal"),  # a pattern, past
        ("开发商擅自关停电梯，业主只能爬楼", "normal"),  # 关停电梯 is not 停电
    ],
)
def test_emergencies_are_weighed_against_calming_words(text: str, urgency: str) -> None:
    assert classify(text, taxonomy=TAXONOMY).urgency == urgency


def test_the_subject_line_outweighs_passing_mentions_in_the_body() -> None:
    letter = "物业乱收停车费\n我们小区电梯、绿化、保洁、垃圾都有问题，但今天只说收费。"
    assert classify(letter, taxonomy=TAXONOMY).sub_topic == "utility_fee"


def test_a_subject_cut_from_the_body_weighs_nothing_more() -> None:
    assert (
        classify("地下车库消防\n地下车库消防通道被占用", taxonomy=TAXONOMY).sub_topic == "parking"
    )
