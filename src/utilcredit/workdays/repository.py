"""Every query on the calendar table (``calendar_days``, ``calendar_years``); never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from utilcredit.workdays.model import CalendarDay
from utilcredit.workdays.tables import CalendarDayRow, CalendarYearRow


@dataclass(frozen=True, slots=True)
class LoadedYear:
    year: int
    loaded_by: str
    loaded_at: dt.datetime
    source: str
    day_count: int


def table_days(connection: Connection) -> list[CalendarDay]:
    """Every entry of the table, in date order (a few dozen a year)."""
    rows = connection.execute(
        select(CalendarDayRow.day, CalendarDayRow.is_working, CalendarDayRow.name).order_by(
            CalendarDayRow.day
        )
    )
    return [CalendarDay(row.day, bool(row.is_working), row.name) for row in rows]


def day_entry(connection: Connection, day: dt.date) -> CalendarDay | None:
    row = connection.execute(
        select(CalendarDayRow.day, CalendarDayRow.is_working, CalendarDayRow.name).where(
            CalendarDayRow.day == day
        )
    ).one_or_none()
    return None if row is None else CalendarDay(row.day, bool(row.is_working), row.name)


def loaded_years(connection: Connection) -> list[LoadedYear]:
    rows = connection.execute(
        select(
            CalendarYearRow.year,
            CalendarYearRow.loaded_by,
            CalendarYearRow.loaded_at,
            CalendarYearRow.source,
            CalendarYearRow.day_count,
        ).order_by(CalendarYearRow.year)
    )
    return [LoadedYear(**row._mapping) for row in rows]


def _of_year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def count_days(connection: Connection, year: int) -> int:
    first, last = _of_year(year)
    return int(
        connection.execute(
            select(func.count())
            .select_from(CalendarDayRow)
            .where(CalendarDayRow.day.between(first, last))
        ).scalar_one()
    )


def replace_years(
    connection: Connection,
    years: Iterable[int],
    days: Iterable[CalendarDay],
    *,
    source: str,
    actor: str,
) -> None:
    """Replace the table's entries of ``years`` by ``days`` and mark the years complete."""
    years = sorted(set(years))
    entries = list(days)
    counts = dict.fromkeys(years, 0)
    for entry in entries:
        if entry.day.year not in counts:
            raise ValueError(f"{entry.day} is outside the replaced years {years}")
        counts[entry.day.year] += 1
    for year in years:
        first, last = _of_year(year)
        connection.execute(delete(CalendarDayRow).where(CalendarDayRow.day.between(first, last)))
    connection.execute(delete(CalendarYearRow).where(CalendarYearRow.year.in_(years)))
    if entries:
        connection.execute(
            insert(CalendarDayRow),
            [
                {"day": e.day, "is_working": e.is_working, "name": e.name, "loaded_by": actor}
                for e in entries
            ],
        )
    connection.execute(
        insert(CalendarYearRow),
        [
            {"year": year, "loaded_by": actor, "source": source, "day_count": counts[year]}
            for year in years
        ],
    )


def put_day(connection: Connection, entry: CalendarDay, *, actor: str) -> None:
    """Insert or replace one day's entry."""
    values = {"is_working": entry.is_working, "name": entry.name, "loaded_by": actor}
    changed = connection.execute(
        update(CalendarDayRow)
        .where(CalendarDayRow.day == entry.day)
        .values(**values, loaded_at=func.now())
    ).rowcount
    if changed == 0:
        connection.execute(insert(CalendarDayRow).values(day=entry.day, **values))
