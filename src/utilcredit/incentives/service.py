"""What measures apply to a subject today and why, and the log of measures granted.

Today's level and designations are computed live from the credit file under the policy the
deployment uses for each utility (``ConsoleSettings.default_policies``), with an approved
override in force taking the level's place, as on the credit file page. Granting a measure is
refused when it does not apply today; every grant is kept (who, what, when) and audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, require
from utilcredit.access.visibility import visible_subject
from utilcredit.audit import repository as audit
from utilcredit.config import ConsoleSettings
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.incentives import repository
from utilcredit.incentives.model import Entitlement, measures_applying
from utilcredit.incentives.repository import GrantLine
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import effective_level
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_at
from utilcredit.rating import service as rating
from utilcredit.rating.results import ClauseStatus


@dataclass(frozen=True, slots=True)
class UtilityEntitlements:
    utility: str
    policy_key: str
    policy_version: str
    as_of: dt.date
    level: Level
    designations: tuple[tuple[str, str], ...]  # (key, title) of those that hold
    applies: tuple[Entitlement, ...]


def entitlements(
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    today: dt.date,
    console: ConsoleSettings,
) -> list[UtilityEntitlements]:
    """Per visible utility with a configured policy: the level, designations and measures."""
    require(principal, Permission.READ, entity="subject")
    subject_id, utilities = visible_subject(connection, principal, code)
    found = []
    for utility in sorted(utilities):
        key = console.default_policies.get(utility.value)
        if not key:
            continue
        loaded = policy_at(key, today)
        if loaded.policy.utility != utility:
            continue
        try:
            evaluation = rating.rate_subject(connection, code, loaded.policy, today)
        except NotFoundError:  # no account with this utility: the policy does not rate it
            continue
        level = effective_level(
            evaluation.level, overrides.overrides_of_subject(connection, subject_id, key), today
        ).effective
        titles = {d.key: d.title for d in loaded.policy.designations}
        held = tuple(
            (d.key, titles[d.key]) for d in evaluation.designations if d.status == ClauseStatus.HELD
        )
        found.append(
            UtilityEntitlements(
                utility.value,
                loaded.key,
                loaded.version,
                today,
                level,
                held,
                tuple(measures_applying(loaded.policy, level, [k for k, _ in held])),
            )
        )
    return found


def grant(
    connection: Connection,
    principal: Principal,
    code: str,
    measure_key: str,
    *,
    today: dt.date,
    console: ConsoleSettings,
    note: str | None = None,
    application_id: int | None = None,
) -> GrantLine:
    """Log a measure granted to the subject today; only one that applies today."""
    require(principal, Permission.FILE_CASE, entity="measure")
    subject_id, _ = visible_subject(connection, principal, code)
    for block in entitlements(connection, principal, code, today=today, console=console):
        for entitlement in block.applies:
            if entitlement.measure_key != measure_key:
                continue
            if not principal.may_write_utility(Utility(block.utility)):
                continue
            grant_id = repository.insert_grant(
                connection,
                {
                    "subject_id": subject_id,
                    "utility": block.utility,
                    "policy_key": block.policy_key,
                    "measure_key": measure_key,
                    "basis": entitlement.basis,
                    "granted_on": today,
                    "granted_by": principal.username,
                    "application_id": application_id,
                    "note": (note or "").strip()[:500] or None,
                },
            )
            audit.record(
                connection,
                actor=principal.username,
                action="measure_grant",
                entity="subject",
                entity_key=code,
                detail={"measure": measure_key, "basis": entitlement.basis, "id": grant_id},
                utilities=[block.utility],
            )
            return next(
                g
                for g in repository.grants_of_subject(connection, subject_id, [block.utility])
                if g.id == grant_id
            )
    raise FieldInvalidError(
        "measure",
        f"该措施今天不适用于该主体：{measure_key} / measure {measure_key} does not apply today",
    )


def grants_of(connection: Connection, principal: Principal, code: str) -> list[GrantLine]:
    require(principal, Permission.READ, entity="subject")
    subject_id, utilities = visible_subject(connection, principal, code)
    return repository.grants_of_subject(connection, subject_id, [u.value for u in utilities])


def grant_counts(
    connection: Connection, principal: Principal, start: dt.date, end: dt.date
) -> dict[tuple[str, str], int]:
    require(principal, Permission.READ, entity="subject")
    utilities = [u.value for u in principal.readable_utilities]
    return repository.grant_counts(connection, utilities, start, end)
