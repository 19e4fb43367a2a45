"""Deriving dishonesty-record candidates from the policies' rules (issue 10 item 2), both stores.

Shaoguan: arrears of a large amount unpaid more than one month after a payment demand;
Zhanjiang: six months. 超过 excludes the day itself; months add the calendar way, clamped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from tests.integration.records.builders import Store
from utilcredit.config import RecordsSettings
from utilcredit.customers.model import Utility
from utilcredit.policies.loader import load_policy
from utilcredit.records import derivation, service
from utilcredit.records.repository import register
from utilcredit.records.repository.register import RecordFilter

D = dt.date
SETTINGS = RecordsSettings()
SHAOGUAN = load_policy("shaoguan-water")
ZHANJIANG = load_policy("zhanjiang-power")


def _records(engine: Engine) -> list[register.RecordLine]:
    with engine.connect() as connection:
        return list(register.iter_records(connection, RecordFilter(frozenset(Utility))))


def _derive(engine: Engine, policy: object, as_of: dt.date) -> derivation.DeriveSummary:
    with engine.begin() as connection:
        return derivation.derive(connection, policy, as_of, settings=SETTINGS)  # type: ignore[arg-type]


def _demanded(engine: Engine, utility: str, sent: dt.date, amount: str = "10000.00") -> Store:
    with engine.begin() as connection:
        store = Store(connection)
        store.account("ACC-1", utility)
        store.bill("ACC-1", sent - dt.timedelta(days=10), amount)
        store.reminder("ACC-1", sent)
    return store


@pytest.mark.parametrize(
    ("sent", "last_quiet_day"),
    [
        (D(2026, 1, 15), D(2026, 2, 15)),
        (D(2026, 1, 31), D(2026, 2, 28)),  # clamped to the month's last day
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
    ],
)
def test_shaoguan_arrears_record_after_more_than_one_month(
    engine: Engine, sent: dt.date, last_quiet_day: dt.date
) -> None:
    _demanded(engine, "water", sent)
    assert _derive(engine, SHAOGUAN, last_quiet_day).created == []
    summary = _derive(engine, SHAOGUAN, last_quiet_day + dt.timedelta(days=1))
    assert len(summary.created) == 1
    (record,) = _records(engine)
    assert (record.kind, record.record_class, record.rule_id, record.status) == (
        "arrears",
        "general",
        "D1",
        "candidate",
    )
    assert record.cause_on == last_quiet_day + dt.timedelta(days=1)
    assert record.amount == Decimal("10000.00")  # what is still unpaid
    assert "经催告后超过一个月仍未缴纳" in record.rule_text
    with engine.connect() as connection:
        kinds = sorted(e.evidence_type for e in register.evidence_of(connection, record.id))
    assert kinds == ["bill", "reminder"]


@pytest.mark.parametrize(
    ("sent", "last_quiet_day"),
    [(D(2026, 3, 31), D(2026, 9, 30)), (D(2025, 8, 31), D(2026, 2, 28))],
)
def test_zhanjiang_arrears_record_after_more_than_six_months(
    engine: Engine, sent: dt.date, last_quiet_day: dt.date
) -> None:
    _demanded(engine, "power", sent)
    assert _derive(engine, ZHANJIANG, last_quiet_day).created == []
    assert _derive(engine, SHAOGUAN, last_quiet_day + dt.timedelta(days=1)).created == []  # water
    assert len(_derive(engine, ZHANJIANG, last_quiet_day + dt.timedelta(days=1)).created) == 1


@pytest.mark.parametrize(("amount", "recorded"), [("9999.99", False), ("10000.00", True)])
def test_the_large_amount_threshold_includes_the_figure(
    engine: Engine, amount: str, recorded: bool
) -> None:
    _demanded(engine, "water", D(2026, 1, 15), amount)
    assert bool(_derive(engine, SHAOGUAN, D(2026, 3, 1)).created) is recorded


def test_bills_not_yet_overdue_on_the_demand_day_are_not_demanded(engine: Engine) -> None:
    with engine.begin() as connection:
        store = Store(connection)
        store.account("ACC-1")
        store.bill("ACC-1", D(2026, 1, 15), "20000.00")  # due on the demand day: not overdue
        store.reminder("ACC-1", D(2026, 1, 15))
    assert _derive(engine, SHAOGUAN, D(2026, 6, 1)).created == []


def test_payments_after_the_demand_count_against_the_amount(engine: Engine) -> None:
    with engine.begin() as connection:
        store = Store(connection)
        store.account("ACC-1")
        bill = store.bill("ACC-1", D(2026, 1, 5), "15000.00")
        store.reminder("ACC-1", D(2026, 1, 15))
        store.pay(bill, D(2026, 2, 1), "5000.01")  # 9,999.99 left
    assert _derive(engine, SHAOGUAN, D(2026, 3, 1)).created == []


def test_derivation_is_idempotent_and_withdraws_a_candidate_whose_cause_went(
    engine: Engine,
) -> None:
    store = _demanded(engine, "water", D(2026, 1, 15))
    with engine.begin() as connection:
        store.connection = connection
        store.incident("ACC-1", "theft", D(2026, 2, 1), "300.00")
        store.incident("ACC-1", "hazard_unrectified", D(2026, 2, 2))  # not a record in Shaoguan
    first = _derive(engine, SHAOGUAN, D(2026, 3, 1))
    assert len(first.created) == 2
    again = _derive(engine, SHAOGUAN, D(2026, 3, 1))
    assert (again.created, again.withdrawn, again.unchanged) == ([], [], 2)

    with engine.begin() as connection:
        bill_id = register.evidence_of(connection, first.created[-1])
        arrears = next(r for r in _records(engine) if r.kind == "arrears")
        (bill,) = [
            e for e in register.evidence_of(connection, arrears.id) if e.evidence_type == "bill"
        ]
        store.connection = connection
        store.pay(bill.evidence_id, D(2026, 3, 2), "10000.00")
    assert bill_id
    later = _derive(engine, SHAOGUAN, D(2026, 3, 3))
    assert later.withdrawn == [arrears.id]
    assert later.created == []
    with engine.connect() as connection:
        view = service.record_view(connection, None, arrears.id)
    assert view.record.status == "withdrawn"
    assert [e.action for e in view.events] == ["derive", "withdraw"]


def test_an_incident_makes_one_record_by_the_first_matching_rule(engine: Engine) -> None:
    lianshui = load_policy("lianshui-water")
    with engine.begin() as connection:
        store = Store(connection)
        store.account("ACC-1")
        store.incident("ACC-1", "theft", D(2026, 5, 1), "10000.00")
        store.incident("ACC-1", "theft", D(2026, 5, 2), "9999.99")
        store.incident("ACC-1", "theft", D(2026, 5, 3))  # amount unknown: the general rule
        store.incident("ACC-1", "violation", D(2026, 5, 4))  # not a record in Lianshui
        store.incident("ACC-1", "theft", D(2022, 5, 4), "10.00")  # older than the look-back
    assert len(_derive(engine, lianshui, D(2026, 6, 1)).created) == 3
    classes = sorted((r.cause_on, r.rule_id, r.record_class) for r in _records(engine))
    assert classes == [
        (D(2026, 5, 1), "D1", "serious"),
        (D(2026, 5, 2), "D2", "general"),
        (D(2026, 5, 3), "D2", "general"),
    ]
