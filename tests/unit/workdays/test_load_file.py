"""The calendar load file: CSV, UTF-8, ``date,kind,name``; bad rows named by row and field."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.workdays.files import SCHEDULE_2027, calendar_csv
from utilcredit.errors import InvalidInputError
from utilcredit.workdays.model import (
    CalendarDay,
    CalendarFileError,
    RowProblem,
    parse_calendar_file,
)


def problems(data: bytes) -> list[tuple[int | None, str | None]]:
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(data)
    return [(p.row, p.field) for p in caught.value.problems]


def test_a_schedule_parses_in_date_order_with_its_years() -> None:
    parsed = parse_calendar_file(SCHEDULE_2027)
    assert parsed.years == (2027,)
    assert len(parsed.days) == 22
    assert parsed.days[0] == CalendarDay(dt.date(2027, 1, 1), False, "元旦")
    assert CalendarDay(dt.date(2027, 2, 20), True, "春节调休上班") in parsed.days
    assert [d.day for d in parsed.days] == sorted(d.day for d in parsed.days)


def test_bom_blank_lines_spaces_case_and_rows_out_of_order_are_accepted() -> None:
    data = "\ufeffDate, Kind ,NAME\r\n2028-01-03,Holiday , 元旦 \r\n\r\n2027-12-31,WORKDAY,调休上班\r\n"
    parsed = parse_calendar_file(data.encode("utf-8"))
    assert parsed.days == (
        CalendarDay(dt.date(2027, 12, 31), True, "调休上班"),
        CalendarDay(dt.date(2028, 1, 3), False, "元旦"),
    )
    assert parsed.years == (2027, 2028)  # every year a file touches


def test_bad_rows_are_named_by_row_and_field() -> None:
    data = (
        calendar_csv(
            [
                ("2027-01-01", "holiday", "元旦"),  # row 2
                ("2027-02-30", "holiday", "春节"),  # row 3: no such date
                ("2027-02-06", "rest", "春节"),  # row 4: kind
                ("2027-02-07", "holiday", " "),  # row 5: name
                ("2027-01-01", "workday", "调休上班"),  # row 6: duplicate of row 2
                ("27-1-1", "holiday", "元旦"),  # row 7: not YYYY-MM-DD
                ("1999-10-01", "holiday", "国庆节"),  # row 8: year out of range
                ("2027-03-01", "holiday", "x" * 65),  # row 9: name too long
            ]
        )
        + b"2027-03-02,holiday\n"
    )  # row 10: two fields
    assert problems(data) == [
        (3, "date"),
        (4, "kind"),
        (5, "name"),
        (6, "date"),
        (7, "date"),
        (8, "date"),
        (9, "name"),
        (10, None),
    ]


def test_the_error_is_bilingual_invalid_input_with_row_and_field() -> None:
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(calendar_csv([("2027-01-01", "rest", "元旦")]))
    error = caught.value
    assert isinstance(error, InvalidInputError)
    assert error.code == "calendar_file_invalid"
    assert error.problems == (
        RowProblem(
            2,
            "kind",
            "类型无效：'rest'（应为 holiday 放假 或 workday 上班） / invalid kind 'rest' "
            "(expected holiday or workday)",
        ),
    )
    assert "第 2 行 / row 2 · kind" in str(error)
    assert "nothing loaded" in str(error) and "未加载" in str(error)


def test_a_name_may_not_hold_a_line_break_but_may_hold_a_full_width_space() -> None:
    assert problems(b'date,kind,name\n2027-01-01,holiday,"a\nb"\n') == [(3, "name")]
    parsed = parse_calendar_file(calendar_csv([("2027-01-01", "holiday", "元旦\u3000假期")]))
    assert parsed.days[0].name == "元旦\u3000假期"


def test_a_duplicate_names_the_first_row() -> None:
    with pytest.raises(CalendarFileError, match="the same date as row 2"):
        parse_calendar_file(
            calendar_csv([("2027-01-01", "holiday", "元旦"), ("2027-01-01", "holiday", "元旦")])
        )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"day,kind,name\n2027-01-01,holiday,x\n", [(1, None)]),
        (b"", [(1, None)]),
        (b"date,kind,name\n", [(None, None)]),  # no days: nothing to load
        (b"date,kind,name\n\n\n", [(None, None)]),
        ("date,kind,name\n2027-01-01,holiday,元旦\n".encode("gbk"), [(None, None)]),
        (b'date,kind,name\n2027-01-01,holiday,"unterminated\n', [(2, None)]),
    ],
)
def test_files_that_are_not_a_calendar(
    data: bytes, expected: list[tuple[int | None, str | None]]
) -> None:
    assert problems(data) == expected


def test_many_problems_are_summarised() -> None:
    rows = [(f"2027-01-{day:02d}", "bad", "x") for day in range(1, 31)]
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar_file(calendar_csv(rows))
    assert len(caught.value.problems) == 30
    assert "and 10 more" in str(caught.value)
    assert "row 21" in str(caught.value) and "row 22" not in str(caught.value)
