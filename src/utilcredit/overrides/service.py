"""Override use cases: request, approve, reject, withdraw, and the level in force.

Authorisation and tenancy are checked here (the console and the API share it); every
transition writes an audit entry in the caller's transaction. Nothing here commits.

Another utility's override answers "not found" (its existence does not leak; audited like a
403). A decision is a compare-and-set on the pending state: of two reviewers deciding at once,
one wins and the other gets a :class:`~utilcredit.errors.ConflictError` (HTTP 409), and only
the winner's decision is audited. One request waits at a time per subject and policy: a second
is refused (409) naming the pending one. A natural person's ID number is shown masked to readers
without ``view_unmasked``, and the subject is named by its reference (``id-<n>``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.access.visibility import require_utility_write, visible_subject
from utilcredit.audit import repository as audit
from utilcredit.errors import ConflictError, InvalidInputError, NotFoundError
from utilcredit.identifiers import DEFAULT_MASKING, MaskingRule, display_code, subject_ref
from utilcredit.localtime import today
from utilcredit.notices import planning
from utilcredit.overrides import model, repository
from utilcredit.overrides.model import Override, OverrideRuleError, OverrideState
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating import service as rating


def _invalid(error: OverrideRuleError) -> InvalidInputError:
    return InvalidInputError(str(error))


@dataclass(frozen=True, slots=True)
class OverrideView:
    override: Override  # its subject_code as the reader may see it
    utility: str
    state_today: OverrideState
    subject_ref: str  # what links name the subject by (see identifiers.subject_ref)


def _shown(found: repository.StoredOverride, principal: Principal, rule: MaskingRule) -> Override:
    override = found.override
    code = display_code(
        override.subject_code,
        found.subject_kind,
        clear=principal.can(Permission.VIEW_UNMASKED),
        rule=rule,
    )
    return override if code == override.subject_code else replace(override, subject_code=code)


def _view(
    found: repository.StoredOverride, principal: Principal, rule: MaskingRule, day: dt.date
) -> OverrideView:
    return OverrideView(
        _shown(found, principal, rule),
        found.utility.value,
        found.override.state_on(day),
        subject_ref(found.subject_id, found.override.subject_code, found.subject_kind),
    )


def _not_found(override_id: int) -> str:
    return f"没有该调整申请：{override_id} / no override request {override_id}"


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
    _refuse_second_request(connection, subject_id, policy.key)
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
        utilities=[policy.utility],
        detail={
            "subject": code,
            "policy": policy.key,
            "level": level.value,
            "computed_level": computed.value,
            "expires_on": expires_on.isoformat(),
        },
    )
    return replace(override, id=override_id)


def _refuse_second_request(connection: Connection, subject_id: int, policy_key: str) -> None:
    """One request at a time per subject and policy: a second would leave the reviewer two
    competing levels to choose from. Checked here, in the caller's transaction with the
    subject's row locked, rather than by a unique index: the message names the pending
    request, and rows stored before this rule (duplicates included) still migrate."""
    repository.lock_subject(connection, subject_id)
    pending = repository.pending_of(connection, subject_id, policy_key)
    if pending is None:
        return
    raise ConflictError(
        f"该主体在 {policy_key} 下已有待审核的调整申请 #{pending.id}"
        f"（{pending.requested_by}，{pending.requested_on} 申请），请待其审核或撤回后再申请"
        f" / override request #{pending.id} for this subject under {policy_key} (by "
        f"{pending.requested_by} on {pending.requested_on}) is still awaiting review; "
        "wait for its decision or withdraw it first"
    )


def _load(
    connection: Connection, principal: Principal, override_id: int
) -> repository.StoredOverride:
    """The override if the principal reads its utility; another utility's is "not found"."""
    found = repository.get(connection, override_id)
    if found is None:
        raise NotFoundError(_not_found(override_id))
    if not principal.may_read_utility(found.utility):
        raise NotVisibleError(
            _not_found(override_id), entity="override", entity_key=str(override_id)
        )
    return found


def _load_for_decision(
    connection: Connection, principal: Principal, override_id: int
) -> repository.StoredOverride:
    found = _load(connection, principal, override_id)
    require_utility_write(principal, found.utility, entity="override", key=str(override_id))
    return found


def _save(connection: Connection, changed: Override) -> None:
    if not repository.save_decision(connection, changed):
        raise ConflictError(
            f"调整申请 {changed.id} 已被他人处理，请刷新后查看 / override request {changed.id} "
            "was decided or withdrawn by someone else meanwhile; reload it"
        )


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
    found = _load_for_decision(connection, principal, override_id)
    override = found.override
    try:
        decided = (
            model.approve(override, reviewer=principal.username, today=today, note=note)
            if approve
            else model.reject(override, reviewer=principal.username, today=today, note=note)
        )
    except OverrideRuleError as error:
        raise _invalid(error) from None
    _save(connection, decided)
    audit.record(
        connection,
        actor=principal.username,
        action="override_approve" if approve else "override_reject",
        entity="override",
        entity_key=str(override_id),
        reason=decided.decision_note,
        utilities=[found.utility],
        detail={"subject": decided.subject_code, "level": decided.level.value},
    )
    if approve and decided.id is not None:
        planning.plan_override(
            connection,
            override_id=decided.id,
            subject_code=decided.subject_code,
            policy_key=decided.policy_key,
            level=decided.level.value,
            previous=decided.computed_level.value,
            sending=planning.Sending.of(),
        )
    return decided


def withdraw(
    connection: Connection, principal: Principal, override_id: int, *, today: dt.date
) -> Override:
    require(principal, Permission.REQUEST_OVERRIDE, entity="override")
    found = _load_for_decision(connection, principal, override_id)
    try:
        withdrawn = model.withdraw(found.override, by=principal.username, today=today)
    except OverrideRuleError as error:
        raise _invalid(error) from None
    _save(connection, withdrawn)
    audit.record(
        connection,
        actor=principal.username,
        action="override_withdraw",
        entity="override",
        entity_key=str(override_id),
        utilities=[found.utility],
    )
    return withdrawn


def get_override(
    connection: Connection,
    principal: Principal,
    override_id: int,
    *,
    rule: MaskingRule = DEFAULT_MASKING,
) -> OverrideView:
    return _view(_load(connection, principal, override_id), principal, rule, today())


def list_overrides(
    connection: Connection,
    principal: Principal,
    *,
    state: OverrideState | None,
    offset: int,
    limit: int,
    today: dt.date,
    rule: MaskingRule = DEFAULT_MASKING,
) -> tuple[list[OverrideView], int]:
    rows, total = repository.page(
        connection,
        utilities=principal.readable_utilities,
        state=state,
        offset=offset,
        limit=limit,
    )
    return [_view(found, principal, rule, today) for found in rows], total


def overrides_of_subject(
    connection: Connection, subject_id: int, policy_key: str | None = None
) -> list[Override]:
    return repository.of_subject(connection, subject_id, policy_key)
