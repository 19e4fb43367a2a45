"""Working-day use cases: the calendar, deadlines, loading a year's schedule, corrections.

Nothing here commits: the caller owns the transaction. Loading and correcting write an audit
entry (entity ``calendar``) in that transaction; it concerns every utility, since every
utility's deadlines are counted on the one calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.customers.model import Utility
from utilcredit.workdays import repository
from utilcredit.workdays.model import (
    CalendarDay,
    Library,
    ShownDay,
    WorkingCalendar,
    check_year,
    clean_name,
    parse_calendar_file,
)
from utilcredit.workdays.repository import LoadedYear
from utilcredit.workdays.statutory import library


def calendar(connection: Connection) -> WorkingCalendar:
    """The library's years with the table's entries over them, and the years loaded whole."""
    return WorkingCalendar(
        library(),
        repository.table_days(connection),
        (loaded.year for loaded in repository.loaded_years(connection)),
    )


def deadline(connection: Connection, start: dt.date, working_days: int) -> dt.date:
    """The ``working_days``-th working day after ``start`` (see the model for ``0``).

    Raises :class:`~utilcredit.workdays.model.UnknownCalendarYearError` when the count reaches
    a year nobody has loaded.
    """
    return calendar(connection).add_working_days(start, working_days)


@dataclass(frozen=True, slots=True)
class YearLoad:
    year: int
    holidays: int
    workdays: int
    replaced: int  # the year's entries the table held before (a load, or corrections)
    was_loaded: bool  # the year had been loaded as complete before


@dataclass(frozen=True, slots=True)
class LoadSummary:
    source: str
    years: tuple[YearLoad, ...]


def load(connection: Connection, data: bytes, *, source: str, actor: str) -> LoadSummary:
    """Load a calendar file: each year it touches is replaced by its rows and known from now on.

    A bad file raises :class:`~utilcredit.workdays.model.CalendarFileError` before anything is
    written. Loading the same file again leaves the same table.
    """
    parsed = parse_calendar_file(data)
    before = {loaded.year for loaded in repository.loaded_years(connection)}
    years = tuple(
        YearLoad(
            year,
            holidays=sum(1 for d in parsed.days if d.day.year == year and not d.is_working),
            workdays=sum(1 for d in parsed.days if d.day.year == year and d.is_working),
            replaced=repository.count_days(connection, year),
            was_loaded=year in before,
        )
        for year in parsed.years
    )
    repository.replace_years(connection, parsed.years, parsed.days, source=source, actor=actor)
    audit.record(
        connection,
        actor=actor,
        action="calendar_load",
        entity="calendar",
        entity_key=",".join(str(year) for year in parsed.years),
        detail={
            "source": source,
            "years": {
                str(y.year): {
                    "holidays": y.holidays,
                    "workdays": y.workdays,
                    "replaced": y.replaced,
                }
                for y in years
            },
        },
        utilities=tuple(Utility),
    )
    return LoadSummary(source, years)


@dataclass(frozen=True, slots=True)
class DayCorrection:
    entry: CalendarDay
    previous: ShownDay | None  # what the calendar named the day before (table or library)
    year_known: bool  # False: the year still has to be loaded before deadlines reach it


def set_day(
    connection: Connection, day: dt.date, is_working: bool, name: str, actor: str
) -> DayCorrection:
    """An administrator's correction of one day; on that date it overrides the library (and
    stays until a load of its year replaces the year's entries)."""
    check_year(day)
    entry = CalendarDay(day, is_working, clean_name(name))
    before = calendar(connection)
    previous = before.named(day)
    repository.put_day(connection, entry, actor=actor)
    audit.record(
        connection,
        actor=actor,
        action="calendar_set_day",
        entity="calendar",
        entity_key=day.isoformat(),
        detail={
            "working": is_working,
            "name": entry.name,
            "previous": None
            if previous is None
            else {
                "working": previous.is_working,
                "name": previous.name,
                "source": previous.source.value,
            },
        },
        utilities=tuple(Utility),
    )
    return DayCorrection(entry, previous, day.year in before.known_years)


def days_of_year(connection: Connection, year: int) -> list[ShownDay]:
    """Every day of ``year`` the calendar names, with its source (library or table)."""
    return calendar(connection).days_of_year(year)


@dataclass(frozen=True, slots=True)
class KnownYears:
    library: Library
    loaded: list[LoadedYear]


def known_years(connection: Connection) -> KnownYears:
    """Where each known year comes from: the library's range and the loads."""
    return KnownYears(library(), repository.loaded_years(connection))
