"""Credit commitments: make, accept, fulfil, breach, withdraw; obligations and the daily job.

Use cases take a Connection and never commit. Every change of a commitment's status goes
through :func:`_move`: the workflow's machine allows or refuses it, the status is written with a
compare-and-set, and the step is kept as a ``case_events`` row (the domain event notices and
the platform exchange read, ``case_type = "commitment"``) and an audit entry.

Who may do what: operators (``file_case``) make, accept, fulfil and withdraw commitments and
record obligations met; reviewers (``decide_case``) determine a breach, because a breach makes
a dishonesty-record candidate. ``principal`` None is the system (the daily job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, actor_name
from utilcredit.commitments import repository
from utilcredit.commitments.model import (
    COMMITMENT_MACHINE,
    Disclosure,
    ObligationStatus,
    check_dates,
    check_made_on,
    obligation_dates,
)
from utilcredit.commitments.reads import CASE_TYPE, visible_commitment
from utilcredit.commitments.repository import (
    CommitmentLine,
)
from utilcredit.commitments.templates import CommitmentTemplate, fill, template
from utilcredit.config import RecordsSettings
from utilcredit.customers import subjects
from utilcredit.customers.model import CommitmentStatus, IncidentKind, Utility
from utilcredit.customers.writes import add_incident
from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError
from utilcredit.policies.service import policy_at, shipped
from utilcredit.records.cases import (
    keep_history,
    move_case,
    require_case_permission,
)
from utilcredit.records.derivation import propose_for_incidents

# --------------------------------------------------------------------------------------------
# Make
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCommitment:
    subject_code: str
    utility: Utility
    template_key: str
    values: Mapping[str, str]
    made_on: dt.date
    template_version: str | None = None
    valid_until: dt.date | None = None
    reason: str | None = None
    disclosure: Disclosure | None = None
    account_no: str | None = None
    application_id: int | None = None
    obligations_start_on: dt.date | None = None  # e.g. power-on, when already known


def make(
    connection: Connection,
    principal: Principal | None,
    new: NewCommitment,
    *,
    today: dt.date,
    settings: RecordsSettings,
) -> CommitmentLine:
    """Record a signed commitment (status ``made``) with its obligations; nothing on error."""
    require_case_permission(principal, Permission.FILE_CASE, new.utility.value, "commitment")
    subject = subjects.subject_by_code(connection, new.subject_code)
    if subject is None:
        raise FieldInvalidError(
            "subject_code", f"没有该主体：{new.subject_code} / no subject {new.subject_code}"
        )
    check_made_on(new.made_on, today)
    check_dates(new.made_on, new.valid_until)
    if new.obligations_start_on is not None and new.obligations_start_on > today:
        raise FieldInvalidError(
            "obligations_start_on",
            f"义务起算日 {new.obligations_start_on} 晚于今天 / an obligation cannot start later than today",
        )
    if new.obligations_start_on is not None and new.obligations_start_on < new.made_on:
        raise FieldInvalidError(
            "obligations_start_on",
            f"义务起算日 {new.obligations_start_on} 早于承诺作出日期 {new.made_on} / "
            "an obligation cannot start before the commitment was made",
        )
    try:
        chosen = template(new.template_key, new.template_version)
    except NotFoundError as error:
        raise FieldInvalidError("template", str(error)) from None
    _check_template_utility(chosen, new.utility)
    filled = fill(chosen, new.values)
    account_id = _account_id(connection, subject.id, new.utility, new.account_no)
    unit_name, unit_code = settings.determining_units[new.utility.value]
    commitment_id = repository.insert_commitment(
        connection,
        {
            "subject_id": subject.id,
            "utility": new.utility.value,
            "account_id": account_id,
            "application_id": new.application_id,
            "template_key": chosen.key,
            "template_version": chosen.version,
            "commitment_type": chosen.commitment_type,
            "reason": (new.reason or chosen.reason)[:500],
            "content": "\n".join(filled.paragraphs)[:8000],
            "liability": chosen.liability[:2000],
            "fields": dict(new.values),
            "made_on": new.made_on,
            "valid_until": new.valid_until,
            "status": CommitmentStatus.MADE.value,
            "status_on": new.made_on,
            "accepting_unit": unit_name,
            "accepting_unit_code": unit_code,
            "determining_unit": unit_name,
            "determining_unit_code": unit_code,
            "disclosure": (new.disclosure or Disclosure(chosen.disclosure)).value,
            "created_by": actor_name(principal),
        },
    )
    repository.insert_obligations(
        connection,
        [
            _obligation_row(commitment_id, spec, new.obligations_start_on)
            for spec in chosen.obligations
        ],
    )
    keep_history(
        connection,
        CASE_TYPE,
        commitment_id,
        new.utility.value,
        "make",
        None,
        CommitmentStatus.MADE.value,
        actor_name(principal),
        today,
        f"{chosen.title}（{chosen.key} {chosen.version}）",
    )
    return visible_commitment(connection, principal, commitment_id)


def _check_template_utility(chosen: CommitmentTemplate, utility: Utility) -> None:
    utilities = {loaded.policy.utility for loaded in shipped() if loaded.key in chosen.policies}
    if utilities and utility not in utilities:
        raise FieldInvalidError(
            "template",
            f"承诺书模板 {chosen.key} 不适用于{'供水' if utility == Utility.WATER else '供电'} / "
            f"template {chosen.key} is not for {utility.value}",
        )


def _account_id(
    connection: Connection, subject_id: int, utility: Utility, account_no: str | None
) -> int | None:
    if account_no is None:
        return None
    accounts = subjects.account_ids_of(connection, subject_id, utility.value)
    if account_no not in accounts:
        raise FieldInvalidError(
            "account_no",
            f"该主体没有{utility.value}户号 {account_no} / the subject has no account {account_no}",
        )
    return accounts[account_no]


def _obligation_row(commitment_id: int, spec: Any, starts_on: dt.date | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "commitment_id": commitment_id,
        "key": spec.key,
        "text": spec.text[:1000],
        "status": ObligationStatus.PENDING.value,
        "on_breach": spec.on_breach,
    }
    if starts_on is not None:
        row |= started_values(spec, starts_on)
    return row


def started_values(spec: Any, starts_on: dt.date) -> dict[str, Any]:
    dates = obligation_dates(spec.due_on(starts_on), spec.remind_days_before)
    return {
        "starts_on": starts_on,
        "due_on": dates.due_on,
        "remind_on": dates.remind_on,
        "status": ObligationStatus.OPEN.value,
    }


# --------------------------------------------------------------------------------------------
# Move
# --------------------------------------------------------------------------------------------


def move(
    connection: Connection,
    commitment: CommitmentLine,
    action: str,
    *,
    actor: str,
    today: dt.date,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> None:
    move_case(
        connection,
        COMMITMENT_MACHINE,
        CASE_TYPE,
        commitment.id,
        commitment.status,
        action,
        write=repository.set_status,
        utility=commitment.utility,
        actor=actor,
        today=today,
        reason=reason,
        values={"status_on": today, **(values or {})},
    )


def accept(
    connection: Connection, principal: Principal | None, commitment_id: int, *, today: dt.date
) -> CommitmentLine:
    """The utility accepts the signed letter: the commitment is in force from today."""
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "commitment")
    move(connection, found, "accept", actor=actor_name(principal), today=today)
    return visible_commitment(connection, principal, commitment_id)


def withdraw(
    connection: Connection,
    principal: Principal | None,
    commitment_id: int,
    *,
    today: dt.date,
    reason: str,
) -> CommitmentLine:
    """Withdrawn (e.g. its application stopped before connection): no record, no breach."""
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "commitment")
    move(
        connection,
        found,
        "withdraw",
        actor=actor_name(principal),
        today=today,
        reason=_required(reason, "撤回原因", "reason"),
    )
    cancel_obligations(connection, commitment_id)
    return visible_commitment(connection, principal, commitment_id)


def fulfil(
    connection: Connection,
    principal: Principal | None,
    commitment_id: int,
    *,
    today: dt.date,
    note: str | None = None,
) -> CommitmentLine:
    """Determined fulfilled; refused while an obligation is still open or waiting to start."""
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "commitment")
    COMMITMENT_MACHINE.target(CommitmentStatus(found.status), "fulfil")  # refused first if so
    unmet = [
        o
        for o in repository.obligations_of(connection, commitment_id)
        if o.status in (ObligationStatus.OPEN, ObligationStatus.PENDING)
    ]
    if unmet:
        raise InvalidInputError(
            f"承诺尚有未履行的义务：{unmet[0].text}（先登记履行） / an obligation is still open"
        )
    move(connection, found, "fulfil", actor=actor_name(principal), today=today, reason=note)
    return visible_commitment(connection, principal, commitment_id)


@dataclass(frozen=True, slots=True)
class BreachOutcome:
    commitment: CommitmentLine
    incident_no: str | None  # the 失约 incident of the credit file (None: no account to hold it)
    record_ids: list[int] = field(default_factory=list)  # dishonesty-record candidates made


def breach(
    connection: Connection,
    principal: Principal | None,
    commitment_id: int,
    *,
    today: dt.date,
    unfulfilled: str,
    liability_pursued: str | None = None,
    on: dt.date | None = None,
) -> BreachOutcome:
    """Determine a breach (违诺): the status, a 失约 incident in the credit file, and the
    dishonesty-record candidates the utility's policies make of it (reviewers only)."""
    found = visible_commitment(connection, principal, commitment_id)
    require_case_permission(principal, Permission.DECIDE_CASE, found.utility, "commitment")
    return determine_breach(
        connection,
        found,
        actor=actor_name(principal),
        today=today,
        on=on or today,
        unfulfilled=_required(unfulfilled, "未履行的承诺内容", "unfulfilled"),
        liability_pursued=liability_pursued,
    )


def determine_breach(
    connection: Connection,
    found: CommitmentLine,
    *,
    actor: str,
    today: dt.date,
    on: dt.date,
    unfulfilled: str,
    liability_pursued: str | None,
) -> BreachOutcome:
    if on > today or on < found.made_on:
        raise FieldInvalidError(
            "on",
            f"违诺日期 {on} 应在承诺作出日期 {found.made_on} 与今天之间 / "
            "the breach date must lie between the commitment and today",
        )
    move(
        connection,
        found,
        "breach",
        actor=actor,
        today=today,
        reason=unfulfilled,
        values={
            "status_on": on,
            "unfulfilled_content": unfulfilled[:2000],
            "liability_pursued": (liability_pursued or "")[:2000] or None,
        },
    )
    cancel_obligations(connection, found.id)
    incident_no, incident_id = _breach_incident(connection, found, on, unfulfilled)
    record_ids: list[int] = []
    if incident_id is not None:
        for loaded in _policies_of(found):
            record_ids += propose_for_incidents(connection, loaded, [incident_id], today)
    return BreachOutcome(
        repository.get_commitment(connection, found.id) or found, incident_no, record_ids
    )


def _breach_incident(
    connection: Connection, found: CommitmentLine, on: dt.date, unfulfilled: str
) -> tuple[str | None, int | None]:
    """The 失约 incident on the commitment's account, or the subject's only account with the
    utility; none when the subject has no account (nothing to attach it to yet)."""
    account_id = found.account_id
    if account_id is None:
        accounts = subjects.account_ids_of(connection, found.subject_id, found.utility)
        if len(accounts) != 1:
            return None, None
        account_id = next(iter(accounts.values()))
    incident_no = f"{found.code}-B"
    incident_id = add_incident(
        connection,
        incident_no=incident_no,
        account_id=account_id,
        kind=IncidentKind.COMMITMENT_BREACH,
        occurred_on=on,
        note=f"违反信用承诺 {found.code}：{unfulfilled}",
    )
    return incident_no, incident_id


def _policies_of(found: CommitmentLine) -> list[Any]:
    chosen = template(found.template_key, found.template_version)
    return [
        policy_at(key, found.made_on)
        for key in chosen.policies
        if any(p.key == key and p.policy.utility.value == found.utility for p in shipped())
    ]


def cancel_obligations(connection: Connection, commitment_id: int) -> None:
    """The commitment ended otherwise: what was still to do is no longer owed."""
    for obligation in repository.obligations_of(connection, commitment_id):
        if obligation.status in (ObligationStatus.OPEN, ObligationStatus.PENDING):
            repository.update_obligation(
                connection,
                obligation.id,
                expected=obligation.status,
                values={"status": ObligationStatus.CANCELLED.value},
            )


def _required(text: str | None, zh: str, field_name: str) -> str:
    value = (text or "").strip()
    if not value:
        raise FieldInvalidError(field_name, f"请填写{zh} / {field_name} is required")
    return value
