"""Deriving dishonesty-record candidates from a policy's rules (issue 10 item 2), and the
calendar's transitions (publication and its end)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from utilcredit.access.model import (
    SYSTEM,
    NotVisibleError,
    Permission,
    Principal,
    actor_name,
    require,
)
from utilcredit.config import RecordsSettings
from utilcredit.errors import InvalidInputError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.dishonesty import (
    ArrearsAfterDemandTest,
    DishonestyRule,
    IncidentRecordTest,
)
from utilcredit.rating.dates import add_months, subtract_years
from utilcredit.records import model
from utilcredit.records.cases import CaseType, Step, apply_transition, keep_histories
from utilcredit.records.model import RecordStatus
from utilcredit.records.repository import facts, register
from utilcredit.records.repository.register import Evidence, RecordLine


@dataclass(frozen=True, slots=True)
class DeriveSummary:
    policy_key: str
    as_of: dt.date
    created: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    unchanged: int = 0
    clock: int = 0  # records published or expired by the calendar


@dataclass(frozen=True, slots=True)
class _Proposal:
    key: str
    subject_id: int
    rule: DishonestyRule
    cause_on: dt.date
    amount: Decimal | None
    summary: str
    evidence: tuple[Evidence, ...]


def last_demand_day(months_after: int, as_of: dt.date) -> dt.date:
    """The latest demand day that is more than ``months_after`` months before ``as_of``."""
    day = as_of - dt.timedelta(days=31 * months_after + 1)
    while add_months(day + dt.timedelta(days=1), months_after) < as_of:
        day += dt.timedelta(days=1)
    return day


def _incident_rule_matches(test: IncidentRecordTest, fact: facts.IncidentFact) -> bool:
    if fact.kind not in test.kinds:
        return False
    if test.severity is not None and fact.severity != test.severity.value:
        return False
    return test.amount is None or (fact.amount is not None and test.amount.contains(fact.amount))


def _incident_proposals(
    connection: Connection,
    loaded: LoadedPolicy,
    since: dt.date,
    as_of: dt.date,
    incident_ids: Collection[int] | None = None,
) -> list[_Proposal]:
    policy = loaded.policy
    assert policy.dishonesty is not None
    rules = [r for r in policy.dishonesty.rules if isinstance(r.test, IncidentRecordTest)]
    kinds = {kind.value for rule in rules for kind in rule.test.kinds}  # type: ignore[union-attr]
    if not kinds:
        return []
    proposals = []
    for fact in facts.incident_facts(
        connection, policy.utility, kinds, since=since, as_of=as_of, incident_ids=incident_ids
    ):
        # An incident makes at most one record: the first rule that matches, in file order.
        rule = next((r for r in rules if _incident_rule_matches(r.test, fact)), None)  # type: ignore[arg-type]
        if rule is None:
            continue
        amount = f"，金额 {fact.amount} 元" if fact.amount is not None else ""
        proposals.append(
            _Proposal(
                key=f"{policy.key}:incident:{fact.incident_no}",
                subject_id=fact.subject_id,
                rule=rule,
                cause_on=fact.occurred_on,
                amount=fact.amount,
                summary=f"户号 {fact.account_no} 于 {fact.occurred_on} 发生{model.KIND_LABELS[rule.kind]}{amount}（事件 {fact.incident_no}）",
                evidence=(
                    Evidence("incident", fact.incident_id, fact.incident_no, fact.occurred_on),
                ),
            )
        )
    return proposals


def _arrears_proposals(
    connection: Connection,
    loaded: LoadedPolicy,
    since: dt.date,
    as_of: dt.date,
    threshold: Decimal,
) -> list[_Proposal]:
    policy = loaded.policy
    assert policy.dishonesty is not None
    proposals = []
    for rule in policy.dishonesty.rules:
        if not isinstance(rule.test, ArrearsAfterDemandTest):
            continue
        months = rule.test.months_after
        accounts = facts.account_demands(
            connection,
            policy.utility,
            sent_from=since,
            sent_until=last_demand_day(months, as_of),
            as_of=as_of,
        )
        for account in accounts:
            cause = model.arrears_cause(
                account.demands, months_after=months, threshold=threshold, as_of=as_of
            )
            if cause is None:
                continue
            bills = cause.bills
            payments = facts.payments_of_bills(connection, [b.bill_id for b in bills])
            demand = cause.demand
            evidence = (
                Evidence("reminder", demand.reminder_id, demand.reminder_no, demand.sent_on),
                *(Evidence("bill", b.bill_id, b.bill_no, b.due_on) for b in bills),
                *(Evidence("payment", pid, no, on) for pid, no, on in payments),
            )
            proposals.append(
                _Proposal(
                    key=f"{policy.key}:arrears:{account.account_no}:{bills[0].bill_no}",
                    subject_id=account.subject_id,
                    rule=rule,
                    cause_on=cause.holds_from,
                    amount=cause.outstanding,
                    summary=(
                        f"户号 {account.account_no} 于 {demand.sent_on} 经催告（{demand.reminder_no}），"
                        f"超过 {months} 个月仍欠缴 {cause.outstanding} 元（{len(bills)} 张账单，"
                        f"最早到期 {bills[0].due_on}）"
                    ),
                    evidence=evidence,
                )
            )
    return proposals


def derive(
    connection: Connection,
    loaded: LoadedPolicy,
    as_of: dt.date,
    *,
    settings: RecordsSettings,
    principal: Principal | None = None,
) -> DeriveSummary:
    """Propose candidates for what the policy's rules say, once each; withdraw candidates
    whose cause has gone; then let the calendar publish and expire what is due.

    Idempotent: a key once proposed is never proposed again, whatever became of its record.
    """
    policy = loaded.policy
    if policy.dishonesty is None:
        raise InvalidInputError(
            f"政策 {policy.key} 没有失信记录认定规则 / policy {policy.key} has no dishonesty rules"
        )
    if principal is not None:
        require(principal, Permission.FILE_CASE, entity="record")
        if not principal.may_write_utility(policy.utility):
            raise NotVisibleError("无权处理该供应类别 / not a utility of yours", entity="record")
    actor = actor_name(principal)
    since = subtract_years(as_of, policy.dishonesty.lookback_years)
    proposals = _incident_proposals(connection, loaded, since, as_of) + _arrears_proposals(
        connection, loaded, since, as_of, settings.large_arrears_yuan
    )
    existing = register.keys_with_prefix(connection, f"{policy.key}:")
    new = list({p.key: p for p in proposals if p.key not in existing}.values())
    summary = DeriveSummary(policy.key, as_of, _propose(connection, loaded, new, actor, as_of))
    live = {p.key for p in proposals}
    for record_id, key, status, cause_on in register.candidates_of(connection, policy.key):
        if key in live or cause_on > as_of:  # a derivation for an earlier day cannot see it
            continue
        apply_transition(
            connection,
            CaseType.RECORD,
            record_id,
            status,
            "withdraw",
            utility=policy.utility.value,
            actor=actor,
            today=as_of,
            reason="认定原因已消失（欠费已缴清或事件已撤销） / the cause has gone",
        )
        summary.withdrawn.append(record_id)
    clocked = advance(connection, as_of)
    return DeriveSummary(
        policy.key,
        as_of,
        summary.created,
        summary.withdrawn,
        len(proposals) - len(summary.created),
        clocked,
    )


def propose_for_incidents(
    connection: Connection, loaded: LoadedPolicy, incident_ids: Collection[int], as_of: dt.date
) -> list[int]:
    """Candidates for incidents just recorded (a commitment breach), at once rather than at the
    next derivation, under the same keys, so the derivation never proposes them again."""
    policy = loaded.policy
    if policy.dishonesty is None or not incident_ids:
        return []
    since = subtract_years(as_of, policy.dishonesty.lookback_years)
    proposals = _incident_proposals(connection, loaded, since, as_of, incident_ids)
    existing = register.existing_keys(connection, [p.key for p in proposals])
    new = [p for p in proposals if p.key not in existing]
    return _propose(connection, loaded, new, SYSTEM, as_of)


def _propose(
    connection: Connection,
    loaded: LoadedPolicy,
    proposals: list[_Proposal],
    actor: str,
    today: dt.date,
) -> list[int]:
    """The proposals as candidates, a few statements for all of them."""
    policy = loaded.policy
    ids = register.insert_records(
        connection,
        [
            {
                "derivation_key": proposal.key,
                "subject_id": proposal.subject_id,
                "utility": policy.utility.value,
                "kind": proposal.rule.kind.value,
                "record_class": proposal.rule.record_class.value,
                "status": RecordStatus.CANDIDATE.value,
                "policy_key": policy.key,
                "policy_version": policy.version,
                "rule_id": proposal.rule.id,
                "rule_text": proposal.rule.text[:500],
                "cause_on": proposal.cause_on,
                "amount": proposal.amount,
                "summary": proposal.summary[:500],
            }
            for proposal in proposals
        ],
        [proposal.evidence for proposal in proposals],
    )
    keep_histories(
        connection,
        [
            Step(
                CaseType.RECORD,
                record_id,
                policy.utility.value,
                "derive",
                None,
                RecordStatus.CANDIDATE.value,
                actor,
                today,
                f"{policy.key} {policy.version} {proposal.rule.id}",
            )
            for record_id, proposal in zip(ids, proposals, strict=True)
        ],
    )
    return ids


def advance(connection: Connection, day: dt.date) -> int:
    """Publish and expire what the calendar says on ``day``; the number of records moved."""
    moved = 0
    for record_id, _status in register.records_due_on_clock(connection, day):
        moved += advance_record(connection, record_id, day)
    return moved


def advance_record(connection: Connection, record_id: int, day: dt.date) -> int:
    moved = 0
    while True:
        record = register.get_record(connection, record_id)
        assert record is not None
        action = model.clock_action(RecordStatus(record.status), _publication_of(record), day)
        if action is None:
            return moved
        apply_transition(
            connection,
            CaseType.RECORD,
            record_id,
            record.status,
            action,
            utility=record.utility,
            actor=SYSTEM,
            today=day,
            reason="公示期开始" if action == "publish" else "公示期满",
        )
        moved += 1


def _publication_of(record: RecordLine) -> model.Publication | None:
    if record.determined_on is None or record.publish_until is None:
        return None
    return model.Publication(
        record.regime or "",
        record.publish_from,
        record.publish_until,
        record.repairable_from or record.determined_on,
    )
