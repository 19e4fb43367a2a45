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

from utilcredit.access.model import NotVisibleError, Permission, Principal, require
from utilcredit.applications import repository
from utilcredit.applications.model import (
    APPLICATION_MACHINE,
    ApplicationStatus,
    Channel,
    Document,
    Eligibility,
    evaluate_eligibility,
    open_key,
)
from utilcredit.applications.repository import ApplicationFilter, ApplicationLine, ZoneLine
from utilcredit.audit import repository as audit
from utilcredit.commitments import service as commitments
from utilcredit.config import RecordsSettings
from utilcredit.customers import repository as credit_files
from utilcredit.customers.model import CommitmentStatus, SubjectKind, Utility
from utilcredit.errors import FieldInvalidError, InvalidInputError
from utilcredit.paging import Page
from utilcredit.policies.model import AddressType, Business, Policy
from utilcredit.policies.service import policy_at
from utilcredit.rating.evaluator import ApplicationFacts
from utilcredit.rating.explain import describe_outcome, outcome_dict
from utilcredit.rating.results import ClauseStatus
from utilcredit.records.cases import (
    actor_name,
    keep_history,
    move_case,
    readable,
    require_case_permission,
    require_known,
)
from utilcredit.records.repository import CaseEvent, events_of

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
        found = credit_files.subject_by_code(connection, subject_code)
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
    policy = _policy_with_rules(new.policy_key, new.applied_on)
    require_case_permission(principal, Permission.FILE_CASE, policy.utility.value, "application")
    subject = credit_files.subject_by_code(connection, new.subject_code)
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


def _policy_with_rules(policy_key: str, on: dt.date) -> Policy:
    policy = policy_at(policy_key, on).policy
    if policy.credit_application is None:
        raise FieldInvalidError(
            "policy", f"政策 {policy_key} 没有信用办理规则 / policy {policy_key} has none"
        )
    return policy


def match_zone(
    connection: Connection, policy_key: str, area: str | None, park: str | None
) -> ZoneLine | None:
    """The active pilot zone the address lies in: by park name, else by area code prefix.

    A park the policy's zone table does not list is refused (a typo must not read as "outside
    every zone"); an area code that matches no zone means the address is outside them.
    """
    zones = [z for z in repository.zones_of(connection, [policy_key]) if z.active]
    if park:
        wanted = "".join(park.split())
        for zone in zones:
            if "".join(zone.park.split()) == wanted:
                return zone
        known = "、".join(z.park for z in zones) or "无"
        raise FieldInvalidError(
            "park", f"未知的试点园区：{park}（可选：{known}） / unknown pilot zone {park}"
        )
    if area:
        for zone in zones:
            if zone.area_code and area.startswith(zone.area_code):
                return zone
    return None


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
    policy = _policy_with_rules(policy_key, on)
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
    policy = _policy_with_rules(policy_key, on)
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
        reason=f"资格核查：{_STATUS_ZH[result.status]}",
        values={
            "checked_on": today,
            "eligible": _ELIGIBLE[result.status],
            "eligibility": eligibility_dict(result),
        },
    )
    return visible_application(connection, principal, application_id), result


_STATUS_ZH = {
    ClauseStatus.HELD: "符合",
    ClauseStatus.FAILED: "不符合",
    ClauseStatus.UNKNOWN: "无法判断",
}
_ELIGIBLE = {
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
        "status": _ELIGIBLE[result.status],
        "status_zh": _STATUS_ZH[result.status],
        "counted_from": result.counted_from.isoformat() if result.counted_from else None,
        "requirements": [
            {
                "id": r.id,
                "text": r.text,
                "status": _ELIGIBLE[r.status],
                "status_zh": _STATUS_ZH[r.status],
                "summary": describe_outcome(r.outcome),
                "outcome": outcome_dict(r.outcome),
            }
            for r in result.requirements
        ],
    }


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
    policy = _policy_with_rules(found.policy_key, found.applied_on)
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
                **commitments.prefilled(
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
        commitments.start_obligations(
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
    commitment = commitments.visible_commitment(connection, principal, found.commitment_id)
    if commitment.status in (CommitmentStatus.MADE, CommitmentStatus.IN_FORCE):
        commitments.withdraw(connection, principal, commitment.id, today=today, reason=reason)


# --------------------------------------------------------------------------------------------
# Pilot zones (admins)
# --------------------------------------------------------------------------------------------


def zones(connection: Connection, policy_keys: Sequence[str]) -> list[ZoneLine]:
    return repository.zones_of(connection, policy_keys)


@dataclass(frozen=True, slots=True)
class ZoneEdit:
    policy_key: str
    district: str
    park: str
    area_code: str | None = None
    active: bool = True
    note: str | None = None


def set_zone(connection: Connection, principal: Principal | None, edit: ZoneEdit) -> ZoneLine:
    """Add a pilot zone or change one (matched by policy, district and park); audited."""
    utility = policy_at(edit.policy_key, None).policy.utility  # unknown: refused, with choices
    if principal is not None:
        require(principal, Permission.MANAGE_USERS, entity="zone")
        if not principal.may_write_utility(utility):
            raise NotVisibleError(
                "无权维护该供应类别的试点区域 / not a utility of yours", entity="zone"
            )
    district, park = edit.district.strip(), edit.park.strip()
    if not district or not park:
        raise FieldInvalidError(
            "park", "请填写所属行政区和试点区域 / district and park are required"
        )
    if edit.area_code is not None and not edit.area_code.isdigit():
        raise FieldInvalidError(
            "area_code", f"行政区划代码应为数字：{edit.area_code} / area_code must be digits"
        )
    values = {"area_code": edit.area_code, "active": edit.active, "note": edit.note}
    existing = repository.zone_by_name(connection, edit.policy_key, district, park)
    if existing is None:
        zone_id = repository.insert_zone(
            connection,
            {"policy_key": edit.policy_key, "district": district, "park": park, **values},
        )
    else:
        zone_id = existing.id
        repository.update_zone(connection, zone_id, values)
    audit.record(
        connection,
        actor=actor_name(principal),
        action="zone_set",
        entity="zone",
        entity_key=str(zone_id),
        detail={"policy": edit.policy_key, "district": district, "park": park, **values},
        utilities=[utility],
    )
    zone = repository.get_zone(connection, zone_id)
    assert zone is not None
    return zone
