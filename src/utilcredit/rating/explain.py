"""Explanations of an evaluation: Chinese text for people, a JSON-able dict for machines.

Every level is explained (SPEC 2.2, PIPL art. 24): which clauses fired or failed, the measured
value and the records behind it. Both forms are built from the evaluation plus the policy (for the
published clause texts), so they always agree with what the engine decided.
"""

from __future__ import annotations

from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Policy
from utilcredit.rating.next_change import NextChange
from utilcredit.rating.results import (
    ClauseResult,
    ClauseStatus,
    DesignationResult,
    Evaluation,
    Evidence,
    EvidenceKind,
    TestOutcome,
)

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

STATUS_ZH: dict[ClauseStatus, str] = {
    ClauseStatus.FIRED: "触发",
    ClauseStatus.CLEAR: "未触发",
    ClauseStatus.HELD: "满足",
    ClauseStatus.FAILED: "不满足",
    ClauseStatus.UNKNOWN: "无法判定",
}

_VALUE_UNITS: dict[str, str] = {
    "incident_count": "次",
    "late_payment_count": "次",
    "arrears_months": "个月",
    "no_arrears": "笔欠费",
    "no_overdue_in_window": "笔逾期",
    "all_accounts_prepaid": "个非预存户号",
}

_EVIDENCE_KIND_ZH: dict[EvidenceKind, str] = {
    EvidenceKind.BILL: "账单",
    EvidenceKind.INCIDENT: "事件",
    EvidenceKind.REPORT: "信用报告",
    EvidenceKind.ACCOUNT: "户号",
    EvidenceKind.COMMITMENT: "信用承诺",
    EvidenceKind.APPLICATION: "申请",
}


def describe_evidence(evidence: Evidence) -> str:
    """``账单 B001 2026-03-15 到期未付清`` — kind, id, date and detail."""
    parts = [_EVIDENCE_KIND_ZH[evidence.kind], evidence.ref]
    if evidence.on is not None:
        parts.append(evidence.on.isoformat())
    if evidence.detail:
        parts.append(evidence.detail)
    return " ".join(parts)


def describe_value(outcome: TestOutcome) -> str | None:
    unit = _VALUE_UNITS.get(outcome.test_type)
    if outcome.value is None or unit is None:
        return None
    return f"{outcome.value}{unit}"


def describe_outcome(outcome: TestOutcome) -> str:
    """The bracketed part of a clause line: value, evidence, and why it is unknown."""
    pieces: list[str] = []
    value = describe_value(outcome)
    evidence = "，".join(describe_evidence(e) for e in outcome.evidence)
    if value and evidence:
        pieces.append(f"{value}：{evidence}")
    elif value or evidence:
        pieces.append(value or evidence)
    if outcome.reason:
        pieces.append(outcome.reason)
    return "；".join(pieces)


def clause_line(clause: Clause, result: ClauseResult) -> str:
    """``Y2 一年内发生 2 次… — 触发（2次：账单 B001 2026-03-15 到期未付清，…）``."""
    detail = describe_outcome(result.outcome)
    suffix = f"（{detail}）" if detail else ""
    return f"{clause.id} {clause.text} — {STATUS_ZH[result.status]}{suffix}"


def _is_notable(result: ClauseResult) -> bool:
    return result.status in (ClauseStatus.FIRED, ClauseStatus.FAILED, ClauseStatus.UNKNOWN)


def _headline(evaluation: Evaluation, policy: Policy) -> list[str]:
    basis = "、".join(evaluation.decided_by) or "—"
    if evaluation.level.is_trigger and not evaluation.via_fallback:
        why = f"{basis} 触发"
    elif evaluation.via_fallback:
        why = f"未触发黄色及以下条款，但 {basis} 未满足，按兜底等级处理"
    else:
        why = f"{basis} 均满足"
    return [
        f"等级：{evaluation.level.label_zh}（{evaluation.level.value}）",
        f"依据：{why}",
        f"主体：{evaluation.subject_code}",
        f"标准：{policy.title}（{policy.key} {policy.version}）",
        f"评定日：{evaluation.as_of.isoformat()}",
    ]


def _designation_lines(policy: Policy, results: tuple[DesignationResult, ...]) -> list[str]:
    lines: list[str] = []
    for designation, result in zip(policy.designations, results, strict=True):
        lines.append(f"{designation.title}：{STATUS_ZH[result.status]}")
        for requirement, req_result in zip(
            designation.requirements, result.requirements, strict=True
        ):
            detail = describe_outcome(req_result.outcome)
            suffix = f"（{detail}）" if detail else ""
            lines.append(f"  {requirement.text} — {STATUS_ZH[req_result.status]}{suffix}")
        lines.extend(f"  {text} — 需另行核验" for text in designation.not_encoded)
    return lines


def explain_text(
    evaluation: Evaluation,
    policy: Policy,
    *,
    all_clauses: bool = True,
    next_change: NextChange | None = None,
) -> str:
    """Chinese explanation; with ``all_clauses=False`` only fired, failed and unknown clauses.

    Given ``next_change`` (:func:`utilcredit.rating.next_change.next_change`), a line after the
    headline says when the level improves if nothing new happens, or why it will not by itself.
    """
    lines = _headline(evaluation, policy)
    if next_change is not None:
        lines.append(f"预计：{next_change.sentence_zh()}")
    for level in policy.levels_worst_first:
        shown = [
            (policy.clause(r.clause_id), r)
            for r in evaluation.clauses
            if r.level == level and (all_clauses or _is_notable(r))
        ]
        if shown:
            lines.append(f"[{level.label_zh}]")
            lines.extend(f"  {clause_line(clause, result)}" for clause, result in shown)
    if evaluation.designations:
        lines.extend(_designation_lines(policy, evaluation.designations))
    return "\n".join(lines) + "\n"


def evidence_dict(evidence: Evidence) -> dict[str, JsonValue]:
    return {
        "kind": evidence.kind.value,
        "ref": evidence.ref,
        "date": evidence.on.isoformat() if evidence.on else None,
        "detail": evidence.detail,
    }


def outcome_dict(outcome: TestOutcome) -> dict[str, JsonValue]:
    return {
        "type": outcome.test_type,
        "truth": outcome.truth,
        "value": outcome.value,
        "reason": outcome.reason,
        "evidence": [evidence_dict(e) for e in outcome.evidence],
        "parts": [outcome_dict(p) for p in outcome.parts],
    }


def clause_dict(clause: Clause, result: ClauseResult) -> dict[str, JsonValue]:
    return {
        "id": clause.id,
        "level": clause.level.value,
        "text": clause.text,
        "status": result.status.value,
        "status_zh": STATUS_ZH[result.status],
        "value": result.value,
        "summary": describe_outcome(result.outcome),
        "outcome": outcome_dict(result.outcome),
    }


def _designation_dict(result: DesignationResult) -> dict[str, JsonValue]:
    return {
        "key": result.key,
        "status": result.status.value,
        "requirements": [
            {"id": r.requirement_id, "status": r.status.value, "outcome": outcome_dict(r.outcome)}
            for r in result.requirements
        ],
    }


def next_change_dict(change: NextChange) -> dict[str, JsonValue]:
    return {
        "on": change.on.isoformat() if change.on else None,
        "to_level": change.to_level.value if change.to_level else None,
        "leaving": list(change.leaving),
        "arrears_bills": list(change.arrears_bills),
        "reason": change.reason,
        "sentence": change.sentence_zh(),
    }


def explain_dict(
    evaluation: Evaluation, policy: Policy, *, next_change: NextChange | None = None
) -> dict[str, JsonValue]:
    """JSON-able explanation (``json.dumps(..., ensure_ascii=False)`` gives readable Chinese).

    ``next_change`` adds a ``next_change`` object (date, target level, sentence); without it the
    dict is unchanged.
    """
    level: Level = evaluation.level
    clauses = {clause.id: clause for clause in policy.clauses}  # not policy.clause(): a scan each
    data: dict[str, JsonValue] = {
        "subject": evaluation.subject_code,
        "policy": {"key": policy.key, "version": policy.version, "title": policy.title},
        "as_of": evaluation.as_of.isoformat(),
        "level": level.value,
        "level_zh": level.label_zh,
        "decided_by": list(evaluation.decided_by),
        "via_fallback": evaluation.via_fallback,
        "fired": list(evaluation.fired),
        "failed": list(evaluation.failed),
        "unknown": list(evaluation.unknown),
        "clauses": [clause_dict(clauses[r.clause_id], r) for r in evaluation.clauses],
        "designations": [_designation_dict(d) for d in evaluation.designations],
    }
    if next_change is not None:
        data["next_change"] = next_change_dict(next_change)
    return data
