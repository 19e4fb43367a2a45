"""Incremental re-rating misses no subject that time moves.

A run at a new as-of date re-rates only the subjects
:func:`~utilcredit.rating.runs.service.subjects_moved_by_time` names (the queries of
:mod:`utilcredit.rating.sql.incremental` plus the arrears check) and carries every other
subject's stored row over unchanged. Its contract: with the same data, every subject whose rating
(level, each clause's status, value and evidence — what a run stores) differs between the two
dates is among them, and only subjects the policy rates (with an account of its utility) are.
Held to the reference evaluator for random stores (``store_builders``), shipped and generated
policies (``policy_builders``: other windows, other clause types) and pairs of dates around the
boundaries where time moves a rating, on SQLite and PostgreSQL.

``UTILCREDIT_INCREMENTAL_EXAMPLES`` raises the number of examples for a deeper run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.integration.rating_sql.policy_builders import SHIPPED, policies
from tests.integration.rating_sql.store_builders import (
    AS_OF_CHOICES,
    RAccount,
    RBill,
    RCommitment,
    RIncident,
    RReport,
    RSubject,
    clear_store,
    populations,
    special_days,
    write_population,
)
from utilcredit.customers.model import CommitmentStatus, IncidentKind, PaymentMode, Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.conditions import NoOverdueInWindowTest, Window
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.dates import add_months, subtract_years
from utilcredit.rating.runs import service
from utilcredit.rating.runs.repository import results
from utilcredit.rating.sql.engines import ReferenceEngine

EXAMPLES = int(os.environ.get("UTILCREDIT_INCREMENTAL_EXAMPLES", "80"))


@st.composite
def other_dates(draw: Any, as_of: dt.date) -> dt.date:
    """A second as-of date, mostly close to ``as_of`` (the next day is what a daily run sees,
    and the closer the dates, the fewer records move and the more a missed one shows): a day or
    a few away, months or years away, or one of the days where windows and arrears months turn
    (month ends, Feb 29, the window edges of ``as_of``)."""
    choice = draw(st.integers(0, 9))
    if choice < 4:
        return as_of + dt.timedelta(days=draw(st.sampled_from([-1, 1])))
    if choice < 6:
        return as_of + dt.timedelta(days=draw(st.integers(-31, 31)))
    if choice == 6:
        return add_months(as_of, draw(st.sampled_from([-12, -3, -1, 1, 2, 6, 12])))
    if choice == 7:
        years = draw(st.sampled_from([-3, -1, 1, 2, 3]))
        return subtract_years(as_of, -years) + dt.timedelta(days=draw(st.integers(-1, 1)))
    if choice == 8:
        special: dt.date = draw(st.sampled_from(special_days(as_of)))
        return special
    return as_of + dt.timedelta(days=draw(st.integers(-800, 800)))


def _ratings(engine: Engine, policy: Policy, as_of: dt.date) -> dict[str, SubjectRating]:
    with engine.connect() as connection:
        return {r.subject_code: r for r in ReferenceEngine().rate(connection, policy, as_of)}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    policy=st.one_of(st.sampled_from(SHIPPED), policies()),
    one=st.sampled_from(AS_OF_CHOICES),
    data=st.data(),
)
def test_every_subject_time_moves_is_re_rated(
    engine: Engine, policy: Policy, one: dt.date, data: st.DataObject
) -> None:
    other = data.draw(other_dates(one), label="other as-of date")
    # few records a subject, dated on and around the turning days of both dates: a record that
    # moves a rating is then seldom hidden by another one that the queries catch anyway
    store = populations(max_subjects=8, as_of=one, around=(other,), max_records=2)
    _, subjects = data.draw(store, label="store")
    with engine.begin() as connection:
        clear_store(connection)
        write_population(connection, subjects)
    with engine.connect() as connection:
        moved = service.subjects_moved_by_time(connection, policy, one, other)
        rated = results.population(connection, policy.utility.value)
        rows = connection.execute(select(SubjectRow.code, SubjectRow.id)).all()
    ids: dict[str, int] = {row.code: row.id for row in rows}
    before, after = _ratings(engine, policy, one), _ratings(engine, policy, other)
    assert set(before) == set(after) == {code for code, i in ids.items() if i in rated}
    changed = {code for code in before if before[code] != after[code]}
    missed = sorted(code for code in changed if ids[code] not in moved)
    assert not missed, "\n".join(
        f"{code} moved {one} → {other} but is not re-rated:\n  {before[code]}\n  {after[code]}"
        for code in missed
    )
    assert moved <= rated, "only subjects the policy rates are re-rated"


# --------------------------------------------------------------------------------------------
# One known case per way time moves a rating (the property above finds them by chance)
# --------------------------------------------------------------------------------------------

D1, D2 = dt.date(2026, 6, 29), dt.date(2026, 6, 30)  # a daily run: one day apart
HUNDRED = Decimal("100.00")


def _clean(subject: RSubject) -> RSubject:
    subject.accounts.append(RAccount("W1", Utility.WATER, dt.date(2015, 1, 1), PaymentMode.PREPAID))
    subject.reports.append(RReport("jiangsu", dt.date(2026, 1, 1), dishonest=False, serious=False))
    return subject


def _incident(kind: IncidentKind, day: dt.date) -> Callable[[RSubject], None]:
    def add(subject: RSubject) -> None:
        subject.incidents.append(RIncident("I1", "W1", kind, day, None, None, None))

    return add


def _bill(due: dt.date, *payments: tuple[dt.date, Decimal]) -> Callable[[RSubject], None]:
    def add(subject: RSubject) -> None:
        bill = RBill("B1", "W1", due, HUNDRED)
        bill.payments.extend((f"P{i}", day, amount) for i, (day, amount) in enumerate(payments))
        subject.bills.append(bill)

    return add


def _report(subject: RSubject) -> None:
    subject.reports.append(RReport("jiangsu", D2, dishonest=True, serious=False))


def _opening(subject: RSubject) -> None:
    subject.accounts.append(RAccount("W2", Utility.WATER, D2, PaymentMode.POSTPAID))


MOVES: dict[str, Callable[[RSubject], None]] = {
    "incident-enters-on-D2": _incident(IncidentKind.VIOLATION, D2),
    "incident-leaves-one-year-window": _incident(
        IncidentKind.MALICIOUS_COMPLAINT, dt.date(2025, 6, 30)
    ),
    "incident-leaves-three-year-window": _incident(IncidentKind.VIOLATION, dt.date(2023, 6, 30)),
    "bill-falls-due": _bill(D1),
    "late-payment-leaves-three-year-window": _bill(
        dt.date(2023, 6, 30), (dt.date(2023, 7, 1), HUNDRED)
    ),
    "arrears-turn-a-month": _bill(dt.date(2026, 5, 30)),
    "arrears-paid-on-D2": _bill(dt.date(2026, 5, 1), (D2, HUNDRED)),
    "report-issued-on-D2": _report,
    "account-opened-on-D2": _opening,
}


@pytest.mark.parametrize("move", sorted(MOVES))
def test_each_way_time_moves_a_rating_is_found(engine: Engine, move: str) -> None:
    policy = load_policy("lianshui-water").policy
    subject = _clean(RSubject("91320826MA1MOVES0X"))
    MOVES[move](subject)
    with engine.begin() as connection:
        write_population(connection, [subject])
    before, after = _ratings(engine, policy, D1), _ratings(engine, policy, D2)
    assert before != after, "the case must move the rating, or it tests nothing"
    with engine.connect() as connection:
        subject_id = connection.execute(select(SubjectRow.id)).scalar_one()
        for one, other in ((D1, D2), (D2, D1)):
            assert service.subjects_moved_by_time(connection, policy, one, other) == {subject_id}


def _moved_both_ways(engine: Engine, policy: Policy, subject: RSubject) -> None:
    with engine.begin() as connection:
        write_population(connection, [subject])
    before, after = _ratings(engine, policy, D1), _ratings(engine, policy, D2)
    assert before != after, "the case must move the rating, or it tests nothing"
    with engine.connect() as connection:
        subject_id = connection.execute(select(SubjectRow.id)).scalar_one()
        for one, other in ((D1, D2), (D2, D1)):
            assert service.subjects_moved_by_time(connection, policy, one, other) == {subject_id}


def test_arrears_turning_a_month_behind_a_set_aside_older_bill_are_found(engine: Engine) -> None:
    """The oldest unpaid bill is the oldest one not set aside: a set-aside bill due earlier
    (whose months do not turn between the dates) must not hide the one whose months do."""
    subject = _clean(RSubject("91320826MA1MOVES0X"))
    _bill(dt.date(2026, 5, 30))(subject)  # one whole month on D2
    subject.bills.append(RBill("B0", "W1", dt.date(2026, 1, 15), HUNDRED, set_aside_by=4))
    _moved_both_ways(engine, load_policy("lianshui-water").policy, subject)


def test_a_settlement_day_leaving_a_no_overdue_window_is_found(engine: Engine) -> None:
    """Due in 2020, settled on 2023-06-30: overdue inside "within 3 years" at D1 (the window
    starts after 2023-06-29), not at D2 (after 2023-06-30). Only the payment's date moves it."""
    lianshui = load_policy("lianshui-water").policy
    g2 = lianshui.clause("G2").model_copy(
        update={"test": NoOverdueInWindowTest(type="no_overdue_in_window", window=Window(years=3))}
    )
    policy = lianshui.model_copy(
        update={"clauses": tuple(g2 if c.id == "G2" else c for c in lianshui.clauses)}
    )
    subject = _clean(RSubject("91320826MA1MOVES0X"))
    _bill(dt.date(2020, 1, 31), (dt.date(2023, 6, 30), HUNDRED))(subject)
    _moved_both_ways(engine, policy, subject)


COMMITMENT_MOVES: dict[str, tuple[dt.date, dt.date | None, CommitmentStatus, dt.date]] = {
    # made_on, valid_until, status, status_on
    "made-on-D2": (D2, None, CommitmentStatus.IN_FORCE, D2),
    "valid-until-D1": (dt.date(2025, 1, 1), D1, CommitmentStatus.IN_FORCE, dt.date(2025, 1, 1)),
    "breached-on-D2": (dt.date(2025, 1, 1), None, CommitmentStatus.BREACHED, D2),
    "expired-on-D2": (dt.date(2025, 1, 1), None, CommitmentStatus.EXPIRED, D2),
    "withdrawn-on-D2": (dt.date(2025, 1, 1), None, CommitmentStatus.WITHDRAWN, D2),
}


@pytest.mark.parametrize("move", sorted(COMMITMENT_MOVES))
def test_each_way_time_moves_a_commitment_is_found(engine: Engine, move: str) -> None:
    """Zhanjiang's 守信用电主体 needs a commitment that stands at D: it starts to stand when made,
    stops the day after it is valid until, and on the day it ends. Only the designation moves
    (no clause reads commitments), which a run stores too."""
    made_on, valid_until, status, status_on = COMMITMENT_MOVES[move]
    subject = RSubject("91440800MA1MOVES0X")
    subject.accounts.append(RAccount("P1", Utility.POWER, dt.date(2015, 1, 1), PaymentMode.PREPAID))
    subject.reports.append(
        RReport("guangdong", dt.date(2026, 1, 1), dishonest=False, serious=False)
    )
    subject.commitments.append(
        RCommitment(
            "CM1", Utility.POWER, "approval_substitute", made_on, valid_until, status, status_on
        )
    )
    policy = load_policy("zhanjiang-power").policy
    with engine.begin() as connection:
        write_population(connection, [subject])
    before, after = _ratings(engine, policy, D1), _ratings(engine, policy, D2)
    assert (before[subject.code].level, before[subject.code].clauses) == (
        after[subject.code].level,
        after[subject.code].clauses,
    )
    assert before[subject.code].designations != after[subject.code].designations
    with engine.connect() as connection:
        subject_id = connection.execute(select(SubjectRow.id)).scalar_one()
        for one, other in ((D1, D2), (D2, D1)):
            assert service.subjects_moved_by_time(connection, policy, one, other) == {subject_id}
