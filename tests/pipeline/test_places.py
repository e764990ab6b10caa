from __future__ import annotations

import pytest

from plaint.pipeline.places import Place, extract_place


@pytest.mark.parametrize(
    ("text", "building", "unit", "room"),
    [
        ("3号楼2单元1201", "3", "2", "1201"),
        ("3栋2单元1201室", "3", "2", "1201"),
        ("5幢1101", "5", None, "1101"),
        ("三号楼", "3", None, None),
        ("十二栋3单元502漏水", "12", "3", "502"),
        ("二十三号楼二单元", "23", "2", None),
        ("3#楼1单元301", "3", "1", "301"),
        ("3-2-1201", "3", "2", "1201"),
        ("住在3-2-1201室，水管爆了", "3", "2", "1201"),
        ("B座1201", "B", None, "1201"),
        ("b栋 302", "B", None, "302"),
        ("3号楼 2单元 1201室", "3", "2", "1201"),
        ("3号楼的1201室", "3", None, "1201"),
        ("３号楼１２０１室", "3", None, "1201"),
        ("10:30在7号楼门口", "7", None, None),
        ("3号楼1200元", "3", None, None),
        ("二单元电梯坏了", None, "2", None),
        ("1201室楼上漏水", None, None, "1201"),
        ("Bldg 3 Apt 1201", "3", None, "1201"),
        ("Building 8", "8", None, None),
        ("The lift in Building 8.", "8", None, None),
        ("unit 6-402", "6", None, "402"),
        ("Block C, flat 12", "C", None, "12"),
        ("Tower B entrance 2 room 1502", "B", "2", "1502"),
        ("I live in Apt. 12B.", None, None, "12B"),
        ("bldg. #5", "5", None, None),
    ],
)
def test_extract_place_reads_an_address(
    text: str, building: str | None, unit: str | None, room: str | None
) -> None:
    assert extract_place(text) == Place(building, unit, room)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3号",
        "3号来修一下",
        "3楼漏水",
        "11月3号楼下很吵",
        "3号楼道很脏",
        "这十二栋楼都停水",
        "同一单元的邻居",
        "电话13800138000",
        "电话138-0013-8000",
        "热线400-820-8820",
        "2026-03-05",
        "3-2-2026",
        "2026年3月5日",
        "物业费2.5元每平",
        "交了1200元",
        "9点半停水",
        "10:30",
        "building a fence",
        "no room for 2 cars",
        "the flat 2.5 rate",
        "1201",
        "call 650-253-0000",
    ],
)
def test_extract_place_ignores_numbers_that_are_not_places(text: str) -> None:
    assert extract_place(text) is None


def test_place_is_a_frozen_value() -> None:
    place = Place("3", None, "1201")
    with pytest.raises(AttributeError):
        place.building = "4"  # type: ignore[misc]
