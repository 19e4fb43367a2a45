"""The calendar table through its repository and service, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.unit.workdays.files import SCHEDULE_2027, SCHEDULE_2027_ROWS, calendar_csv
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.errors import InvalidInputError
from utilcredit.workdays import repository, service
from utilcredit.workdays.model import (
    CalendarFileError,
    DaySource,
    ShownDay,
    UnknownCalendarYearError,
)
from utilcredit.workdays.tables import CalendarDayRow, CalendarYearRow

D = dt.date


def table(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        days = connection.execute(
            select(
                CalendarDayRow.day,
                CalendarDayRow.is_working,
                CalendarDayRow.name,
                CalendarDayRow.loaded_by,
            ).order_by(CalendarDayRow.day)
        )
        years = connection.execute(
            select(
                CalendarYearRow.year,
                CalendarYearRow.source,
                CalendarYearRow.day_count,
                CalendarYearRow.loaded_by,
            ).order_by(CalendarYearRow.year)
        )
        return [tuple(row) for row in days], [tuple(row) for row in years]


def audit_entries(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                AuditEntryRow.actor,
                AuditEntryRow.action,
                AuditEntryRow.entity,
                AuditEntryRow.entity_key,
                AuditEntryRow.detail,
                AuditEntryRow.utilities,
            ).order_by(AuditEntryRow.id)
        )
        return [tuple(row) for row in rows]


def load(engine: Engine, data: bytes, source: str = "2027.csv") -> service.LoadSummary:
    with engine.begin() as connection:
        return service.load(connection, data, source=source, actor="admin")


def test_a_deadline_into_an_unloaded_year_is_an_error(engine: Engine) -> None:
    with engine.connect() as connection:
        assert service.deadline(connection, D(2026, 9, 30), 1) == D(2026, 10, 8)
        with pytest.raises(UnknownCalendarYearError, match="utilcredit calendar load FILE") as e:
            service.deadline(connection, D(2026, 12, 31), 1)
    assert e.value.year == 2027


def test_loading_2027_makes_its_deadlines_count(engine: Engine) -> None:
    summary = load(engine, SCHEDULE_2027)
    assert summary == service.LoadSummary(
        "2027.csv", (service.YearLoad(2027, 19, 3, replaced=0, was_loaded=False),)
    )
    with engine.connect() as connection:
        assert service.deadline(connection, D(2026, 12, 31), 1) == D(2027, 1, 4)
        assert service.deadline(connection, D(2027, 2, 5), 6) == D(2027, 2, 20)
        assert service.calendar(connection).known_years >= {2004, 2026, 2027}
        shown = service.days_of_year(connection, 2027)
        (loaded,) = repository.loaded_years(connection)
    assert [(d.day.isoformat(), d.is_working, d.name) for d in shown] == [
        (day, kind == "workday", name) for day, kind, name in SCHEDULE_2027_ROWS
    ]
    assert {d.source for d in shown} == {DaySource.TABLE}
    assert (loaded.year, loaded.source, loaded.day_count, loaded.loaded_by) == (
        2027,
        "2027.csv",
        22,
        "admin",
    )
    assert isinstance(loaded.loaded_at, dt.datetime)
    (entry,) = audit_entries(engine)
    assert entry == (
        "admin",
        "calendar_load",
        "calendar",
        "2027",
        {"source": "2027.csv", "years": {"2027": {"holidays": 19, "workdays": 3, "replaced": 0}}},
        ",power,water,",
    )


def test_loading_twice_gives_the_same_table(engine: Engine) -> None:
    load(engine, SCHEDULE_2027)
    first = table(engine)
    again = load(engine, SCHEDULE_2027)
    assert table(engine) == first
    assert len(first[0]) == 22 and first[1] == [(2027, "2027.csv", 22, "admin")]
    assert again.years == (service.YearLoad(2027, 19, 3, replaced=22, was_loaded=True),)


def test_a_load_replaces_the_years_it_touches_and_only_those(engine: Engine) -> None:
    load(engine, SCHEDULE_2027)
    load(engine, calendar_csv([("2028-01-03", "holiday", "元旦")]), "2028.csv")
    shorter = [row for row in SCHEDULE_2027_ROWS if row[0] != "2027-10-09"]
    load(engine, calendar_csv(shorter), "2027-fixed.csv")
    days, years = table(engine)
    assert D(2027, 10, 9) not in {row[0] for row in days}
    assert len(days) == 22  # 21 of 2027 and 1 of 2028
    assert years == [(2027, "2027-fixed.csv", 21, "admin"), (2028, "2028.csv", 1, "admin")]
    with engine.connect() as connection:
        assert service.deadline(connection, D(2027, 10, 8), 1) == D(2027, 10, 11)


def test_a_bad_file_changes_nothing(engine: Engine) -> None:
    load(engine, SCHEDULE_2027)
    before, audited = table(engine), audit_entries(engine)
    bad = calendar_csv([("2027-01-01", "workday", "改"), ("2028-01-03", "holiday", "元旦")])
    bad += b"2028-02-30,holiday,x\n"
    # the error is caught inside the transaction, which then commits
    with engine.begin() as connection, pytest.raises(CalendarFileError) as caught:
        service.load(connection, bad, source="bad.csv", actor="admin")
    assert [(p.row, p.field) for p in caught.value.problems] == [(4, "date")]
    assert table(engine) == before
    assert audit_entries(engine) == audited
    with engine.connect() as connection:
        assert 2028 not in service.calendar(connection).known_years


def test_a_correction_overrides_the_library_and_is_audited(engine: Engine) -> None:
    with engine.begin() as connection:
        first = service.set_day(connection, D(2026, 10, 8), False, " 国庆节（延长） ", "admin")
        second = service.set_day(connection, D(2026, 10, 10), False, "取消调休", "admin")
        again = service.set_day(connection, D(2026, 10, 10), True, "调休上班", "root")
    assert first.previous is None and first.year_known
    assert first.entry.name == "国庆节（延长）"
    assert second.previous == ShownDay(D(2026, 10, 10), True, "国庆节调休上班", DaySource.LIBRARY)
    assert again.previous == ShownDay(D(2026, 10, 10), False, "取消调休", DaySource.TABLE)
    assert table(engine) == (
        [
            (D(2026, 10, 8), False, "国庆节（延长）", "admin"),
            (D(2026, 10, 10), True, "调休上班", "root"),
        ],
        [],
    )
    with engine.connect() as connection:
        assert service.deadline(connection, D(2026, 9, 30), 1) == D(2026, 10, 9)
        by_day = {d.day: d for d in service.days_of_year(connection, 2026)}
    assert by_day[D(2026, 10, 8)].source == DaySource.TABLE
    assert by_day[D(2026, 10, 7)].source == DaySource.LIBRARY
    actions = [(a[0], a[1], a[2], a[3], a[5]) for a in audit_entries(engine)]
    assert actions == [
        ("admin", "calendar_set_day", "calendar", "2026-10-08", ",power,water,"),
        ("admin", "calendar_set_day", "calendar", "2026-10-10", ",power,water,"),
        ("root", "calendar_set_day", "calendar", "2026-10-10", ",power,water,"),
    ]
    assert audit_entries(engine)[1][4] == {
        "working": False,
        "name": "取消调休",
        "previous": {"working": True, "name": "国庆节调休上班", "source": "library"},
    }


def test_a_correction_in_an_unloaded_year_leaves_it_unknown(engine: Engine) -> None:
    with engine.begin() as connection:
        result = service.set_day(connection, D(2027, 1, 1), False, "元旦", "admin")
    assert not result.year_known
    with engine.connect() as connection, pytest.raises(UnknownCalendarYearError, match="2027"):
        service.deadline(connection, D(2026, 12, 31), 1)
    # the year's load replaces the correction with the file's days
    summary = load(engine, calendar_csv([("2027-01-04", "holiday", "元旦")]))
    assert summary.years[0].replaced == 1
    days, _ = table(engine)
    assert [row[0] for row in days] == [D(2027, 1, 4)]
    with engine.connect() as connection:
        assert service.deadline(connection, D(2026, 12, 31), 1) == D(2027, 1, 1)


def test_a_load_touching_a_library_year_keeps_the_librarys_days(engine: Engine) -> None:
    """Next year's notice may move a day of this year (2026-12-31 here): the load replaces the
    table's 2026 entries, while the library still has the rest of 2026."""
    load(engine, calendar_csv([("2026-12-31", "holiday", "元旦"), *SCHEDULE_2027_ROWS]))
    with engine.connect() as connection:
        assert service.deadline(connection, D(2026, 12, 30), 1) == D(2027, 1, 4)
        assert service.deadline(connection, D(2026, 9, 30), 1) == D(2026, 10, 8)
        shown = service.days_of_year(connection, 2026)
    assert ShownDay(D(2026, 12, 31), False, "元旦", DaySource.TABLE) in shown
    assert ShownDay(D(2026, 10, 1), False, "国庆节", DaySource.LIBRARY) in shown


def test_bad_corrections_are_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        with pytest.raises(InvalidInputError, match="name is required"):
            service.set_day(connection, D(2026, 10, 8), False, "  ", "admin")
        with pytest.raises(InvalidInputError, match="between 2000 and 2100"):
            service.set_day(connection, D(2101, 1, 3), False, "元旦", "admin")
    assert table(engine) == ([], [])
