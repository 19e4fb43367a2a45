"""Working days on the library's data, on loaded years, and with the table's corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.workdays.files import SCHEDULE_2027
from utilcredit.errors import InvalidInputError
from utilcredit.workdays.model import (
    CalendarDay,
    DaySource,
    Library,
    ShownDay,
    UnknownCalendarYearError,
    WorkingCalendar,
    parse_calendar_file,
)
from utilcredit.workdays.statutory import library

D = dt.date


def up_to_2026() -> Library:
    """The library as of version 1.11 (2004–2026), whatever version is installed: the tests
    about a year nobody has loaded use 2027."""
    full = library()
    return Library(
        {day: entry for day, entry in full.days.items() if day.year <= 2026},
        frozenset(year for year in full.years if year <= 2026),
        full.label,
    )


LIBRARY = up_to_2026()
PLAIN = WorkingCalendar(LIBRARY)


def with_2027() -> WorkingCalendar:
    parsed = parse_calendar_file(SCHEDULE_2027)
    return WorkingCalendar(LIBRARY, parsed.days, parsed.years)


# ---- the library's 2026 -----------------------------------------------------------------


def test_national_day_2026() -> None:
    assert PLAIN.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert PLAIN.is_working_day(D(2026, 10, 10))  # a Saturday: 调休上班
    assert D(2026, 10, 10).weekday() == 5
    assert PLAIN.is_working_day(D(2026, 9, 20))  # a Sunday: 调休上班
    assert not any(PLAIN.is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert PLAIN.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3  # 8th, 9th, 10th


def test_the_librarys_spring_festival_2026() -> None:
    """The library's February 2026, written out: 春节 15–23 (Sunday to Monday), adjusted
    working Saturdays on the 14th and the 28th."""
    working = {D(2026, 2, day) for day in range(1, 29) if PLAIN.is_working_day(D(2026, 2, day))}
    holidays = {D(2026, 2, day) for day in range(15, 24)}
    weekends = {D(2026, 2, day) for day in (1, 7, 8)}  # the ordinary weekend days left
    assert working == {D(2026, 2, day) for day in range(1, 29)} - holidays - weekends
    assert D(2026, 2, 14) in working and D(2026, 2, 28) in working
    assert [PLAIN.named(D(2026, 2, day)) for day in (14, 15, 23, 28)] == [
        ShownDay(D(2026, 2, 14), True, "春节调休上班", DaySource.LIBRARY),
        ShownDay(D(2026, 2, 15), False, "春节", DaySource.LIBRARY),
        ShownDay(D(2026, 2, 23), False, "春节", DaySource.LIBRARY),
        ShownDay(D(2026, 2, 28), True, "春节调休上班", DaySource.LIBRARY),
    ]


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → the adjusted Saturday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # then nine days of Spring Festival
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),  # the second adjusted Saturday
        (D(2026, 2, 13), 7, D(2026, 3, 2)),
        (D(2026, 2, 12), 3, D(2026, 2, 24)),  # objection decision style: 5, repair accept: 3
        (D(2026, 2, 15), 1, D(2026, 2, 24)),  # from inside the holiday
        (D(2026, 2, 10), 10, D(2026, 3, 2)),
    ],
)
def test_deadlines_across_spring_festival_2026(start: dt.date, n: int, due: dt.date) -> None:
    assert PLAIN.add_working_days(start, n) == due
    assert PLAIN.working_days_between(start, due) == n


def test_zero_working_days() -> None:
    assert PLAIN.add_working_days(D(2026, 2, 14), 0) == D(2026, 2, 14)  # a working day: itself
    assert PLAIN.add_working_days(D(2026, 2, 15), 0) == D(2026, 2, 24)  # a holiday: the next
    assert PLAIN.working_days_between(D(2026, 2, 24), D(2026, 2, 24)) == 0


def test_counting_backwards_is_negative() -> None:
    assert PLAIN.working_days_between(D(2026, 3, 2), D(2026, 2, 13)) == -7
    with pytest.raises(InvalidInputError, match="negative"):
        PLAIN.add_working_days(D(2026, 2, 13), -1)


# ---- years nobody has loaded ------------------------------------------------------------


def test_2027_is_unknown_without_a_load() -> None:
    with pytest.raises(UnknownCalendarYearError) as caught:
        PLAIN.add_working_days(D(2026, 12, 31), 1)
    error = caught.value
    assert error.year == 2027
    assert error.code == "calendar_year_unknown"
    assert isinstance(error, InvalidInputError)
    assert "2027" in str(error) and "utilcredit calendar load FILE" in str(error)
    assert " / " in str(error)  # Chinese / English
    with pytest.raises(UnknownCalendarYearError, match="2027"):
        PLAIN.is_working_day(D(2027, 3, 1))
    with pytest.raises(UnknownCalendarYearError, match="2027"):
        PLAIN.working_days_between(D(2026, 12, 1), D(2027, 1, 5))
    with pytest.raises(UnknownCalendarYearError, match="2027"):
        PLAIN.days_of_year(2027)
    with pytest.raises(UnknownCalendarYearError, match="2003"):
        PLAIN.working_days_between(D(2004, 1, 5), D(2003, 12, 1))


def test_the_last_day_of_a_known_year_needs_nothing_after_it() -> None:
    assert PLAIN.add_working_days(D(2026, 12, 30), 1) == D(2026, 12, 31)
    assert PLAIN.working_days_between(D(2026, 12, 31), D(2026, 12, 31)) == 0


def test_a_loaded_2027_counts() -> None:
    calendar = with_2027()
    assert 2027 in calendar.known_years
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 15)
    assert calendar.add_working_days(D(2027, 2, 5), 6) == D(2027, 2, 20)  # adjusted Saturday
    assert calendar.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 8)
    assert calendar.is_working_day(D(2027, 10, 9))
    assert calendar.is_working_day(D(2027, 3, 1)) and not calendar.is_working_day(D(2027, 3, 6))
    with pytest.raises(UnknownCalendarYearError, match="2028"):
        calendar.add_working_days(D(2027, 12, 30), 2)


def test_a_single_correction_does_not_make_its_year_known() -> None:
    calendar = WorkingCalendar(LIBRARY, [CalendarDay(D(2027, 1, 1), False, "元旦")])
    with pytest.raises(UnknownCalendarYearError, match="2027"):
        calendar.is_working_day(D(2027, 1, 4))


# ---- the table over the library ---------------------------------------------------------


def test_table_entries_override_the_library() -> None:
    calendar = WorkingCalendar(
        LIBRARY,
        [
            CalendarDay(D(2026, 10, 8), False, "国庆节（更正）"),
            CalendarDay(D(2026, 10, 10), False, "取消调休"),
            CalendarDay(D(2026, 10, 7), True, "上班"),
        ],
    )
    assert not calendar.is_working_day(D(2026, 10, 8))
    assert not calendar.is_working_day(D(2026, 10, 10))
    assert calendar.is_working_day(D(2026, 10, 7))
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 7)
    assert calendar.add_working_days(D(2026, 10, 7), 1) == D(2026, 10, 9)
    assert calendar.add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 12)
    assert calendar.named(D(2026, 10, 10)) == ShownDay(
        D(2026, 10, 10), False, "取消调休", DaySource.TABLE
    )
    assert calendar.named(D(2026, 10, 6)) == ShownDay(
        D(2026, 10, 6), False, "国庆节", DaySource.LIBRARY
    )


def test_a_year_loaded_over_a_library_year_keeps_the_librarys_other_days() -> None:
    """A load that touches a library year (e.g. next year's notice moving 12-31) replaces the
    table's entries of that year, not the library's days."""
    calendar = WorkingCalendar(LIBRARY, [CalendarDay(D(2026, 12, 31), False, "元旦")], [2026])
    assert not calendar.is_working_day(D(2026, 12, 31))
    assert not calendar.is_working_day(D(2026, 10, 1))
    assert calendar.is_working_day(D(2026, 10, 10))


def test_days_of_year_lists_the_named_days_with_their_source() -> None:
    calendar = WorkingCalendar(LIBRARY, [CalendarDay(D(2026, 10, 10), False, "取消调休")])
    shown = calendar.days_of_year(2026)
    by_day = {d.day: d for d in shown}
    assert [d.day for d in shown] == sorted(by_day)
    assert by_day[D(2026, 10, 10)] == ShownDay(D(2026, 10, 10), False, "取消调休", DaySource.TABLE)
    assert by_day[D(2026, 2, 14)].source == DaySource.LIBRARY
    assert by_day[D(2026, 10, 3)] == ShownDay(D(2026, 10, 3), False, "国庆节", DaySource.LIBRARY)
    assert D(2026, 10, 8) not in by_day  # an ordinary Thursday
    assert {d.day.year for d in shown} == {2026}
    loaded = with_2027().days_of_year(2027)
    assert len(loaded) == 22 and {d.source for d in loaded} == {DaySource.TABLE}


# ---- properties -------------------------------------------------------------------------

CORRECTIONS = st.dictionaries(
    st.dates(D(2025, 1, 1), D(2026, 12, 31)), st.booleans(), max_size=40
).map(lambda days: [CalendarDay(day, working, "更正") for day, working in days.items()])


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(D(2004, 1, 1), D(2026, 8, 31)),
    n=st.integers(0, 60),
    corrections=st.one_of(st.just([]), CORRECTIONS),
)
def test_adding_and_counting_agree(start: dt.date, n: int, corrections: list[CalendarDay]) -> None:
    calendar = WorkingCalendar(LIBRARY, corrections)
    due = calendar.add_working_days(start, n)
    assert calendar.is_working_day(due)
    counted = calendar.working_days_between(start, due)
    if n > 0 or calendar.is_working_day(start):
        assert counted == n
    else:
        assert counted == 1  # n = 0 from a rest day: the next working day
    assert calendar.working_days_between(due, start) == -counted
    later = calendar.add_working_days(start, n + 1)
    assert later > due if n > 0 or calendar.is_working_day(start) else later == due
    if n == 1:  # the first working day after start: only rest days in between
        between = (start + dt.timedelta(days=k) for k in range(1, (due - start).days))
        assert not any(calendar.is_working_day(day) for day in between)
