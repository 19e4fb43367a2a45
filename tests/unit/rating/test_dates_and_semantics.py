"""SPEC 3 date arithmetic and the evaluator's reading of the credit file."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tests.unit.rating.rating_histories import AS_OF, History
from utilcredit.customers.model import IncidentKind, PaymentMode, Utility
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.levels import Level
from utilcredit.rating.dates import (
    add_months,
    in_years_window,
    subtract_years,
    whole_months_elapsed,
)
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.results import ClauseStatus

D = dt.date


@pytest.mark.parametrize(
    ("due", "as_of", "months"),
    [
        (D(2026, 1, 15), D(2026, 2, 14), 0),
        (D(2026, 1, 15), D(2026, 2, 15), 1),
        (D(2026, 1, 31), D(2026, 2, 28), 1),  # clamp to the month's last day
        (D(2026, 1, 31), D(2026, 3, 30), 1),
        (D(2026, 1, 31), D(2026, 3, 31), 2),
        (D(2026, 3, 31), D(2026, 6, 30), 3),
        (D(2026, 3, 31), D(2026, 6, 29), 2),
        (D(2027, 11, 30), D(2028, 2, 29), 3),  # 11-30 + 3 months clamps to Feb 29
        (D(2026, 6, 30), D(2026, 6, 30), 0),  # due on D: not late
    ],
)
def test_whole_calendar_months(due: dt.date, as_of: dt.date, months: int) -> None:
    assert whole_months_elapsed(due, as_of) == months


def test_feb_29_minus_one_year_clamps_to_feb_28() -> None:
    assert subtract_years(D(2028, 2, 29), 1) == D(2027, 2, 28)
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)


def test_within_one_year_excludes_the_day_one_year_before() -> None:
    assert not in_years_window(D(2025, 6, 30), AS_OF, 1)
    assert in_years_window(D(2025, 7, 1), AS_OF, 1)
    assert in_years_window(AS_OF, AS_OF, 1)
    assert not in_years_window(AS_OF + dt.timedelta(days=1), AS_OF, 1)
    # On 2028-02-29 the window starts after 2027-02-28.
    assert not in_years_window(D(2027, 2, 28), D(2028, 2, 29), 1)
    assert in_years_window(D(2027, 3, 1), D(2028, 2, 29), 1)


LIANSHUI = load_policy("lianshui-water").policy


def rate(history: History, as_of: dt.date = AS_OF) -> tuple[Level, dict[str, ClauseStatus]]:
    evaluation = evaluate(history.build(), LIANSHUI, as_of)
    return evaluation.level, {r.clause_id: r.status for r in evaluation.clauses}


def clean() -> History:
    return History.clean(Utility.WATER, "jiangsu")


def test_late_payment_still_counts_after_the_bill_is_paid() -> None:
    history = clean().bill(due=D(2026, 3, 15), paid={D(2026, 3, 20): "100.00"})
    history.bill(due=D(2026, 4, 15), paid={D(2026, 4, 20): "100.00"})
    level, statuses = rate(history)
    assert statuses["Y2"] == ClauseStatus.FIRED
    assert statuses["G1"] == ClauseStatus.HELD  # paid up: no arrears now
    assert level == Level.YELLOW


def test_partial_payment_by_the_due_date_is_still_a_late_payment() -> None:
    history = clean().bill(due=D(2026, 3, 15), paid={D(2026, 3, 15): "99.99"})
    _, statuses = rate(history)
    assert statuses["B1"] == ClauseStatus.FAILED


def test_reported_late_payment_on_a_bill_due_date_is_not_counted_twice() -> None:
    history = clean().late(D(2026, 3, 15))
    history.incident(IncidentKind.LATE_PAYMENT, D(2026, 3, 15))
    evaluation = evaluate(history.build(), LIANSHUI, AS_OF)
    assert evaluation.result("Y2").value == 1
    history.incident(IncidentKind.LATE_PAYMENT, D(2026, 4, 15))  # a different event
    assert evaluate(history.build(), LIANSHUI, AS_OF).result("Y2").value == 2


def test_arrears_take_the_oldest_unpaid_bill_across_accounts() -> None:
    history = clean().account(number="ACC-2", mode=PaymentMode.POSTPAID)
    history.bill(due=D(2026, 5, 15), account="ACC-1")
    history.bill(due=D(2026, 3, 31), account="ACC-2")
    evaluation = evaluate(history.build(), LIANSHUI, AS_OF)
    assert evaluation.result("R1").value == 3
    assert evaluation.result("R1").evidence[0].ref == "B002"


def test_payment_after_d_does_not_clear_arrears_at_d() -> None:
    history = clean().bill(due=D(2026, 3, 31), paid={D(2026, 7, 1): "100.00"})
    _, statuses = rate(history)
    assert statuses["R1"] == ClauseStatus.FIRED
    _, later = rate(history, D(2026, 7, 1))
    assert later["R1"] == ClauseStatus.CLEAR


def test_incidents_before_the_account_opened_count_and_bills_do_not_exist() -> None:
    history = clean().account(opened=D(2026, 1, 1))
    history.incident(IncidentKind.VIOLATION, D(2025, 12, 31), amount="1.00")
    history.late(D(2025, 12, 31))
    level, statuses = rate(history)
    assert statuses["G3"] == ClauseStatus.FAILED  # 自立户起: the subject's whole history
    assert statuses["B2"] == ClauseStatus.FAILED  # within 3 years, whatever the opening date
    assert statuses["G2"] == ClauseStatus.HELD  # a bill due before its account opened: none
    assert level == Level.YELLOW


def test_set_aside_records_count_nowhere_and_are_never_evidence() -> None:
    history = clean().account(number="ACC-2", mode=PaymentMode.POSTPAID)
    history.incident(IncidentKind.THEFT, D(2026, 5, 1), amount="20000.00", set_aside_by=7)
    history.incident(IncidentKind.VIOLATION, D(2026, 5, 2), D(2026, 5, 3), set_aside_by=7)
    history.incident(IncidentKind.VIOLATION, D(2026, 5, 4))
    history.bill(due=D(2025, 12, 1), account="ACC-2", set_aside_by=8)  # six months unpaid
    history.bill(due=D(2026, 6, 1), paid={D(2026, 6, 2): "100.00"}, set_aside_by=8)
    evaluation = evaluate(history.build(), LIANSHUI, AS_OF)
    assert evaluation.level == Level.YELLOW  # B2 (one violation in 3 years) fails: fallback
    assert evaluation.fired == ()
    statuses = {r.clause_id: r.status for r in evaluation.clauses}
    assert statuses["G1"] == ClauseStatus.FAILED  # ACC-2 is postpaid: not for the bills
    assert evaluation.result("G1").outcome.parts[1].truth is True  # no arrears
    assert statuses["B1"] == ClauseStatus.HELD  # no late payment
    assert evaluation.result("B2").value == 1
    refs = {e.ref for r in evaluation.clauses for e in r.evidence}
    assert refs == {"I004", "ACC-2", "jiangsu"}  # never a set-aside record (I001–3, B001–2)
    # set the marks back: the same file rates black (theft ≥ 10,000; six months' arrears)
    restored = clean().account(number="ACC-2", mode=PaymentMode.POSTPAID)
    restored.incidents = [replace(i, set_aside_by=None) for i in history.incidents]
    restored.bills = [replace(b, set_aside_by=None) for b in history.bills]
    assert evaluate(restored.build(), LIANSHUI, AS_OF).level == Level.BLACK


def test_missing_report_is_unknown_and_falls_to_fallback_with_a_reason() -> None:
    evaluation = evaluate(clean().without_reports().build(), LIANSHUI, AS_OF)
    assert evaluation.result("G4").status == ClauseStatus.UNKNOWN
    assert evaluation.result("B3").status == ClauseStatus.UNKNOWN
    assert evaluation.result("B3").outcome.reason
    assert evaluation.level == Level.YELLOW
    assert evaluation.via_fallback


def test_report_from_an_untrusted_source_is_not_used() -> None:
    history = clean().without_reports().report("guangdong", D(2026, 1, 1))
    assert rate(history)[1]["G4"] == ClauseStatus.UNKNOWN


def test_theft_without_amount_is_unknown_for_amount_clauses() -> None:
    history = clean().incident(IncidentKind.THEFT, AS_OF)
    evaluation = evaluate(history.build(), LIANSHUI, AS_OF)
    assert evaluation.result("R3").status == ClauseStatus.UNKNOWN
    assert evaluation.result("K3").status == ClauseStatus.UNKNOWN
    assert "I001" in (evaluation.result("R3").outcome.reason or "")


def test_wrong_utility_is_refused() -> None:
    with pytest.raises(ValueError, match="power"):
        evaluate(History.clean(Utility.POWER, "jiangsu").build(), LIANSHUI, AS_OF)


def test_zhanjiang_trustworthy_subject_needs_a_standing_commitment() -> None:
    policy = load_policy("zhanjiang-power").policy
    clean_power = History.clean(Utility.POWER, "guangdong")
    evaluation = evaluate(clean_power.build(), policy, AS_OF)
    (trustworthy,) = evaluation.designations
    statuses = {r.requirement_id: r.status for r in trustworthy.requirements}
    assert statuses.pop("commitment_given") == ClauseStatus.FAILED  # no commitment given
    assert set(statuses.values()) == {ClauseStatus.HELD}
    assert trustworthy.status == ClauseStatus.FAILED
    clean_power.commitment(D(2026, 6, 30))
    assert evaluate(clean_power.build(), policy, AS_OF).designations[0].status == ClauseStatus.HELD
    dirty = clean_power.incident(IncidentKind.THEFT, D(2023, 7, 1), amount="1.00")
    assert evaluate(dirty.build(), policy, AS_OF).designations[0].status == ClauseStatus.FAILED
    without_report = History.clean(Utility.POWER, None).commitment(D(2026, 1, 1))
    assert (
        evaluate(without_report.build(), policy, AS_OF).designations[0].status
        == ClauseStatus.UNKNOWN  # not on the serious list: no report to tell
    )


def test_shaoguan_excellent_subject() -> None:
    policy = load_policy("shaoguan-water").policy
    history = History.clean(Utility.WATER, "guangdong")
    assert evaluate(history.build(), policy, AS_OF).designations[0].status == ClauseStatus.HELD
    history.incident(IncidentKind.COMMITMENT_BREACH, D(2024, 1, 1))
    assert evaluate(history.build(), policy, AS_OF).designations[0].status == ClauseStatus.FAILED
