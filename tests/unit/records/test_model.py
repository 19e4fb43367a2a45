"""The register's pure rules: machines, publication periods, the demand rule, repair conditions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from utilcredit.errors import InvalidInputError
from utilcredit.policies.model.dishonesty import DishonestyClass, DishonestyKind
from utilcredit.rating.dates import add_months
from utilcredit.records import model
from utilcredit.records.derivation import last_demand_day
from utilcredit.records.model import (
    OBJECTION_MACHINE,
    RECORD_MACHINE,
    REPAIR_MACHINE,
    Demand,
    DemandedBill,
    RecordStatus,
)
from utilcredit.workflow import Machine, TransitionRefusedError

D = dt.date


def test_the_record_machine_refuses_what_it_does_not_list() -> None:
    assert RECORD_MACHINE.target(RecordStatus.CANDIDATE, "confirm") == RecordStatus.CONFIRMED
    with pytest.raises(TransitionRefusedError, match="不能"):
        RECORD_MACHINE.target(RecordStatus.CANDIDATE, "repair")
    with pytest.raises(TransitionRefusedError):
        RECORD_MACHINE.target(RecordStatus.EXPIRED, "object")
    with pytest.raises(TransitionRefusedError):
        RECORD_MACHINE.target(RecordStatus.UNDER_OBJECTION, "repair")


@pytest.mark.parametrize("machine", [RECORD_MACHINE, OBJECTION_MACHINE, REPAIR_MACHINE])
def test_every_state_and_action_is_named(machine: Machine[Any]) -> None:
    for state in machine.states():
        assert machine.labels[state]
    for transition in machine.transitions:
        assert transition.action in machine.action_labels


def test_general_records_publish_three_months_to_a_year_under_order_36() -> None:
    pub = model.publication(DishonestyClass.GENERAL, D(2026, 11, 30))
    assert pub.regime == "ndrc-36-2025"
    assert (pub.publish_from, pub.publish_until, pub.repairable_from) == (
        D(2026, 11, 30),
        D(2027, 11, 29),
        D(2027, 2, 28),
    )


def test_serious_records_publish_one_to_three_years() -> None:
    pub = model.publication(DishonestyClass.SERIOUS, D(2026, 5, 31))
    assert (pub.publish_until, pub.repairable_from) == (D(2029, 5, 30), D(2027, 5, 31))


def test_minor_records_are_not_published_and_may_be_repaired_at_once() -> None:
    pub = model.publication(DishonestyClass.MINOR, D(2026, 6, 1))
    assert pub.publish_from is None
    assert pub.repairable_from == D(2026, 6, 1)


def test_the_regime_is_the_one_in_force_on_the_determination_date() -> None:
    assert model.publication(DishonestyClass.GENERAL, D(2026, 3, 31)).regime == "ndrc-58-2023"
    assert model.publication(DishonestyClass.GENERAL, D(2026, 4, 1)).regime == "ndrc-36-2025"
    with pytest.raises(InvalidInputError, match="2023-05-01"):
        model.publication(DishonestyClass.GENERAL, D(2023, 4, 30))


def test_the_clock_publishes_then_expires() -> None:
    pub = model.publication(DishonestyClass.GENERAL, D(2026, 1, 10))
    assert model.clock_action(RecordStatus.CONFIRMED, pub, D(2026, 1, 10)) == "publish"
    assert model.clock_action(RecordStatus.PUBLISHED, pub, pub.publish_until) is None
    assert (
        model.clock_action(RecordStatus.PUBLISHED, pub, pub.publish_until + dt.timedelta(1))
        == "expire"
    )
    assert model.clock_action(RecordStatus.UNDER_OBJECTION, pub, D(2030, 1, 1)) is None


def _demand(sent: dt.date, *bills: DemandedBill) -> Demand:
    return Demand(1, "R1", sent, bills)


def _bill(due: dt.date, amount: str, by_demand: str = "0", by_as_of: str = "0") -> DemandedBill:
    return DemandedBill(1, "B1", due, Decimal(amount), Decimal(by_demand), Decimal(by_as_of))


def test_a_bill_paid_before_the_demand_was_not_demanded() -> None:
    demand = _demand(D(2026, 1, 15), _bill(D(2026, 1, 1), "20000", "20000", "20000"))
    assert (
        model.arrears_cause([demand], months_after=1, threshold=Decimal(1), as_of=D(2026, 6, 1))
        is None
    )


def test_the_cause_holds_from_the_day_after_the_months_have_passed() -> None:
    demand = _demand(D(2026, 1, 31), _bill(D(2026, 1, 1), "20000"))
    cause = model.arrears_cause(
        [demand], months_after=1, threshold=Decimal(10000), as_of=D(2026, 3, 1)
    )
    assert cause is not None
    assert cause.holds_from == D(2026, 3, 1)
    assert cause.outstanding == Decimal(20000)


@given(
    st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    st.integers(1, 12),
)
def test_last_demand_day_is_the_boundary_of_more_than_n_months(as_of: dt.date, months: int) -> None:
    day = last_demand_day(months, as_of)
    assert model.demand_deadline_passed(day, months, as_of)
    assert not model.demand_deadline_passed(day + dt.timedelta(days=1), months, as_of)
    assert add_months(day, months) < as_of


def test_repair_conditions_name_what_fails() -> None:
    conditions = model.repair_conditions(
        kind=DishonestyKind.ARREARS,
        repairable_from=D(2027, 2, 28),
        today=D(2026, 12, 1),
        unpaid_bills=["B7"],
        proof_attached=False,
        commitment_signed_on=None,
    )
    failed = {c.key: c.detail for c in conditions if not c.met}
    assert set(failed) == {"minimum_period", "arrears_paid", "commitment"}
    assert "2027-02-28" in failed["minimum_period"]
    assert "B7" in failed["arrears_paid"]


def test_theft_needs_proof_not_payments() -> None:
    conditions = model.repair_conditions(
        kind=DishonestyKind.THEFT,
        repairable_from=D(2026, 1, 1),
        today=D(2026, 12, 1),
        unpaid_bills=[],
        proof_attached=True,
        commitment_signed_on=D(2026, 11, 30),
    )
    assert [c.key for c in conditions] == ["minimum_period", "proof", "commitment"]
    assert all(c.met for c in conditions)
