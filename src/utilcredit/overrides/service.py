"""Override use cases: request, approve, reject, withdraw, and the level in force.

Authorisation and tenancy are checked here (the console and the API share it); every
transition writes an audit entry in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, require
from utilcredit.access.visibility import (
    require_utility_read,
    require_utility_write,
    visible_subject,
)
from utilcredit.audit import repository as audit
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.localtime import today
from utilcredit.overrides import model, repository
from utilcredit.overrides.model import Override, OverrideRuleError, OverrideState
from utilcredit.policies.model import Level, Policy
from utilcredit.rating import service as rating


def _invalid(error: OverrideRuleError) -> InvalidInputError:
    return InvalidInputError(str(error))


@dataclass(frozen=True, slots=True)
class OverrideView:
    override: Override
    utility: str
    state_today: OverrideState


def request_override(
    connection: Connection,
    principal: Principal,
    *,
    code: str,
    policy: Policy,
    level: Level,
    reason: str,
    expires_on: dt.date,
    today: dt.date,
) -> Override:
    require(principal, Permission.REQUEST_OVERRIDE, entity="override")
    subject_id, _ = visible_subject(connection, principal, code)
    require_utility_write(principal, policy.utility, entity="override", key=code)
    if level not in policy.levels:
        raise InvalidInputError(
            f"{policy.key} 没有 {level.value} 等级 / {policy.key} has no level {level.value}"
        )
    computed = rating.rate_subject(connection, code, policy, today).level
    try:
        override = model.request(
            subject_code=code,
            policy_key=policy.key,
            level=level,
            computed_level=computed,
            reason=reason,
            expires_on=expires_on,
            requested_by=principal.username,
            today=today,
        )
    except OverrideRuleError as error:
        raise _invalid(error) from None
    override_id = repository.insert_override(
        connection, override, subject_id=subject_id, utility=policy.utility
    )
    audit.record(
        connection,
        actor=principal.username,
        action="override_request",
        entity="override",
        entity_key=str(override_id),
        reason=override.reason,
        detail={
            "subject": code,
            "policy": policy.key,
            "level": level.value,
            "computed_level": computed.value,
            "expires_on": expires_on.isoformat(),
        },
    )
    return replace(override, id=override_id)


def _load_for_decision(connection: Connection, principal: Principal, override_id: int) -> Override:
    found = repository.get(connection, override_id)
    if found is None:
        raise NotFoundError(f"没有该调整申请：{override_id} / no override request {override_id}")
    override, utility = found
    require_utility_write(principal, utility, entity="override", key=str(override_id))
    return override


def decide(
    connection: Connection,
    principal: Principal,
    override_id: int,
    *,
    approve: bool,
    note: str | None,
    today: dt.date,
) -> Override:
    require(principal, Permission.DECIDE_OVERRIDE, entity="override")
    override = _load_for_decision(connection, principal, override_id)
    try:
        decided = (
            model.approve(override, reviewer=principal.username, today=today, note=note)
            if approve
            else model.reject(override, reviewer=principal.username, today=today, note=note)
        )
    except OverrideRuleError as error:
        raise _invalid(error) from None
    repository.save_decision(connection, decided)
    audit.record(
        connection,
        actor=principal.username,
        action="override_approve" if approve else "override_reject",
        entity="override",
        entity_key=str(override_id),
        reason=decided.decision_note,
        detail={"subject": decided.subject_code, "level": decided.level.value},
    )
    return decided


def withdraw(
    connection: Connection, principal: Principal, override_id: int, *, today: dt.date
) -> Override:
    require(principal, Permission.REQUEST_OVERRIDE, entity="override")
    override = _load_for_decision(connection, principal, override_id)
    try:
        withdrawn = model.withdraw(override, by=principal.username, today=today)
    except OverrideRuleError as error:
        raise _invalid(error) from None
    repository.save_decision(connection, withdrawn)
    audit.record(
        connection,
        actor=principal.username,
        action="override_withdraw",
        entity="override",
        entity_key=str(override_id),
    )
    return withdrawn


def get_override(connection: Connection, principal: Principal, override_id: int) -> OverrideView:
    found = repository.get(connection, override_id)
    if found is None:
        raise NotFoundError(f"没有该调整申请：{override_id} / no override request {override_id}")
    override, utility = found
    require_utility_read(principal, utility, entity="override", key=str(override_id))
    return OverrideView(override, utility.value, override.state_on(today()))


def list_overrides(
    connection: Connection,
    principal: Principal,
    *,
    state: OverrideState | None,
    offset: int,
    limit: int,
    today: dt.date,
) -> tuple[list[OverrideView], int]:
    rows, total = repository.page(
        connection,
        utilities=principal.readable_utilities,
        state=state,
        offset=offset,
        limit=limit,
    )
    return [OverrideView(o, u.value, o.state_on(today)) for o, u in rows], total


def overrides_of_subject(
    connection: Connection, subject_id: int, policy_key: str | None = None
) -> list[Override]:
    return repository.of_subject(connection, subject_id, policy_key)
