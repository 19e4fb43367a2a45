"""Eligibility of a credit-based application: the policy's ``credit_application`` rules
evaluated like a rating, requirement by requirement, as of the application date; and a
preview before applying (nothing stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.applications import repository
from utilcredit.applications.model import Eligibility, evaluate_eligibility
from utilcredit.applications.repository import ApplicationLine, ZoneLine
from utilcredit.applications.zones import match_zone
from utilcredit.customers import repository as credit_files
from utilcredit.errors import FieldInvalidError
from utilcredit.policies.model.credit_application import AddressType
from utilcredit.policies.model.policy import Policy
from utilcredit.policies.service import policy_at
from utilcredit.rating.explain import describe_outcome, outcome_dict
from utilcredit.rating.facts import ApplicationFacts
from utilcredit.rating.results import ClauseStatus


def policy_with_rules(policy_key: str, on: dt.date) -> Policy:
    policy = policy_at(policy_key, on).policy
    if policy.credit_application is None:
        raise FieldInvalidError(
            "policy", f"政策 {policy_key} 没有信用办理规则 / policy {policy_key} has none"
        )
    return policy


def eligibility_of(connection: Connection, found: ApplicationLine) -> Eligibility:
    """The application's eligibility under its policy as of the application date (pure read)."""
    zone = repository.get_zone(connection, found.zone_id) if found.zone_id else None
    return _eligibility(
        connection,
        found.policy_key,
        found.subject_code,
        address=found.address,
        address_type=AddressType(found.address_type) if found.address_type else None,
        zone=zone if zone and zone.active else None,
        on=found.applied_on,
    )


def preview_eligibility(
    connection: Connection,
    principal: Principal | None,
    subject_code: str,
    policy_key: str,
    *,
    on: dt.date,
    area: str | None = None,
    park: str | None = None,
    address_type: AddressType | None = None,
    address: str = "",
) -> Eligibility:
    """Would this subject be eligible if it applied today (the counter asks before filling
    in an application)? Nothing is stored."""
    policy = policy_with_rules(policy_key, on)
    if principal is not None:
        require(principal, Permission.READ, entity="application")
        if policy.utility not in principal.readable_utilities:
            raise NotVisibleError(
                "无权查看该供应类别 / not a utility of yours", entity="application"
            )
    return _eligibility(
        connection,
        policy_key,
        subject_code,
        address=address,
        address_type=address_type,
        zone=match_zone(connection, policy_key, area, park),
        on=on,
    )


def _eligibility(
    connection: Connection,
    policy_key: str,
    subject_code: str,
    *,
    address: str,
    address_type: AddressType | None,
    zone: ZoneLine | None,
    on: dt.date,
) -> Eligibility:
    policy = policy_with_rules(policy_key, on)
    credit_file = credit_files.get_credit_file(connection, subject_code, policy.utility)
    if credit_file is None:
        raise FieldInvalidError(
            "subject_code", f"没有该主体：{subject_code} / no subject {subject_code}"
        )
    facts = ApplicationFacts(
        subject_code=credit_file.subject.code,
        subject_kind=credit_file.subject.kind,
        founded_on=credit_file.subject.founded_on,
        address=address,
        address_type=address_type,
        zone=zone.label if zone else None,
    )
    return evaluate_eligibility(policy, credit_file, facts, on)


STATUS_ZH = {
    ClauseStatus.HELD: "符合",
    ClauseStatus.FAILED: "不符合",
    ClauseStatus.UNKNOWN: "无法判断",
}
ELIGIBLE = {
    ClauseStatus.HELD: "met",
    ClauseStatus.FAILED: "not_met",
    ClauseStatus.UNKNOWN: "unknown",
}


def eligibility_dict(result: Eligibility) -> dict[str, Any]:
    return {
        "policy": result.policy_key,
        "version": result.policy_version,
        "title": result.title,
        "checked_on": result.checked_on.isoformat(),
        "status": ELIGIBLE[result.status],
        "status_zh": STATUS_ZH[result.status],
        "counted_from": result.counted_from.isoformat() if result.counted_from else None,
        "requirements": [
            {
                "id": r.id,
                "text": r.text,
                "status": ELIGIBLE[r.status],
                "status_zh": STATUS_ZH[r.status],
                "summary": describe_outcome(r.outcome),
                "outcome": outcome_dict(r.outcome),
            }
            for r in result.requirements
        ],
    }
