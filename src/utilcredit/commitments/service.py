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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal
from utilcredit.commitments import repository
from utilcredit.commitments.model import (
    COMMITMENT_MACHINE,
    ON_BREACH_ZH,
    CommitmentType,
    Disclosure,
    ObligationStatus,
    check_dates,
    check_made_on,
    commitment_expired,
    obligation_dates,
    obligation_missed,
)
from utilcredit.commitments.repository import (
    CommitmentFilter,
    CommitmentLine,
    DueObligation,
    ObligationLine,
)
from utilcredit.commitments.templates import CommitmentTemplate, fill, letter_of, template
from utilcredit.config import RecordsSettings
from utilcredit.customers import repository as credit_files
from utilcredit.customers.model import CommitmentStatus, IncidentKind, Utility
from utilcredit.documents.model import commitment_letter_context
from utilcredit.documents.render import render_html
from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError
from utilcredit.identifiers import MaskingRule, display_code, mask_id_number
from utilcredit.paging import Page
from utilcredit.policies.service import policy_at, shipped
from utilcredit.records.cases import (
    SYSTEM,
    actor_name,
    keep_history,
    move_case,
    readable,
    require_case_permission,
    require_known,
)
from utilcredit.records.derivation import propose_for_incidents
from utilcredit.records.repository import CaseEvent, events_of

CASE_TYPE = "commitment"


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def visible_commitment(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> CommitmentLine:
    found = repository.get_commitment(connection, commitment_id)
    if found is None or Utility(found.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该信用承诺：{commitment_id} / no commitment {commitment_id}", entity="commitment"
        )
    return found


#: A template blank holding a person's ID number ends with this (masked like a subject code).
ID_NUMBER_FIELD = "id_number"


def clear_for(principal: Principal | None) -> bool:
    """Whether the reader sees a natural person's ID number whole (the CLI, ``None``, does)."""
    return principal is None or principal.can(Permission.VIEW_UNMASKED)


def shown(line: CommitmentLine, principal: Principal | None, rule: MaskingRule) -> CommitmentLine:
    """The commitment as the reader may see it: the subject's code of a natural person and
    every ID-number blank masked (in the blanks and in the promises' text) unless the reader
    holds ``view_unmasked``."""
    if clear_for(principal):
        return line
    hidden: dict[str, str] = {}
    if line.subject_kind == "natural":
        hidden[line.subject_code] = display_code(
            line.subject_code, line.subject_kind, clear=False, rule=rule
        )
    for name, value in line.fields.items():
        if name.endswith(ID_NUMBER_FIELD) and value.strip():
            hidden[value] = mask_id_number(value.strip(), rule)
    if not hidden:
        return line

    def hide(text: str) -> str:
        for number, masked in hidden.items():
            text = text.replace(number, masked)
        return text

    return replace(
        line,
        subject_code=hide(line.subject_code),
        fields={name: hide(value) for name, value in line.fields.items()},
        content=hide(line.content),
        unfulfilled_content=hide(line.unfulfilled_content) if line.unfulfilled_content else None,
    )


def document_html(
    connection: Connection, principal: Principal | None, commitment_id: int, rule: MaskingRule
) -> tuple[CommitmentLine, str]:
    """The signed letter as stored, filled and laid out to print (masked as the reader sees it)."""
    found = shown(visible_commitment(connection, principal, commitment_id), principal, rule)
    filled = fill(template(found.template_key, found.template_version), found.fields)
    letter = letter_of(
        filled, code=found.code, made_on=found.made_on, accepting_unit=found.accepting_unit
    )
    return found, render_html("commitment.html", commitment_letter_context(letter))


def commitment_by_ref(connection: Connection, principal: Principal | None, ref: str) -> int:
    """A commitment's id from its id or its code (承诺编码)."""
    if ref.isdigit():
        return int(ref)
    found = repository.commitment_id_by_code(connection, ref.strip().upper())
    if found is None:
        raise NotVisibleError(f"没有该信用承诺：{ref} / no commitment {ref}", entity="commitment")
    return found


@dataclass(frozen=True, slots=True)
class CommitmentView:
    commitment: CommitmentLine
    obligations: list[ObligationLine]
    actions: tuple[str, ...]  # what a person may do next


def commitment_view(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> CommitmentView:
    found = visible_commitment(connection, principal, commitment_id)
    actions = tuple(
        a for a in COMMITMENT_MACHINE.actions_from(CommitmentStatus(found.status)) if a != "expire"
    )
    return CommitmentView(found, repository.obligations_of(connection, commitment_id), actions)


def history(
    connection: Connection, principal: Principal | None, commitment_id: int
) -> list[CaseEvent]:
    """Every step of the commitment and its obligations, oldest first (who, when, why)."""
    visible_commitment(connection, principal, commitment_id)
    return events_of(connection, [(CASE_TYPE, commitment_id)])


def commitment_filter(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    types: Sequence[str] = (),
    subject_code: str | None = None,
    application_id: int | None = None,
    disclosure: str | None = None,
) -> CommitmentFilter:
    require_known(statuses, CommitmentStatus, "status")
    require_known(types, CommitmentType, "type")
    if disclosure is not None:
        require_known([disclosure], Disclosure, "disclosure")
    subject_id = None
    if subject_code is not None:
        found = credit_files.subject_by_code(connection, subject_code)
        subject_id = found.id if found is not None else 0
    utilities = frozenset(u.value for u in readable(principal))
    return CommitmentFilter(utilities, statuses, types, subject_id, application_id, disclosure)


def list_commitments(
    connection: Connection,
    principal: Principal | None,
    *,
    offset: int = 0,
    limit: int = 50,
    **filters: Any,
) -> Page[CommitmentLine]:
    f = commitment_filter(connection, principal, **filters)
    return repository.list_commitments(connection, f, offset=offset, limit=limit)


def iter_commitments(connection: Connection, principal: Principal | None, **filters: Any) -> Any:
    return repository.iter_commitments(
        connection, commitment_filter(connection, principal, **filters)
    )


def obligations_due(
    connection: Connection, principal: Principal | None, start: dt.date, end: dt.date
) -> list[DueObligation]:
    """Open obligations falling due in ``[start, end]`` (the deadlines of the month)."""
    utilities = [u.value for u in readable(principal)]
    return repository.obligations_due_between(connection, utilities, start, end)


# --------------------------------------------------------------------------------------------
# Make
# --------------------------------------------------------------------------------------------


def prefilled(
    connection: Connection, template_key: str, subject_code: str, *, address: str | None = None
) -> dict[str, str]:
    """The blanks of a template the credit file already answers (name, code, legal
    representative, address); the clerk fills the rest. Unknown subject: nothing."""
    detail = credit_files.subject_card_of(connection, subject_code)
    if detail is None:
        return {}
    known = {
        "unit_name": detail.name,
        "heading_unit": detail.name,
        "uscc": detail.code,
        "subject_code": detail.code,
        "legal_rep": detail.legal_rep or "",
        "address": address or detail.address or "",
    }
    names = {f.name for f in template(template_key).fields}
    return {name: value for name, value in known.items() if name in names and value}


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
    subject = credit_files.subject_by_code(connection, new.subject_code)
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
    accounts = credit_files.account_ids_of(connection, subject_id, utility.value)
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
        row |= _started(spec, starts_on)
    return row


def _started(spec: Any, starts_on: dt.date) -> dict[str, Any]:
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


def _move(
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
    _move(connection, found, "accept", actor=actor_name(principal), today=today)
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
    _move(
        connection,
        found,
        "withdraw",
        actor=actor_name(principal),
        today=today,
        reason=_required(reason, "撤回原因", "reason"),
    )
    _cancel_obligations(connection, commitment_id)
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
    _move(connection, found, "fulfil", actor=actor_name(principal), today=today, reason=note)
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
    return _breach(
        connection,
        found,
        actor=actor_name(principal),
        today=today,
        on=on or today,
        unfulfilled=_required(unfulfilled, "未履行的承诺内容", "unfulfilled"),
        liability_pursued=liability_pursued,
    )


def _breach(
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
    _move(
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
    _cancel_obligations(connection, found.id)
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
        accounts = credit_files.account_ids_of(connection, found.subject_id, found.utility)
        if len(accounts) != 1:
            return None, None
        account_id = next(iter(accounts.values()))
    incident_no = f"{found.code}-B"
    incident_id = credit_files.add_incident(
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


# --------------------------------------------------------------------------------------------
# Obligations
# --------------------------------------------------------------------------------------------


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
                values=_started(specs[obligation.key], starts_on),
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


def _cancel_obligations(connection: Connection, commitment_id: int) -> None:
    """The commitment ended otherwise: what was still to do is no longer owed."""
    for obligation in repository.obligations_of(connection, commitment_id):
        if obligation.status in (ObligationStatus.OPEN, ObligationStatus.PENDING):
            repository.update_obligation(
                connection,
                obligation.id,
                expected=obligation.status,
                values={"status": ObligationStatus.CANCELLED.value},
            )


# --------------------------------------------------------------------------------------------
# The daily job
# --------------------------------------------------------------------------------------------


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
            _move(connection, found, "expire", actor=SYSTEM, today=day, reason="承诺有效期届满")
            _cancel_obligations(connection, commitment_id)
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
    outcome = _breach(
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


def _required(text: str | None, zh: str, field_name: str) -> str:
    value = (text or "").strip()
    if not value:
        raise FieldInvalidError(field_name, f"请填写{zh} / {field_name} is required")
    return value
