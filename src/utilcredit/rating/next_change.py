"""Next change: the first future date on which a subject's level improves if nothing new happens.

Pure (no I/O, no clock). The level is a function of the as-of date D over a fixed credit file, and
that function only changes value on a few dates: when a record enters or leaves a window
("within N years": ``D − N years < date ≤ D``), when a bill falls due unpaid (a late payment the
day after its due date), when the day a late bill was settled leaves a window (it was overdue
inside the window until then: ``no_overdue_in_window``), and when arrears age by another whole
calendar month, and when a credit commitment stops standing (the day after it is valid until,
or the day it is breached, expired or withdrawn). This module lists
those candidate dates after D and re-evaluates the subject with the reference evaluator on each, in
order, until the level is better than today's. Re-evaluating (rather than reasoning about clauses)
keeps it exact for any policy, including band clauses ("exactly 2 late payments") where a record
leaving a window can move a subject up *or* down.

"If nothing new happens" is taken literally: records dated after D (bills due later, payments,
incidents, reports, accounts, commitments made later, and a commitment's breach, expiry or
withdrawal dated after D) are left out, so the forecast assumes no new bill goes unpaid, no
new payment arrives and no new incident occurs. Consequences, said in the sentence shown to people:

* arrears still unpaid never heal by time: the oldest unpaid bill keeps ageing, so an arrears
  clause keeps firing (or gets worse) until the bill is paid;
* a requirement that fails for want of data (no public credit report on file) or for a permanent
  reason (a postpaid account, a violation "since the account opened") does not heal by time
  either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from utilcredit.customers.model import COMMITMENT_ENDED, CommitmentStatus, CreditFile
from utilcredit.policies.model.conditions import (
    ArrearsMonthsTest,
    ClauseTest,
    CommitmentGivenTest,
    IncidentCountTest,
    LatePaymentCountTest,
    NoOverdueInWindowTest,
)
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy, iter_tests
from utilcredit.rating.dates import add_months
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.facts import collect_facts
from utilcredit.rating.results import ClauseStatus, Evaluation

# Arrears clauses are rarely written beyond a few years; ageing is simulated this far at most.
_MAX_ARREARS_MONTHS = 120


@dataclass(frozen=True, slots=True)
class NextChange:
    """When (if ever) the level improves without new records, and to what.

    ``on`` is None when time alone never improves it; ``arrears_bills`` then lists the unpaid
    overdue bills (their arrears never heal by time) and ``reason`` says why in Chinese.
    """

    level: Level  # the level at the as-of date
    as_of: dt.date
    on: dt.date | None = None
    to_level: Level | None = None
    leaving: tuple[str, ...] = ()  # refs of the records whose leaving a window brings it
    arrears_bills: tuple[str, ...] = ()
    reason: str | None = None

    def sentence_zh(self) -> str:
        """``黄色，若无新增失信行为，将于2027-02-16起恢复为蓝色`` or why it will not change."""
        head = self.level.label_zh
        if self.on is not None and self.to_level is not None:
            return f"{head}，若无新增失信行为，将于{self.on.isoformat()}起恢复为{self.to_level.label_zh}"
        return f"{head}，{self.reason}" if self.reason else head


def policy_tests(policy: Policy, *, designations: bool = False) -> list[ClauseTest]:
    """The tests of the policy's clauses (which decide the level) and, with ``designations``,
    of its designations' requirements too (which a run also stores), parts of composites
    included."""
    tops = [c.test for c in policy.clauses]
    if designations:
        tops += [r.test for d in policy.designations for r in d.requirements]
    return [t for top in tops for t in iter_tests(top)]


def window_years(policy: Policy, *, designations: bool = False) -> set[int]:
    """Every \"within N years\" window length the policy's clauses (and with
    ``designations``, its designations' requirements) use."""
    windowed = IncidentCountTest | LatePaymentCountTest | NoOverdueInWindowTest
    years: set[int] = set()
    for test in policy_tests(policy, designations=designations):
        if isinstance(test, windowed) and test.window.years:
            years.add(test.window.years)
    return years


def overdue_window_years(policy: Policy, *, designations: bool = False) -> set[int]:
    """The window lengths of the policy's ``no_overdue_in_window`` tests, where a settlement
    day leaving the window moves a rating."""
    return {
        test.window.years
        for test in policy_tests(policy, designations=designations)
        if isinstance(test, NoOverdueInWindowTest) and test.window.years
    }


def uses_commitments(policy: Policy, *, designations: bool = False) -> bool:
    """Whether a ``commitment_given`` test reads the subject's commitments."""
    return any(
        isinstance(t, CommitmentGivenTest) for t in policy_tests(policy, designations=designations)
    )


def _leaving(day: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """A record dated ``day`` leaves "within n years" on the first D' with D' − n years ≥ day:
    day + n years, or the day after when Feb 29 clamps (2024-02-29 + 1 year leaves on
    2025-03-01)."""
    leave = _add_years(day, years)
    return leave, leave + dt.timedelta(days=1)


def _arrears_months_horizon(policy: Policy) -> int:
    """The months of ageing after which no ``arrears_months`` test of the clauses can change
    its answer (0 without such a test): past every bound, ``min ≤ n ≤ max`` stays as it is.
    The month after the highest bound is the last one to evaluate; the dates after it would
    each cost an evaluation (120 of the ≈ 160 a subject with unpaid arrears had on the demo)
    and cannot move the level."""
    bounds = [
        t.months
        for c in policy.clauses
        for t in iter_tests(c.test)
        if isinstance(t, ArrearsMonthsTest)
    ]
    if not bounds:
        return 0
    highest = max(max(b.min, b.max or 0) for b in bounds)
    return min(highest + 1, _MAX_ARREARS_MONTHS)


def _add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def known_at(credit_file: CreditFile, as_of: dt.date) -> CreditFile:
    """The credit file as it stood at D: nothing dated after D (no new bill, payment, event)."""
    bills = tuple(
        replace(b, payments=tuple(p for p in b.payments if p.paid_on <= as_of))
        for b in credit_file.bills
        if b.due_on <= as_of
    )
    return replace(
        credit_file,
        accounts=tuple(a for a in credit_file.accounts if a.opened_on <= as_of),
        bills=bills,
        incidents=tuple(i for i in credit_file.incidents if i.occurred_on <= as_of),
        reminders=tuple(r for r in credit_file.reminders if r.sent_on <= as_of),
        credit_reports=tuple(r for r in credit_file.credit_reports if r.issued_on <= as_of),
        # a commitment made by D, as it stood at D: an end (breach, expiry, withdrawal) dated
        # after D has not happened yet, so it is in force (it stands on the same days as one
        # made or in force; its validity still ends on its own)
        commitments=tuple(
            replace(c, status=CommitmentStatus.IN_FORCE, status_on=c.made_on)
            if c.status in COMMITMENT_ENDED and c.status_on > as_of
            else c
            for c in credit_file.commitments
            if c.made_on <= as_of
        ),
    )


def candidate_dates(credit_file: CreditFile, policy: Policy, as_of: dt.date) -> list[dt.date]:
    """Dates after D on which the level can change when no new record arrives (sorted)."""
    years = window_years(policy)
    bills = [b for b in credit_file.bills if not b.set_aside]  # set-aside rows never count
    dated: set[dt.date] = {i.occurred_on for i in credit_file.incidents if not i.set_aside}
    dated |= {b.due_on for b in bills}
    found: set[dt.date] = set()
    for day in dated:
        for n in years:
            found.update(_leaving(day, n))
    # a bill settled late was overdue inside "within N years" until its settlement day leaves
    settle_years = overdue_window_years(policy)
    for day in {p.paid_on for b in bills for p in b.payments} if settle_years else ():
        for n in settle_years:
            found.update(_leaving(day, n))
    for bill in bills:
        # A bill due on D is not late yet; unpaid by its due date it is late from the day after.
        found.add(bill.due_on + dt.timedelta(days=1))
    if uses_commitments(policy):
        # a commitment stops standing the day after it is valid until, and on the day it is
        # breached, expired or withdrawn (known_at leaves none of those after D; kept for a
        # file given as is)
        for commitment in credit_file.commitments:
            if commitment.valid_until is not None:
                found.add(commitment.valid_until + dt.timedelta(days=1))
            if commitment.status in COMMITMENT_ENDED:
                found.add(commitment.status_on)
    horizon = _arrears_months_horizon(policy)
    if horizon:
        facts = collect_facts(credit_file, policy, as_of + dt.timedelta(days=1))
        if facts.unpaid_overdue:
            oldest = facts.unpaid_overdue[0].bill.due_on
            found.update(add_months(oldest, k) for k in range(1, horizon + 1))
    return sorted(day for day in found if day > as_of)


def _arrears_reason(bills: tuple[str, ...]) -> str:
    refs = "、".join(bills)
    return f"存在未缴清的到期账单（{refs}），欠费不随时间消除，缴清前等级不会自动恢复"


def next_change(
    credit_file: CreditFile,
    policy: Policy,
    as_of: dt.date,
    evaluation: Evaluation | None = None,
) -> NextChange:
    """The first date after ``as_of`` on which the level is better than at ``as_of``.

    ``evaluation`` (of the same file, policy and date) saves one evaluation when already at hand.
    """
    frozen = known_at(credit_file, as_of)
    today = evaluation or evaluate(credit_file, policy, as_of)
    level = today.level
    # Unpaid bills due by D (one due on D is overdue tomorrow): with no payment they never heal.
    tomorrow = as_of + dt.timedelta(days=1)
    arrears = tuple(u.bill.bill_no for u in collect_facts(frozen, policy, tomorrow).unpaid_overdue)
    best = min(policy.levels, key=lambda lv: lv.badness)
    if level == best:
        return NextChange(level, as_of, reason=None)
    for day in candidate_dates(frozen, policy, as_of):
        later = evaluate(frozen, policy, day)
        if later.level.badness < level.badness:
            leaving = _records_leaving(today, later)
            return NextChange(level, as_of, day, later.level, leaving, arrears)
    if arrears:
        return NextChange(level, as_of, arrears_bills=arrears, reason=_arrears_reason(arrears))
    return NextChange(
        level,
        as_of,
        reason="若无新的信息（如公共信用报告、整改或信用修复），等级不会随时间自动恢复",
    )


def _records_leaving(before: Evaluation, after: Evaluation) -> tuple[str, ...]:
    """Evidence of today's fired triggers and unmet requirements that the same clause no longer
    counts on the day of the change (the records whose leaving a window brings it)."""
    later = {r.clause_id: {e.ref for e in r.evidence} for r in after.clauses}
    gone: list[str] = []
    for result in before.clauses:
        if result.status in (ClauseStatus.FIRED, ClauseStatus.FAILED):
            still = later.get(result.clause_id, set())
            gone.extend(e.ref for e in result.evidence if e.ref not in still)
    return tuple(dict.fromkeys(gone))
