"""A commitment's dated obligations: started by an event (power-on), met, and the daily job
that reminds those coming due, breaches the commitments whose obligation passed unmet the day
before (referring them for disconnection where the letter says so) and expires those whose
validity ended. The job is idempotent: run it any number of times a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection

from utilcredit.access.model import SYSTEM, Permission, Principal, actor_name
from utilcredit.commitments import repository
from utilcredit.commitments.model import (
    ON_BREACH_ZH,
    ObligationStatus,
    commitment_expired,
    obligation_missed,
)
from utilcredit.commitments.reads import CASE_TYPE, visible_commitment
from utilcredit.commitments.repository import ObligationLine
from utilcredit.commitments.service import (
    cancel_obligations,
    determine_breach,
    move,
    started_values,
)
from utilcredit.commitments.templates import template
from utilcredit.config import get_settings
from utilcredit.customers.model import CommitmentStatus
from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError
from utilcredit.notices import planning
from utilcredit.records.cases import keep_history, require_case_permission


def start_obligations(
    connection: Connection,
    principal: Principal | None,
    commitment_id: int,
    *,
    starts_on: dt.date,
    today: dt.date,
) -> list[ObligationLine]:
    """Start the obligations waiting for an event (power-on): their due dates count from it."""
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "commitment")
    if starts_on < found.made_on or starts_on > today:
        raise FieldInvalidError(
            "starts_on",
            f"起算日 {starts_on} 应在承诺作出日期 {found.made_on} 与今天之间 / "
            "an obligation starts between the commitment and today",
        )
    chosen = template(found.template_key, found.template_version)
    specs = {spec.key: spec for spec in chosen.obligations}
    for obligation in repository.obligations_of(connection, commitment_id):
        if obligation.status == ObligationStatus.PENDING and obligation.key in specs:
            repository.update_obligation(
                connection,
                obligation.id,
                expected=ObligationStatus.PENDING.value,
                values=started_values(specs[obligation.key], starts_on),
            )
    return repository.obligations_of(connection, commitment_id)


def meet_obligation(
    connection: Connection,
    principal: Principal | None,
    commitment_id: int,
    obligation_id: int,
    *,
    on: dt.date,
    today: dt.date,
) -> ObligationLine:
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "commitment")
    obligation = repository.get_obligation(connection, obligation_id)
    if obligation is None or obligation.commitment_id != commitment_id:
        raise NotFoundError(f"没有该承诺义务：{obligation_id} / no obligation {obligation_id}")
    if on > today:
        raise FieldInvalidError("on", f"履行日期 {on} 晚于今天 / the date is in the future")
    if not repository.update_obligation(
        connection,
        obligation_id,
        expected=ObligationStatus.OPEN.value,
        values={"status": ObligationStatus.MET.value, "met_on": on},
    ):
        raise InvalidInputError(
            f"该义务不在履行期内（{obligation.status}） / the obligation is not open"
        )
    keep_history(
        connection,
        CASE_TYPE,
        commitment_id,
        found.utility,
        "meet",
        found.status,
        found.status,
        actor_name(principal),
        today,
        obligation.text,
    )
    met = repository.get_obligation(connection, obligation_id)
    assert met is not None
    return met


@dataclass(slots=True)
class AdvanceSummary:
    day: dt.date
    reminded: list[int] = field(default_factory=list)  # obligation ids
    breached: list[int] = field(default_factory=list)  # commitment ids
    referred: list[int] = field(default_factory=list)  # commitment ids referred for disconnection
    expired: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    without_account: list[int] = field(default_factory=list)  # breaches with no incident


def advance(connection: Connection, day: dt.date) -> AdvanceSummary:
    """What the calendar does on ``day``: remind obligations coming due, breach the
    commitments whose obligation passed unmet the day before, expire ended ones. Idempotent."""
    summary = AdvanceSummary(day)
    for obligation in repository.obligations_to_remind(connection, day):
        _remind(connection, obligation, day)
        summary.reminded.append(obligation.id)
    for obligation in repository.obligations_passed(connection, day):
        _miss(connection, obligation, day, summary)
    for commitment_id, _utility in repository.expired_in_force(connection, day):
        found = repository.get_commitment(connection, commitment_id)
        assert found is not None
        if commitment_expired(found.valid_until, day):
            move(connection, found, "expire", actor=SYSTEM, today=day, reason="承诺有效期届满")
            cancel_obligations(connection, commitment_id)
            summary.expired.append(commitment_id)
    return summary


def _remind(connection: Connection, obligation: ObligationLine, day: dt.date) -> None:
    repository.update_obligation(
        connection, obligation.id, expected=obligation.status, values={"reminded_on": day}
    )
    found = repository.get_commitment(connection, obligation.commitment_id)
    assert found is not None
    keep_history(
        connection,
        CASE_TYPE,
        found.id,
        found.utility,
        "remind",
        found.status,
        found.status,
        SYSTEM,
        day,
        f"{obligation.text}（{obligation.due_on} 到期）",
    )
    policy_key = get_settings().console.default_policies.get(found.utility)
    if policy_key is not None and obligation.due_on is not None:
        planning.plan_commitment_due(
            connection,
            policy_key=policy_key,
            obligation_id=obligation.id,
            subject_id=found.subject_id,
            commitment_code=found.code,
            commitment_title=template(found.template_key, found.template_version).title,
            obligation=obligation.text,
            due_on=obligation.due_on,
            sending=planning.Sending.of(),
        )


def _miss(
    connection: Connection, obligation: ObligationLine, day: dt.date, summary: AdvanceSummary
) -> None:
    assert obligation.due_on is not None and obligation_missed(obligation.due_on, day)
    referred = obligation.on_breach in ON_BREACH_ZH
    repository.update_obligation(
        connection,
        obligation.id,
        expected=ObligationStatus.OPEN.value,
        values={
            "status": ObligationStatus.MISSED.value,
            "missed_on": day,
            "referred_on": day if referred else None,
        },
    )
    found = repository.get_commitment(connection, obligation.commitment_id)
    assert found is not None
    if found.status != CommitmentStatus.IN_FORCE:
        return  # made but never accepted, or already ended: nothing stands to breach
    outcome = determine_breach(
        connection,
        found,
        actor=SYSTEM,
        today=day,
        on=day,
        unfulfilled=f"{obligation.text}（{obligation.due_on} 到期未履行）",
        liability_pursued=ON_BREACH_ZH.get(obligation.on_breach or ""),
    )
    summary.breached.append(found.id)
    summary.records += outcome.record_ids
    if referred:
        summary.referred.append(found.id)
    if outcome.incident_no is None:
        summary.without_account.append(found.id)
