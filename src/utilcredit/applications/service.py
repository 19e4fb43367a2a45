"""Credit-based applications: submit, survey, check eligibility, sign, accept, connect; zones.

Use cases take a Connection and never commit. Every change of status goes through
:func:`_move` (the machine allows or refuses it; compare-and-set; a ``case_events`` row with
``case_type = "application"`` and an audit entry). Operators (``file_case``) run the whole
counter workflow; a rejection needs a reason. Pilot zones are edited by admins
(``manage_users``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from utilcredit.access.model import NotVisibleError, Permission, Principal, actor_name, readable
from utilcredit.applications import repository
from utilcredit.applications.checks import (
    ELIGIBLE,
    STATUS_ZH,
    eligibility_dict,
    eligibility_of,
    policy_with_rules,
)
from utilcredit.applications.model import (
    APPLICATION_MACHINE,
    ApplicationStatus,
    Channel,
    Document,
    Eligibility,
    open_key,
)
from utilcredit.applications.repository import ApplicationFilter, ApplicationLine
from utilcredit.applications.zones import match_zone
from utilcredit.commitments import letters, obligations
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments import service as commitments
from utilcredit.config import RecordsSettings
from utilcredit.customers import subjects
from utilcredit.customers.model import CommitmentStatus, SubjectKind, Utility
from utilcredit.errors import FieldInvalidError, InvalidInputError
from utilcredit.paging import Page
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.records.cases import (
    keep_history,
    move_case,
    require_case_permission,
    require_known,
)
from utilcredit.records.repository.casework import CaseEvent, events_of

CASE_TYPE = "application"
WITHDRAWN_BEFORE_CONNECTION = (
    "申请在接火送电（通水）前撤回，未造成供应企业投资浪费，不作为信用行为登记"
    "（种子004 附件3 三、4）"
)


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def visible_application(
    connection: Connection, principal: Principal | None, application_id: int
) -> ApplicationLine:
    found = repository.get_application(connection, application_id)
    if found is None or Utility(found.utility) not in readable(principal):
        raise NotVisibleError(
            f"没有该信用办理申请：{application_id} / no application {application_id}",
            entity="application",
        )
    return found


def list_applications(
    connection: Connection,
    principal: Principal | None,
    *,
    statuses: Sequence[str] = (),
    businesses: Sequence[str] = (),
    subject_code: str | None = None,
    policy_key: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[ApplicationLine]:
    require_known(statuses, ApplicationStatus, "status")
    require_known(businesses, Business, "business")
    subject_id = None
    if subject_code is not None:
        found = subjects.subject_by_code(connection, subject_code)
        subject_id = found.id if found is not None else 0
    f = ApplicationFilter(
        frozenset(u.value for u in readable(principal)),
        statuses,
        businesses,
        subject_id,
        policy_key,
    )
    return repository.list_applications(connection, f, offset=offset, limit=limit)


def next_actions(application: ApplicationLine) -> tuple[str, ...]:
    return APPLICATION_MACHINE.actions_from(ApplicationStatus(application.status))


def history(
    connection: Connection, principal: Principal | None, application_id: int
) -> list[CaseEvent]:
    """Every step of the application, oldest first (who, when, why)."""
    visible_application(connection, principal, application_id)
    return events_of(connection, [(CASE_TYPE, application_id)])


# --------------------------------------------------------------------------------------------
# Submit
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewApplication:
    subject_code: str
    policy_key: str
    business: Business
    address: str
    applied_on: dt.date
    channel: Channel = Channel.COUNTER
    area: str | None = None
    park: str | None = None
    address_type: AddressType | None = None
    documents_present: tuple[Document, ...] = ()
    documents_missing: tuple[Document, ...] = (Document.PROPERTY_PROOF,)


def submit(
    connection: Connection,
    principal: Principal | None,
    new: NewApplication,
    *,
    today: dt.date,
) -> ApplicationLine:
    policy = policy_with_rules(new.policy_key, new.applied_on)
    require_case_permission(principal, Permission.FILE_CASE, policy.utility.value, "application")
    subject = subjects.subject_by_code(connection, new.subject_code)
    if subject is None:
        raise FieldInvalidError(
            "subject_code", f"没有该主体：{new.subject_code} / no subject {new.subject_code}"
        )
    if subject.kind != SubjectKind.LEGAL:
        # The seeds offer credit-based applications to 社会法人 / 企业 / 用电主体 with a USCC
        # (a public code); a natural person's ID number is never probed this way.
        raise FieldInvalidError(
            "subject_code",
            "信用办理只适用于社会法人 / credit-based applications are for legal persons",
        )
    assert policy.credit_application is not None
    if new.business not in policy.credit_application.businesses:
        allowed = "、".join(b.label_zh for b in policy.credit_application.businesses)
        raise FieldInvalidError(
            "business",
            f"{policy.credit_application.title}不适用于{new.business.label_zh}（适用：{allowed}） / "
            f"business {new.business.value} is not covered",
        )
    if new.applied_on > today:
        raise FieldInvalidError(
            "applied_on", f"申请日期 {new.applied_on} 晚于今天 / applied_on is in the future"
        )
    address = new.address.strip()
    if not address:
        raise FieldInvalidError("address", "请填写用水/用电地址 / address is required")
    overlap = set(new.documents_present) & set(new.documents_missing)
    if overlap:
        raise FieldInvalidError(
            "documents", f"材料不能既已提交又缺少：{', '.join(sorted(overlap))} / documents overlap"
        )
    zone = match_zone(connection, policy.key, new.area, new.park)
    key = open_key(policy.utility.value, address, new.business.value)
    existing = repository.open_application_with_key(connection, key)
    if existing is not None:
        raise _second_open(existing)
    try:
        with connection.begin_nested():
            application_id = repository.insert_application(
                connection,
                {
                    "subject_id": subject.id,
                    "utility": policy.utility.value,
                    "policy_key": policy.key,
                    "business": new.business.value,
                    "address": address[:300],
                    "area": new.area,
                    "park": new.park,
                    "zone_id": zone.id if zone else None,
                    "address_type": new.address_type.value if new.address_type else None,
                    "channel": new.channel.value,
                    "documents_present": [d.value for d in new.documents_present],
                    "documents_missing": [d.value for d in new.documents_missing],
                    "status": ApplicationStatus.APPLIED.value,
                    "applied_on": new.applied_on,
                    "status_on": new.applied_on,
                    "open_key": key,
                    "created_by": actor_name(principal),
                },
            )
    except IntegrityError:  # another clerk submitted the same address a moment ago
        found = repository.open_application_with_key(connection, key)
        raise _second_open(found or 0) from None
    keep_history(
        connection,
        CASE_TYPE,
        application_id,
        policy.utility.value,
        "apply",
        None,
        ApplicationStatus.APPLIED.value,
        actor_name(principal),
        today,
        f"{new.business.label_zh} {address}",
    )
    return visible_application(connection, principal, application_id)


def _second_open(existing: int) -> InvalidInputError:
    return FieldInvalidError(
        "address",
        f"该地址已有同类业务的申请在办（申请 {existing}） / an application for this address and "
        f"business is already open ({existing})",
    )


# --------------------------------------------------------------------------------------------
# Move
# --------------------------------------------------------------------------------------------


def _move(
    connection: Connection,
    application: ApplicationLine,
    action: str,
    *,
    actor: str,
    today: dt.date,
    reason: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> None:
    target = APPLICATION_MACHINE.target(ApplicationStatus(application.status), action)
    extra: dict[str, Any] = {"status_on": today, **(values or {})}
    if target not in _OPEN:
        extra["open_key"] = None  # closed: the address may be applied for again
    move_case(
        connection,
        APPLICATION_MACHINE,
        CASE_TYPE,
        application.id,
        application.status,
        action,
        write=repository.set_status,
        utility=application.utility,
        actor=actor,
        today=today,
        reason=reason,
        values=extra,
    )


_OPEN = (
    ApplicationStatus.APPLIED,
    ApplicationStatus.SURVEYED,
    ApplicationStatus.CREDIT_CHECKED,
    ApplicationStatus.COMMITMENT_SIGNED,
)


def _writable(
    connection: Connection, principal: Principal | None, application_id: int
) -> ApplicationLine:
    found = visible_application(connection, principal, application_id)
    require_case_permission(principal, Permission.FILE_CASE, found.utility, "application")
    return found


def survey(
    connection: Connection,
    principal: Principal | None,
    application_id: int,
    *,
    today: dt.date,
    address_type: AddressType | None = None,
    note: str | None = None,
) -> ApplicationLine:
    """The site survey: records what the address stands on."""
    found = _writable(connection, principal, application_id)
    values = {"address_type": address_type.value} if address_type else {}
    _move(
        connection,
        found,
        "survey",
        actor=actor_name(principal),
        today=today,
        reason=note,
        values=values,
    )
    return visible_application(connection, principal, application_id)


def check(
    connection: Connection, principal: Principal | None, application_id: int, *, today: dt.date
) -> tuple[ApplicationLine, Eligibility]:
    """The credit check (信用核查): eligibility decided and kept with the application."""
    found = _writable(connection, principal, application_id)
    result = eligibility_of(connection, found)
    _move(
        connection,
        found,
        "check",
        actor=actor_name(principal),
        today=today,
        reason=f"资格核查：{STATUS_ZH[result.status]}",
        values={
            "checked_on": today,
            "eligible": ELIGIBLE[result.status],
            "eligibility": eligibility_dict(result),
        },
    )
    return visible_application(connection, principal, application_id), result


def sign(
    connection: Connection,
    principal: Principal | None,
    application_id: int,
    *,
    values: Mapping[str, str],
    made_on: dt.date,
    today: dt.date,
    settings: RecordsSettings,
) -> ApplicationLine:
    """The applicant signs the policy's commitment: only after a check that found it eligible."""
    found = _writable(connection, principal, application_id)
    if found.eligible != "met":
        raise InvalidInputError(
            "信用核查未通过（或尚未核查），不能签署信用承诺 / the credit check has not passed"
        )
    policy = policy_with_rules(found.policy_key, found.applied_on)
    assert policy.credit_application is not None
    template_key = policy.credit_application.commitment_template
    if template_key is None:
        raise InvalidInputError(f"政策 {policy.key} 未指定承诺书模板 / no commitment template")
    if made_on < found.applied_on:
        raise FieldInvalidError(
            "made_on",
            f"承诺日期 {made_on} 早于申请日期 {found.applied_on} / before the application",
        )
    made = commitments.make(
        connection,
        principal,
        commitments.NewCommitment(
            subject_code=found.subject_code,
            utility=Utility(found.utility),
            template_key=template_key,
            values={
                **letters.prefilled(
                    connection, template_key, found.subject_code, address=found.address
                ),
                **values,
            },
            made_on=made_on,
            application_id=found.id,
        ),
        today=today,
        settings=settings,
    )
    _move(
        connection,
        found,
        "sign",
        actor=actor_name(principal),
        today=today,
        reason=f"信用承诺 {made.code}",
        values={"commitment_id": made.id},
    )
    return visible_application(connection, principal, application_id)


def accept(
    connection: Connection, principal: Principal | None, application_id: int, *, today: dt.date
) -> ApplicationLine:
    """Accepted without the property documents; the commitment comes into force."""
    found = _writable(connection, principal, application_id)
    _move(connection, found, "accept", actor=actor_name(principal), today=today)
    if found.commitment_id is not None:
        commitments.accept(connection, principal, found.commitment_id, today=today)
    return visible_application(connection, principal, application_id)


def connect(
    connection: Connection,
    principal: Principal | None,
    application_id: int,
    *,
    connected_on: dt.date,
    today: dt.date,
) -> ApplicationLine:
    """Power-on (通水/接火送电): the commitment's dated obligations start counting."""
    found = _writable(connection, principal, application_id)
    if connected_on < found.applied_on or connected_on > today:
        raise FieldInvalidError(
            "connected_on",
            f"接火送电日期 {connected_on} 应在申请日期 {found.applied_on} 与今天之间 / "
            "connected_on must lie between the application and today",
        )
    _move(
        connection,
        found,
        "connect",
        actor=actor_name(principal),
        today=today,
        values={"connected_on": connected_on},
    )
    if found.commitment_id is not None:
        obligations.start_obligations(
            connection, principal, found.commitment_id, starts_on=connected_on, today=today
        )
    return visible_application(connection, principal, application_id)


def reject(
    connection: Connection,
    principal: Principal | None,
    application_id: int,
    *,
    today: dt.date,
    reason: str,
) -> ApplicationLine:
    found = _writable(connection, principal, application_id)
    why = (reason or "").strip()
    if not why:
        raise FieldInvalidError("reason", "请填写不予受理的原因 / a reason is required")
    _move(
        connection,
        found,
        "reject",
        actor=actor_name(principal),
        today=today,
        reason=why,
        values={"reason": why[:2000]},
    )
    _withdraw_commitment(connection, principal, found, today, f"申请不予受理：{why}")
    return visible_application(connection, principal, application_id)


def withdraw(
    connection: Connection,
    principal: Principal | None,
    application_id: int,
    *,
    today: dt.date,
    reason: str | None = None,
) -> ApplicationLine:
    """Withdrawn before connection: its commitment is withdrawn, nothing is recorded."""
    found = _writable(connection, principal, application_id)
    why = (reason or "").strip() or "申请人主动撤回"
    _move(
        connection,
        found,
        "withdraw",
        actor=actor_name(principal),
        today=today,
        reason=why,
        values={"reason": why[:2000]},
    )
    _withdraw_commitment(connection, principal, found, today, WITHDRAWN_BEFORE_CONNECTION)
    return visible_application(connection, principal, application_id)


def _withdraw_commitment(
    connection: Connection,
    principal: Principal | None,
    found: ApplicationLine,
    today: dt.date,
    reason: str,
) -> None:
    if found.commitment_id is None:
        return
    commitment = commitment_reads.visible_commitment(connection, principal, found.commitment_id)
    if commitment.status in (CommitmentStatus.MADE, CommitmentStatus.IN_FORCE):
        commitments.withdraw(connection, principal, commitment.id, today=today, reason=reason)
