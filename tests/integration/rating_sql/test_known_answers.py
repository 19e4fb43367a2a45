"""Known answers for the date arithmetic of SPEC 3, on every engine and both stores.

Lianshui's clauses give the measures: Y1 reports the arrears months, B1 the late payments within
one year, G2 within three years.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.integration.rating_sql.store_builders import (
    RAccount,
    RBill,
    RReport,
    RSubject,
    write_population,
)
from utilcredit.customers.model import PaymentMode, Utility
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.levels import Level
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.results import ClauseStatus
from utilcredit.rating.sql.choice import LOCAL_ENGINES, get_engine

POLICY = load_policy("lianshui-water").policy
D = dt.date


def _subject(*bills: RBill) -> RSubject:
    subject = RSubject("91320826MA1KNOWN0X")
    subject.accounts.append(RAccount("ACC-1", Utility.WATER, D(2015, 1, 1), PaymentMode.PREPAID))
    subject.bills.extend(bills)
    subject.reports.append(RReport("jiangsu", D(2020, 1, 1), dishonest=False, serious=False))
    return subject


def _unpaid(number: str, due: dt.date) -> RBill:
    return RBill(number, "ACC-1", due, Decimal("100.00"))


def _paid_late(number: str, due: dt.date) -> RBill:
    bill = RBill(number, "ACC-1", due, Decimal("100.00"))
    bill.payments.append((f"{number}-P", due + dt.timedelta(days=1), Decimal("100.00")))
    return bill


def _rate(engine: Engine, engine_name: str, subject: RSubject, as_of: dt.date) -> SubjectRating:
    with engine.begin() as connection:
        write_population(connection, [subject])
    with engine.connect() as connection:
        ratings = list(get_engine(engine_name).rate(connection, POLICY, as_of))
    assert len(ratings) == 1
    return ratings[0]


def _clause(rating: SubjectRating, clause_id: str) -> tuple[ClauseStatus, int | None]:
    found = next(c for c in rating.clauses if c.clause_id == clause_id)
    return found.status, found.value


@pytest.mark.parametrize("engine_name", LOCAL_ENGINES)
@pytest.mark.parametrize(
    ("due", "as_of", "months"),
    [
        (D(2026, 1, 31), D(2026, 2, 27), 0),
        (D(2026, 1, 31), D(2026, 2, 28), 1),  # clamped to February's end
        (D(2028, 1, 31), D(2028, 2, 29), 1),  # leap year
        (D(2028, 1, 31), D(2028, 2, 28), 0),
        (D(2026, 3, 31), D(2026, 6, 30), 3),  # June has no 31st
        (D(2026, 3, 31), D(2026, 6, 29), 2),
        (D(2026, 1, 15), D(2026, 2, 14), 0),
        (D(2026, 1, 15), D(2026, 2, 15), 1),
        (D(2025, 12, 31), D(2026, 2, 27), 1),  # across the year
        (D(2025, 12, 31), D(2026, 2, 28), 2),  # Dec 31 + 2 months clamps to Feb 28
        (D(2025, 12, 31), D(2026, 3, 31), 3),
        (D(2020, 2, 29), D(2026, 2, 28), 72),  # Feb 29 + 72 months clamps to 2026-02-28
        (D(2020, 2, 29), D(2026, 2, 27), 71),
    ],
)
def test_arrears_months_are_whole_calendar_months(
    engine: Engine, engine_name: str, due: dt.date, as_of: dt.date, months: int
) -> None:
    rating = _rate(engine, engine_name, _subject(_unpaid("B1", due)), as_of)
    assert _clause(rating, "Y1")[1] == months


@pytest.mark.parametrize("engine_name", LOCAL_ENGINES)
def test_one_year_window_at_feb_29_starts_after_feb_28(engine: Engine, engine_name: str) -> None:
    # D = 2028-02-29: D − 1 year = 2027-02-28, excluded; 2027-03-01 and D itself would count.
    subject = _subject(
        _paid_late("B1", D(2027, 2, 27)),
        _paid_late("B2", D(2027, 2, 28)),
        _paid_late("B3", D(2027, 3, 1)),
        _paid_late("B4", D(2028, 2, 28)),
    )
    rating = _rate(engine, engine_name, subject, D(2028, 2, 29))
    assert _clause(rating, "B1") == (ClauseStatus.FAILED, 2)  # B3 and B4
    assert _clause(rating, "Y2")[0] == ClauseStatus.FIRED  # exactly 2 in one year
    assert next(c for c in rating.clauses if c.clause_id == "Y2").evidence == ("B3", "B4")
    assert _clause(rating, "G2") == (ClauseStatus.FAILED, 4)


@pytest.mark.parametrize("engine_name", LOCAL_ENGINES)
def test_a_bill_due_on_the_as_of_date_is_not_late(engine: Engine, engine_name: str) -> None:
    rating = _rate(engine, engine_name, _subject(_unpaid("B1", D(2026, 6, 30))), D(2026, 6, 30))
    assert _clause(rating, "B1") == (ClauseStatus.HELD, 0)
    assert _clause(rating, "Y1") == (ClauseStatus.CLEAR, 0)
    assert rating.level == Level.GREEN


@pytest.mark.parametrize("engine_name", LOCAL_ENGINES)
def test_a_bill_due_the_day_before_is_late_and_in_arrears(engine: Engine, engine_name: str) -> None:
    rating = _rate(engine, engine_name, _subject(_unpaid("B1", D(2026, 6, 29))), D(2026, 6, 30))
    assert _clause(rating, "B1") == (ClauseStatus.FAILED, 1)
    assert _clause(rating, "G1")[0] == ClauseStatus.FAILED  # no arrears fails
    assert rating.level == Level.YELLOW  # nothing fires, blue fails: the fallback
