"""Reference evaluator: one subject's credit file + a policy + an as-of date → level with evidence.

Pure (no I/O, no clock): the same inputs always give the same result, which is what lets a past
level be reproduced and the batch SQL path be checked against this one (DESIGN).

Semantics (SPEC 3), implemented once here:

* "within N years" at D is ``D − N years < date ≤ D``; Feb 29 clamps to Feb 28;
* records after D do not exist yet at D, nor do accounts opened after D and bills of an account
  due before it opened; incidents count whatever account they are filed on and whenever it
  opened (the rated unit is the subject's whole history with the utility: theft before regular
  supply is what the clauses are for);
* incidents and bills set aside by the dishonesty-record register (``set_aside_by``: a
  repaired, removed or corrected-away record's evidence) are left out before any rule applies,
  as if absent;
* a *late payment* is one per bill whose payments dated on or before the due date sum to less
  than the amount, once the due date is before D; it is dated at the due date and keeps counting
  after the bill is paid. ``late_payment`` incidents reported directly by the billing system
  count too, except one on the same account and date as a bill-derived late payment (the same
  event seen twice);
* *arrears months* are whole calendar months since the due date of the oldest bill still unpaid
  at D (payments dated ≤ D sum to less than the amount), across all the subject's accounts;
* *no overdue in a window* (W, D]: no bill due before D unsettled at the later of its due date
  and W (it was overdue and unpaid at some moment of the window), and no reported late payment
  dated in the window;
* the level is the worst of black, red, yellow with a fired clause; else green if every green
  clause holds; else blue if every blue clause holds; else the policy's fallback level.

What existed at D (the second to fourth rules, and the bills unpaid at D) is collected once per
evaluation by :func:`~utilcredit.rating.facts.collect_facts`. This module holds the rest: one
function per clause test on those facts, the clause statuses, the level and the designations.
They stay one module on purpose: it is the reference that the SQL compiler and the differential
tests are held to, read side by side with SPEC 3.
"""

from __future__ import annotations

import datetime as dt

from utilcredit.customers.model import (
    CreditFile,
    CreditReport,
    Incident,
    IncidentKind,
    PaymentMode,
    SubjectKind,
)
from utilcredit.policies.model.conditions import (
    AllAccountsPrepaidTest,
    AllOfTest,
    AnyOfTest,
    ArrearsMonthsTest,
    CommitmentGivenTest,
    CountBounds,
    IncidentCountTest,
    LatePaymentCountTest,
    NoArrearsTest,
    NoOverdueInWindowTest,
    NotOnSeriousListTest,
    ReportNoDishonestyTest,
    ReportRatingTest,
    Window,
    parse_asset_class,
)
from utilcredit.policies.model.credit_application import (
    AddressTypeTest,
    ApplicantCategoryTest,
    EligibilityTest,
    FoundingDateKnownTest,
    PilotZoneTest,
    ReportRecentTest,
)
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Designation, Policy
from utilcredit.rating.dates import in_years_window, subtract_years, whole_months_elapsed
from utilcredit.rating.facts import Facts, LatePayment, UnpaidBill, collect_facts, paid_by
from utilcredit.rating.results import (
    ClauseResult,
    ClauseStatus,
    DesignationResult,
    Evaluation,
    Evidence,
    EvidenceKind,
    RequirementResult,
    TestOutcome,
)

# An account's payment mode as the explanation says it (the detail people read).
PAYMENT_MODE_ZH: dict[PaymentMode, str] = {
    PaymentMode.PREPAID: "预付费",
    PaymentMode.POSTPAID: "后付费",
}
INCIDENT_KIND_ZH: dict[IncidentKind, str] = {
    IncidentKind.LATE_PAYMENT: "未按期交费",
    IncidentKind.VIOLATION: "违约用水/电",
    IncidentKind.THEFT: "窃水/电",
    IncidentKind.HAZARD_UNRECTIFIED: "未及时整改安全隐患",
    IncidentKind.METER_REFUSAL: "计量装置故障拒不整改",
    IncidentKind.OUTAGE_CAUSED: "造成公用管网/电网停水停电",
    IncidentKind.FACILITY_DAMAGE: "破坏供水/电设施",
    IncidentKind.PROTECTION_ZONE_WORK: "保护范围内违章作业",
    IncidentKind.PLAN_REFUSAL: "拒不履行有序用水/电方案、协议",
    IncidentKind.ORDER_DISRUPTION: "扰乱企业秩序",
    IncidentKind.MALICIOUS_COMPLAINT: "歪曲用量、恶意投诉",
    IncidentKind.GENERAL_DISHONESTY: "一般失信行为",
    IncidentKind.SERIOUS_DISHONESTY: "较重失信行为",
    IncidentKind.COMMITMENT_BREACH: "违反信用承诺",
}


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def _in_window(on: dt.date, window: Window, as_of: dt.date) -> bool:
    # Facts already hold only records that existed at D, so "since opened" needs no filter.
    return window.since_opened or in_years_window(on, as_of, window.years or 0)


def _bounds_truth(bounds: CountBounds, definite: int, undecided: int) -> bool | None:
    """Truth of ``bounds`` for a count known to lie in [definite, definite + undecided]."""
    highest = definite + undecided
    all_inside = definite >= bounds.min and (bounds.max is None or highest <= bounds.max)
    all_outside = highest < bounds.min or (bounds.max is not None and definite > bounds.max)
    if all_inside:
        return True
    if all_outside:
        return False
    return None


def _incident_matches(incident: Incident, test: IncidentCountTest) -> bool | None:
    """Whether the incident counts for the test; None when a filtered attribute is missing."""
    if incident.kind not in test.kinds:
        return False
    checks: list[bool | None] = []
    if test.amount is not None:
        checks.append(None if incident.amount is None else test.amount.contains(incident.amount))
    if test.asset_class is not None:
        parsed = None if incident.asset_class is None else parse_asset_class(incident.asset_class)
        checks.append(
            None if parsed is None else test.asset_class.contains(incident.asset_class or "")
        )
    if test.severity is not None:
        checks.append(None if incident.severity is None else incident.severity == test.severity)
    if False in checks:
        return False
    return None if None in checks else True


def _incident_evidence(incident: Incident) -> Evidence:
    detail = INCIDENT_KIND_ZH[incident.kind]
    if incident.amount is not None:
        detail += f" 金额{incident.amount}元"
    if incident.asset_class:
        detail += f" {incident.asset_class}"
    if incident.severity is not None:
        detail += f" {incident.severity.value}"
    return Evidence(EvidenceKind.INCIDENT, incident.incident_no, incident.occurred_on, detail)


def _incident_count(test: IncidentCountTest, facts: Facts) -> TestOutcome:
    in_window = [i for i in facts.incidents if _in_window(i.occurred_on, test.window, facts.as_of)]
    matched = [i for i in in_window if _incident_matches(i, test) is True]
    undecided = [i for i in in_window if _incident_matches(i, test) is None]
    truth = _bounds_truth(test.count, len(matched), len(undecided))
    reason = None
    if undecided:
        refs = "、".join(i.incident_no for i in undecided)
        reason = f"事件 {refs} 缺少金额、资产等级或情节，无法判定是否计入"
    evidence = tuple(_incident_evidence(i) for i in matched + undecided)
    return TestOutcome(test.type, truth, len(matched), evidence, reason)


def _late_payment_count(test: LatePaymentCountTest, facts: Facts) -> TestOutcome:
    counted = [lp for lp in facts.late_payments if _in_window(lp.on, test.window, facts.as_of)]
    truth = test.count.contains(len(counted))
    return TestOutcome(test.type, truth, len(counted), tuple(lp.evidence() for lp in counted))


def _no_overdue_in_window(test: NoOverdueInWindowTest, facts: Facts) -> TestOutcome:
    """Bills overdue and unpaid at some moment of (W, D]: due before D and not settled by
    max(due date, W); plus reported late payments dated in the window (their duplicates of a
    bill-derived late payment left out, as in ``late_payment_count``)."""
    start = (
        None if test.window.since_opened else subtract_years(facts.as_of, test.window.years or 0)
    )
    overdue: list[LatePayment] = []
    details: dict[str, str] = {}
    for bill in facts.bills:
        if bill.due_on >= facts.as_of:
            continue
        cutoff = bill.due_on if start is None else max(bill.due_on, start)
        if paid_by(bill, cutoff) < bill.amount:
            overdue.append(LatePayment(bill.account_no, bill.due_on, bill_no=bill.bill_no))
            outstanding = bill.amount - paid_by(bill, facts.as_of)
            details[bill.bill_no] = f"欠{outstanding}元" if outstanding > 0 else "逾期后付清"
    reported = [
        lp
        for lp in facts.late_payments
        if lp.incident_no is not None and _in_window(lp.on, test.window, facts.as_of)
    ]
    counted = sorted(overdue + reported, key=lambda lp: (lp.on, lp.account_no))
    evidence = tuple(
        Evidence(EvidenceKind.BILL, lp.bill_no, lp.on, details[lp.bill_no])
        if lp.bill_no is not None
        else lp.evidence()
        for lp in counted
    )
    return TestOutcome(test.type, not counted, len(counted), evidence)


def _unpaid_evidence(unpaid: UnpaidBill) -> Evidence:
    return Evidence(
        EvidenceKind.BILL, unpaid.bill.bill_no, unpaid.bill.due_on, f"欠{unpaid.outstanding}元"
    )


def _arrears_months(test: ArrearsMonthsTest, facts: Facts) -> TestOutcome:
    months = 0
    if facts.unpaid_overdue:
        months = whole_months_elapsed(facts.unpaid_overdue[0].bill.due_on, facts.as_of)
    evidence = tuple(_unpaid_evidence(u) for u in facts.unpaid_overdue)
    return TestOutcome(test.type, test.months.contains(months), months, evidence)


def _no_arrears(test: NoArrearsTest, facts: Facts) -> TestOutcome:
    evidence = tuple(_unpaid_evidence(u) for u in facts.unpaid_overdue)
    return TestOutcome(test.type, not facts.unpaid_overdue, len(facts.unpaid_overdue), evidence)


def _all_accounts_prepaid(test: AllAccountsPrepaidTest, facts: Facts) -> TestOutcome:
    if not facts.accounts:
        return TestOutcome(test.type, None, reason="评定日没有本企业的户号")
    postpaid = [a for a in facts.accounts if a.payment_mode != PaymentMode.PREPAID]
    shown = postpaid or list(facts.accounts)
    evidence = tuple(
        Evidence(EvidenceKind.ACCOUNT, a.account_no, a.opened_on, PAYMENT_MODE_ZH[a.payment_mode])
        for a in shown
    )
    return TestOutcome(test.type, not postpaid, len(postpaid), evidence)


def _latest_reports(facts: Facts) -> list[CreditReport]:
    if not facts.reports:
        return []
    latest = max(r.issued_on for r in facts.reports)
    return [r for r in facts.reports if r.issued_on == latest]


def _report_test(test: ReportNoDishonestyTest | NotOnSeriousListTest, facts: Facts) -> TestOutcome:
    latest = _latest_reports(facts)
    if not latest:
        return TestOutcome(test.type, None, reason="评定日及之前没有可信来源的公共信用报告")
    if isinstance(test, ReportNoDishonestyTest):
        bad = [r for r in latest if r.has_dishonesty]
        detail = {True: "显示有失信行为", False: "显示无失信行为"}
        evidence = tuple(
            Evidence(EvidenceKind.REPORT, r.source, r.issued_on, detail[r.has_dishonesty])
            for r in latest
        )
    else:
        bad = [r for r in latest if r.on_serious_list]
        detail = {True: "列入严重失信主体名单", False: "未列入严重失信主体名单"}
        evidence = tuple(
            Evidence(EvidenceKind.REPORT, r.source, r.issued_on, detail[r.on_serious_list])
            for r in latest
        )
    return TestOutcome(test.type, not bad, len(bad), evidence)


def _report_rating(test: ReportRatingTest, facts: Facts) -> TestOutcome:
    latest = _latest_reports(facts)
    if not latest:
        return TestOutcome(test.type, None, reason="评定日及之前没有可信来源的公共信用报告")
    graded = [r for r in latest if r.rating]
    if not graded:
        return TestOutcome(test.type, None, reason="最新的公共信用报告没有信用等级")
    evidence = tuple(
        Evidence(EvidenceKind.REPORT, r.source, r.issued_on, f"信用等级 {r.rating}") for r in graded
    )
    outside = [r for r in graded if r.rating not in test.grades]
    return TestOutcome(test.type, not outside, len(outside), evidence)


def _commitment_given(test: CommitmentGivenTest, facts: Facts) -> TestOutcome:
    standing = [
        c
        for c in facts.commitments
        if c.stands_on(facts.as_of) and (not test.types or c.commitment_type in test.types)
    ]
    evidence = tuple(
        Evidence(EvidenceKind.COMMITMENT, c.code, c.made_on, "承诺有效") for c in standing
    )
    reason = None if standing else "评定日没有有效的信用承诺"
    return TestOutcome(test.type, bool(standing), len(standing), evidence, reason)


_APPLICATION_TESTS = (
    ApplicantCategoryTest,
    AddressTypeTest,
    PilotZoneTest,
    ReportRecentTest,
    FoundingDateKnownTest,
)


def _application_test(test: EligibilityTest, facts: Facts) -> TestOutcome:
    application = facts.application
    if application is None:
        return TestOutcome(test.type, None, reason="只在信用办理申请中判断")
    match test:
        case ApplicantCategoryTest():
            code = application.subject_code
            matches = application.subject_kind == SubjectKind.LEGAL and (
                not test.code_prefixes or code.startswith(test.code_prefixes)
            )
            detail = f"统一社会信用代码 {code[:2]}…（{'是' if matches else '不是'}{test.label}）"
            evidence = (Evidence(EvidenceKind.APPLICATION, "applicant", None, detail),)
            return TestOutcome(test.type, matches, None, evidence)
        case AddressTypeTest():
            if application.address_type is None:
                return TestOutcome(test.type, None, reason="申请未登记用水/用电地址类型")
            detail = application.address_type.label_zh
            evidence = (Evidence(EvidenceKind.APPLICATION, "address_type", None, detail),)
            return TestOutcome(test.type, application.address_type in test.allowed, None, evidence)
        case PilotZoneTest():
            detail = application.zone or f"{application.address}（不在试点区域）"
            evidence = (Evidence(EvidenceKind.APPLICATION, "zone", None, detail),)
            return TestOutcome(test.type, application.zone is not None, None, evidence)
        case ReportRecentTest():
            return _report_recent(test, facts)
        case FoundingDateKnownTest():
            if application.founded_on is None:
                return TestOutcome(test.type, None, reason="主体成立日期未知，请补录")
            evidence = (
                Evidence(
                    EvidenceKind.APPLICATION, "founded_on", application.founded_on, "成立日期"
                ),
            )
            return TestOutcome(test.type, True, None, evidence)
    raise TypeError(test.type)  # pragma: no cover - the match covers _APPLICATION_TESTS


def _report_recent(test: ReportRecentTest, facts: Facts) -> TestOutcome:
    earliest = facts.as_of - dt.timedelta(days=test.days)
    recent = [r for r in facts.reports if earliest <= r.issued_on <= facts.as_of]
    if not recent:
        newest = max((r.issued_on for r in facts.reports), default=None)
        reason = (
            f"最新的可信报告下载于 {newest.isoformat()}，早于 {earliest.isoformat()}"
            if newest
            else "没有可信来源的公共信用报告"
        )
        return TestOutcome(test.type, False, 0, reason=reason)
    evidence = tuple(
        Evidence(EvidenceKind.REPORT, r.source, r.issued_on, f"{test.days}天内下载") for r in recent
    )
    return TestOutcome(test.type, True, len(recent), evidence)


def _any_of(test: AnyOfTest, facts: Facts) -> TestOutcome:
    parts = tuple(run_test(part, facts) for part in test.tests)
    truths = [p.truth for p in parts]
    truth = True if True in truths else (None if None in truths else False)
    shown = [p for p in parts if p.truth is True] if truth else list(parts)
    return _combined(test.type, truth, parts, shown)


def _all_of(test: AllOfTest, facts: Facts) -> TestOutcome:
    parts = tuple(run_test(part, facts) for part in test.tests)
    truths = [p.truth for p in parts]
    truth = False if False in truths else (None if None in truths else True)
    shown = [p for p in parts if p.truth is not True] if truth is not True else list(parts)
    return _combined(test.type, truth, parts, shown)


def _combined(
    test_type: str, truth: bool | None, parts: tuple[TestOutcome, ...], shown: list[TestOutcome]
) -> TestOutcome:
    evidence = tuple(dict.fromkeys(e for p in shown for e in p.evidence))  # ordered, no repeats
    reasons = [p.reason for p in parts if p.reason]
    return TestOutcome(test_type, truth, None, evidence, "；".join(reasons) or None, parts)


def run_test(test: EligibilityTest, facts: Facts) -> TestOutcome:
    match test:
        case IncidentCountTest():
            return _incident_count(test, facts)
        case LatePaymentCountTest():
            return _late_payment_count(test, facts)
        case ArrearsMonthsTest():
            return _arrears_months(test, facts)
        case NoArrearsTest():
            return _no_arrears(test, facts)
        case NoOverdueInWindowTest():
            return _no_overdue_in_window(test, facts)
        case AllAccountsPrepaidTest():
            return _all_accounts_prepaid(test, facts)
        case ReportNoDishonestyTest() | NotOnSeriousListTest():
            return _report_test(test, facts)
        case ReportRatingTest():
            return _report_rating(test, facts)
        case CommitmentGivenTest():
            return _commitment_given(test, facts)
        case _ if isinstance(test, _APPLICATION_TESTS):
            return _application_test(test, facts)
        case AnyOfTest():
            return _any_of(test, facts)
        case AllOfTest():
            return _all_of(test, facts)


# --------------------------------------------------------------------------------------------
# Clauses, level, designations
# --------------------------------------------------------------------------------------------

_TRIGGER_STATUS = {True: ClauseStatus.FIRED, False: ClauseStatus.CLEAR, None: ClauseStatus.UNKNOWN}
_REQUIREMENT_STATUS = {
    True: ClauseStatus.HELD,
    False: ClauseStatus.FAILED,
    None: ClauseStatus.UNKNOWN,
}


def evaluate_clause(clause: Clause, facts: Facts) -> ClauseResult:
    outcome = run_test(clause.test, facts)
    statuses = _TRIGGER_STATUS if clause.level.is_trigger else _REQUIREMENT_STATUS
    return ClauseResult(clause.id, clause.level, statuses[outcome.truth], outcome)


def _all_held(results: list[ClauseResult]) -> bool:
    return all(r.status == ClauseStatus.HELD for r in results)


def decide_level(
    policy: Policy, results: tuple[ClauseResult, ...]
) -> tuple[Level, tuple[str, ...], bool]:
    """(level, clause ids that decided it, whether the fallback was used)."""
    for level in policy.levels_worst_first:
        fired = [
            r.clause_id for r in results if r.level == level and r.status == ClauseStatus.FIRED
        ]
        if level.is_trigger and fired:
            return level, tuple(fired), False
    green = [r for r in results if r.level == Level.GREEN]
    blue = [r for r in results if r.level == Level.BLUE]
    not_held_green = tuple(r.clause_id for r in green if r.status != ClauseStatus.HELD)
    if Level.GREEN in policy.levels and _all_held(green):
        return Level.GREEN, tuple(r.clause_id for r in green), False
    if Level.BLUE in policy.levels and _all_held(blue):
        return Level.BLUE, not_held_green + tuple(r.clause_id for r in blue), False
    not_held_blue = tuple(r.clause_id for r in blue if r.status != ClauseStatus.HELD)
    return policy.fallback_level, not_held_blue or not_held_green, True


def evaluate_designation(designation: Designation, facts: Facts) -> DesignationResult:
    results = tuple(
        RequirementResult(r.id, _REQUIREMENT_STATUS[(o := run_test(r.test, facts)).truth], o)
        for r in designation.requirements
    )
    statuses = {r.status for r in results}
    if ClauseStatus.FAILED in statuses:
        status = ClauseStatus.FAILED
    elif ClauseStatus.UNKNOWN in statuses or designation.not_encoded:
        # Conditions the credit file cannot show (e.g. a signed commitment) keep it undecided.
        status = ClauseStatus.UNKNOWN
    else:
        status = ClauseStatus.HELD
    return DesignationResult(designation.key, status, results)


def evaluate(credit_file: CreditFile, policy: Policy, as_of: dt.date) -> Evaluation:
    """Rate one subject with one utility under ``policy`` as of ``as_of`` (pure)."""
    if credit_file.utility != policy.utility:
        raise ValueError(
            f"policy {policy.key} rates {policy.utility} customers, "
            f"the credit file is {credit_file.utility}"
        )
    facts = collect_facts(credit_file, policy, as_of)
    results = tuple(evaluate_clause(clause, facts) for clause in policy.clauses)
    level, decided_by, via_fallback = decide_level(policy, results)
    designations = tuple(evaluate_designation(d, facts) for d in policy.designations)
    return Evaluation(
        subject_code=credit_file.subject.code,
        policy_key=policy.key,
        policy_version=policy.version,
        as_of=as_of,
        level=level,
        decided_by=decided_by,
        via_fallback=via_fallback,
        clauses=results,
        designations=designations,
    )
