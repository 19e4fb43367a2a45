"""The library's data as the calendar reads it agrees with the library itself."""

from __future__ import annotations

import datetime as dt

import chinese_calendar  # type: ignore[import-untyped]
import pytest

from utilcredit.workdays.model import UnknownCalendarYearError, WorkingCalendar
from utilcredit.workdays.statutory import library


def test_every_day_of_the_librarys_years_agrees_with_the_library() -> None:
    found = library()
    assert {2004, 2026} <= found.years
    assert found.years == frozenset(range(min(found.years), max(found.years) + 1))
    calendar = WorkingCalendar(found)
    day = dt.date(min(found.years), 1, 1)
    differing = []
    while day.year <= max(found.years):
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
            differing.append(day)
        day += dt.timedelta(days=1)
    assert differing == []


def test_a_year_the_library_does_not_know_is_unknown_here_too() -> None:
    found = library()
    after = dt.date(max(found.years) + 1, 1, 4)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(after)
    with pytest.raises(UnknownCalendarYearError, match=str(after.year)):
        WorkingCalendar(found).is_working_day(after)


def test_names_are_chinese() -> None:
    days = library().days
    assert days[dt.date(2026, 10, 1)].name == "国庆节"
    assert days[dt.date(2026, 10, 10)].name == "国庆节调休上班"
    assert days[dt.date(2026, 2, 17)].name == "春节"
