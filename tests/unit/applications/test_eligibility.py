"""Eligibility of credit-based applications on the reference path (issue 11 item 3): each
application-only condition at both of its sides, pure (no store)."""

from __future__ import annotations

import datetime as dt

import pytest

from utilcredit.applications.model import evaluate_eligibility, since_founding
from utilcredit.customers.model import (
    Account,
    Commitment,
    CommitmentStatus,
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    PaymentMode,
    Subject,
    SubjectKind,
    Utility,
)
from utilcredit.policies.loader import load_policy
from utilcredit.policies.model.credit_application import AddressType
from utilcredit.rating.facts import ApplicationFacts
from utilcredit.rating.results import ClauseStatus

D = dt.date
APPLIED = D(2027, 2, 20)
FOUNDED = D(2010, 1, 1)
ZHANJIANG = load_policy("zhanjiang-power").policy
SHAOGUAN = load_policy("shaoguan-water").policy
ENTERPRISE = "91440800MA4UTEST1X"
INSTITUTION = "12440800MA4UTEST1X"  # 事业单位: a legal person, not an enterprise


def _file(
    code: str = ENTERPRISE,
    utility: Utility = Utility.POWER,
    reports: tuple[CreditReport, ...] = (),
    incidents: tuple[Incident, ...] = (),
) -> CreditFile:
    return CreditFile(
        subject=Subject(code, SubjectKind.LEGAL, "示范有限公司"),
        utility=utility,
        accounts=(Account("A-1", code, utility, D(2012, 1, 1), PaymentMode.POSTPAID),),
        incidents=incidents,
        credit_reports=reports,
    )


def _facts(
    code: str = ENTERPRISE,
    *,
    zone: str | None = "湛江经济技术开发区 石化产业园区",
    founded: dt.date | None = FOUNDED,
    address_type: AddressType | None = None,
    kind: SubjectKind = SubjectKind.LEGAL,
) -> ApplicationFacts:
    return ApplicationFacts(code, kind, founded, "某路 1 号", address_type, zone)


def _report(
    issued: dt.date, source: str = "creditchina", rating: str | None = None
) -> CreditReport:
    return CreditReport(ENTERPRISE, source, issued, False, False, rating)


def _statuses(result: object) -> dict[str, ClauseStatus]:
    return {r.id: r.status for r in result.requirements}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("days", "expected"), [(0, "held"), (5, "held"), (6, "failed")])
def test_report_age_in_days(days: int, expected: str) -> None:
    credit_file = _file(reports=(_report(APPLIED - dt.timedelta(days=days)),))
    result = evaluate_eligibility(ZHANJIANG, credit_file, _facts(), APPLIED)
    assert _statuses(result)["A2"] == ClauseStatus(expected)


def test_a_report_from_an_untrusted_source_or_after_the_application_does_not_count() -> None:
    for report in (_report(APPLIED, source="hubei"), _report(APPLIED + dt.timedelta(days=1))):
        result = evaluate_eligibility(ZHANJIANG, _file(reports=(report,)), _facts(), APPLIED)
        assert _statuses(result)["A2"] == ClauseStatus.FAILED


def test_pilot_zone_in_and_out() -> None:
    credit_file = _file(reports=(_report(APPLIED),))
    inside = evaluate_eligibility(ZHANJIANG, credit_file, _facts(), APPLIED)
    outside = evaluate_eligibility(ZHANJIANG, credit_file, _facts(zone=None), APPLIED)
    assert inside.eligible and _statuses(inside)["A1"] == ClauseStatus.HELD
    assert not outside.eligible and _statuses(outside)["A1"] == ClauseStatus.FAILED


def test_founding_date_cuts_the_window_and_unknown_is_unknown() -> None:
    theft = Incident("I-1", "A-1", IncidentKind.THEFT, D(2025, 6, 1))
    credit_file = _file(reports=(_report(APPLIED),), incidents=(theft,))
    young = evaluate_eligibility(ZHANJIANG, credit_file, _facts(founded=D(2025, 6, 2)), APPLIED)
    founded_that_day = evaluate_eligibility(
        ZHANJIANG, credit_file, _facts(founded=D(2025, 6, 1)), APPLIED
    )
    unknown = evaluate_eligibility(ZHANJIANG, credit_file, _facts(founded=None), APPLIED)
    assert _statuses(young)["A6"] == ClauseStatus.HELD and young.counted_from == D(2025, 6, 2)
    assert _statuses(founded_that_day)["A6"] == ClauseStatus.FAILED
    assert _statuses(unknown)["A4"] == ClauseStatus.UNKNOWN
    assert unknown.status == ClauseStatus.FAILED  # the theft counts when founding is unknown


def test_since_founding_keeps_everything_without_a_founding_date() -> None:
    credit_file = _file(incidents=(Incident("I-1", "A-1", IncidentKind.THEFT, D(2000, 1, 1)),))
    assert since_founding(credit_file, None) is credit_file
    assert since_founding(credit_file, D(2000, 1, 2)).incidents == ()


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        (ENTERPRISE, SubjectKind.LEGAL, "held"),
        (INSTITUTION, SubjectKind.LEGAL, "failed"),
        ("11010519491231002X", SubjectKind.NATURAL, "failed"),
    ],
)
def test_shaoguan_takes_enterprises_only(code: str, kind: SubjectKind, expected: str) -> None:
    credit_file = _file(code=code, utility=Utility.WATER)
    result = evaluate_eligibility(SHAOGUAN, credit_file, _facts(code, kind=kind), APPLIED)
    assert _statuses(result)["A1"] == ClauseStatus(expected)


@pytest.mark.parametrize(
    ("rating", "expected"), [("A", "held"), ("B", "held"), ("C", "failed"), (None, "unknown")]
)
def test_shaoguan_report_grade(rating: str | None, expected: str) -> None:
    credit_file = _file(utility=Utility.WATER, reports=(_report(APPLIED, "guangdong", rating),))
    result = evaluate_eligibility(SHAOGUAN, credit_file, _facts(), APPLIED)
    assert _statuses(result)["A2"] == ClauseStatus(expected)


@pytest.mark.parametrize(
    ("address_type", "expected"),
    [
        (AddressType.STATE_LAND_OWN_BUILDING, "held"),
        (AddressType.STATE_LAND_NO_BUILDING, "held"),
        (AddressType.RENTED, "failed"),
        (None, "unknown"),
    ],
)
def test_shaoguan_address_types(address_type: AddressType | None, expected: str) -> None:
    result = evaluate_eligibility(
        SHAOGUAN,
        _file(utility=Utility.WATER),
        _facts(address_type=address_type),
        APPLIED,
    )
    assert _statuses(result)["A5"] == ClauseStatus(expected)


@pytest.mark.parametrize(
    ("status", "status_on", "valid_until", "day", "stands"),
    [
        (CommitmentStatus.MADE, D(2027, 1, 1), None, D(2027, 1, 1), True),
        (CommitmentStatus.MADE, D(2027, 1, 1), None, D(2026, 12, 31), False),
        (CommitmentStatus.IN_FORCE, D(2027, 1, 1), D(2027, 6, 30), D(2027, 6, 30), True),
        (CommitmentStatus.IN_FORCE, D(2027, 1, 1), D(2027, 6, 30), D(2027, 7, 1), False),
        (CommitmentStatus.BREACHED, D(2027, 3, 1), None, D(2027, 2, 28), True),
        (CommitmentStatus.BREACHED, D(2027, 3, 1), None, D(2027, 3, 1), False),
        (CommitmentStatus.FULFILLED, D(2027, 3, 1), None, D(2028, 1, 1), True),
        (CommitmentStatus.WITHDRAWN, D(2027, 3, 1), None, D(2027, 3, 1), False),
    ],
)
def test_when_a_commitment_stands(
    status: CommitmentStatus,
    status_on: dt.date,
    valid_until: dt.date | None,
    day: dt.date,
    stands: bool,
) -> None:
    commitment = Commitment("CN1", "voluntary", D(2027, 1, 1), valid_until, status, status_on)
    assert commitment.stands_on(day) is stands
