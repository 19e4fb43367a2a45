"""Hypothesis properties of the evaluator on every shipped policy."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.rating.rating_histories import SUBJECT_CODE
from utilcredit.customers.model import (
    Account,
    Bill,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    Payment,
    PaymentMode,
    Severity,
    Subject,
    SubjectKind,
    Utility,
)
from utilcredit.policies.loader import list_policies
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.evaluator import evaluate

POLICIES = [lp.policy for lp in list_policies()]
EARLIEST = dt.date(2019, 1, 1)
LATEST = dt.date(2027, 12, 31)
ACCOUNTS = ("A1", "A2")
ASSET_CLASSES = {
    Utility.WATER: ("DN100", "DN150", "DN160", "DN200", "DN300", "DN600"),
    Utility.POWER: ("0.4kV", "10kV", "20kV", "35kV", "110kV"),
}

dates = st.dates(min_value=EARLIEST, max_value=LATEST)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1_000_000), places=2)
# now and then a record set aside by the dishonesty-record register (it counts nowhere)
set_aside_marks = st.sampled_from((None, None, None, None, 5))


@st.composite
def incidents(
    draw: st.DrawFn, utility: Utility, up_to: dt.date = LATEST, near: dt.date | None = None
) -> Incident:
    """A complete incident: the attributes its kind carries (SPEC 5.3) are always present.

    With ``near``, most incidents fall in the year before that date, where the one-year clauses
    look, so combinations of several incidents in one window are common.
    """
    kind = draw(st.sampled_from(IncidentKind))
    anywhere = st.dates(min_value=EARLIEST, max_value=up_to)
    close = st.integers(0, 400).map(lambda days: min(up_to, (near or up_to) - dt.timedelta(days)))
    occurred_on = draw(st.one_of(close, close, anywhere) if near else anywhere)
    return Incident(
        incident_no=f"I{draw(st.integers(0, 10**9))}",
        account_no=draw(st.sampled_from(ACCOUNTS)),
        kind=kind,
        occurred_on=max(occurred_on, EARLIEST),
        amount=draw(amounts) if kind in (IncidentKind.THEFT, IncidentKind.VIOLATION) else None,
        asset_class=(
            draw(st.sampled_from(ASSET_CLASSES[utility]))
            if kind == IncidentKind.OUTAGE_CAUSED
            else None
        ),
        severity=draw(st.sampled_from(Severity)) if kind == IncidentKind.FACILITY_DAMAGE else None,
        set_aside_by=draw(set_aside_marks),
    )


@st.composite
def bills(draw: st.DrawFn, number: int, up_to: dt.date, paid_in_full: bool) -> Bill:
    due = draw(st.dates(min_value=EARLIEST, max_value=up_to))
    amount = draw(st.decimals(min_value=Decimal(1), max_value=Decimal(10_000), places=2))
    bill_no = f"B{number}"
    if paid_in_full:
        # One or two payments dated on or before ``up_to`` that settle the bill.
        first = draw(st.decimals(min_value=Decimal(0), max_value=amount, places=2))
        days = draw(st.lists(st.dates(min_value=EARLIEST, max_value=up_to), min_size=2, max_size=2))
        parts = [(days[0], first), (days[1], amount - first)]
    else:
        parts = draw(st.lists(st.tuples(dates, amounts), max_size=2))
    payments = tuple(
        Payment(f"{bill_no}-{i}", bill_no, day, value) for i, (day, value) in enumerate(parts)
    )
    account = draw(st.sampled_from(ACCOUNTS))
    period = due - dt.timedelta(days=40)
    return Bill(
        bill_no,
        account,
        period,
        period,
        amount,
        due,
        payments=payments,
        set_aside_by=draw(set_aside_marks),
    )


@st.composite
def credit_files(
    draw: st.DrawFn,
    policy: Policy,
    up_to: dt.date = LATEST,
    paid_in_full: bool = False,
    near: dt.date | None = None,
) -> CreditFile:
    utility = policy.utility
    # accounts opened anywhere in the range: incidents before the opening are common (they count)
    accounts = tuple(
        Account(
            no,
            SUBJECT_CODE,
            utility,
            draw(st.dates(EARLIEST, up_to)),
            draw(st.sampled_from(PaymentMode)),
        )
        for no in ACCOUNTS[: draw(st.integers(1, 2))]
    )
    sources = [*policy.report_sources, "creditchina"]
    reports = tuple(
        CreditReport(
            SUBJECT_CODE,
            draw(st.sampled_from(sources)),
            draw(st.dates(EARLIEST, up_to)),
            draw(st.booleans()),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    bill_count = draw(st.integers(0, 6))
    return CreditFile(
        subject=Subject(SUBJECT_CODE, SubjectKind.LEGAL, "随机单位"),
        utility=utility,
        accounts=accounts,
        bills=tuple(draw(bills(i, up_to, paid_in_full)) for i in range(bill_count)),
        incidents=tuple(draw(st.lists(incidents(utility, up_to, near), max_size=8))),
        credit_reports=reports,
    )


policy_ids = [p.key for p in POLICIES]


@pytest.mark.parametrize("policy", POLICIES, ids=policy_ids)
@settings(max_examples=50, deadline=None)
@given(data=st.data(), as_of=dates)
def test_level_is_always_one_of_the_policys(
    policy: Policy, data: st.DataObject, as_of: dt.date
) -> None:
    credit_file = data.draw(credit_files(policy, near=as_of))
    evaluation = evaluate(credit_file, policy, as_of)
    assert evaluation.level in policy.levels
    assert {r.clause_id for r in evaluation.clauses} == {c.id for c in policy.clauses}


@pytest.mark.parametrize("policy", POLICIES, ids=policy_ids)
@settings(max_examples=50, deadline=None)
@given(data=st.data(), as_of=dates)
def test_adding_a_negative_incident_never_improves_the_level(
    policy: Policy, data: st.DataObject, as_of: dt.date
) -> None:
    credit_file = data.draw(credit_files(policy, near=as_of))
    # Half the time repeat an existing incident: "one more of the same" is where bands with an
    # exact count ("发生1次") could wrongly make a second occurrence look better.
    fresh = incidents(policy.utility, near=as_of)
    repeats = [
        dataclasses.replace(i, incident_no=f"{i.incident_no}-again") for i in credit_file.incidents
    ]
    extra = data.draw(st.one_of(fresh, st.sampled_from(repeats)) if repeats else fresh)
    before = evaluate(credit_file, policy, as_of).level
    worse = CreditFile(
        subject=credit_file.subject,
        utility=credit_file.utility,
        accounts=credit_file.accounts,
        bills=credit_file.bills,
        incidents=(*credit_file.incidents, extra),
        credit_reports=credit_file.credit_reports,
    )
    after = evaluate(worse, policy, as_of).level
    assert after.badness >= before.badness


@pytest.mark.parametrize("policy", POLICIES, ids=policy_ids)
@settings(max_examples=50, deadline=None)
@given(data=st.data(), days_later=st.integers(0, 6 * 366))
def test_time_passing_without_new_records_never_worsens_a_paid_up_history(
    policy: Policy, data: st.DataObject, days_later: int
) -> None:
    as_of = data.draw(st.dates(dt.date(2022, 1, 1), dt.date(2026, 12, 31)))
    credit_file = data.draw(credit_files(policy, up_to=as_of, paid_in_full=True, near=as_of))
    now = evaluate(credit_file, policy, as_of).level
    later = evaluate(credit_file, policy, as_of + dt.timedelta(days=days_later)).level
    assert later.badness <= now.badness


@pytest.mark.parametrize("policy", POLICIES, ids=policy_ids)
@settings(max_examples=50, deadline=None)
@given(data=st.data(), as_of=dates)
def test_setting_records_aside_never_worsens_the_level(
    policy: Policy, data: st.DataObject, as_of: dt.date
) -> None:
    """A repaired or removed record's evidence leaving the rating never makes it worse (the
    shipped bands meet end to end, so fewer records never climb into a worse level)."""
    credit_file = data.draw(credit_files(policy, near=as_of))
    incidents = tuple(
        dataclasses.replace(i, set_aside_by=9) if data.draw(st.booleans()) else i
        for i in credit_file.incidents
    )
    bills = tuple(
        dataclasses.replace(b, set_aside_by=9) if data.draw(st.booleans()) else b
        for b in credit_file.bills
    )
    aside = dataclasses.replace(credit_file, incidents=incidents, bills=bills)
    before = evaluate(credit_file, policy, as_of).level
    assert evaluate(aside, policy, as_of).level.badness <= before.badness
