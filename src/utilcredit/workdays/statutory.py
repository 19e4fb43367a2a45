"""The statutory calendar as the maintained ``chinese_calendar`` library (PyPI chinesecalendar)
knows it: the only module that reads the library.

The library lists each year's holidays and adjusted working days from the State Council's
notices (2004–2026 in version 1.11) and raises ``NotImplementedError`` for other years; here
its tables become a :class:`~utilcredit.workdays.model.Library` whose ``years`` are exactly the
years it covers, so other years stay unknown until an administrator loads them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from types import MappingProxyType

import chinese_calendar  # type: ignore[import-untyped]  # the library ships no type hints

from utilcredit.workdays.model import CalendarDay, Library


def _chinese(english: str) -> str:
    """``"National Day"`` → ``"国庆节"`` (the library keeps both names on its enum)."""
    try:
        return str(chinese_calendar.Holiday(english).chinese)
    except ValueError:
        return english


@cache
def library() -> Library:
    holidays: dict[dt.date, str] = chinese_calendar.holidays
    workdays: dict[dt.date, str] = chinese_calendar.workdays
    days = {day: CalendarDay(day, False, _chinese(name)) for day, name in holidays.items()}
    # A day in both tables is a working day, as the library's own is_workday decides.
    days.update(
        {day: CalendarDay(day, True, f"{_chinese(name)}调休上班") for day, name in workdays.items()}
    )
    first, last = min(holidays).year, max(holidays).year
    return Library(
        MappingProxyType(days),
        frozenset(range(first, last + 1)),
        f"chinesecalendar {chinese_calendar.__version__}",
    )
