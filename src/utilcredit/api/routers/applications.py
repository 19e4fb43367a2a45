"""Credit-based applications (信用办水 · 信易电, SPEC 2.6), pilot zones, and the measures that
apply to a subject (守信激励 · 失信约束).

Operators (``file_case``) run the counter workflow: submit → survey → check (eligibility under
the policy's ``credit_application`` rules, each requirement with its evidence) → sign (the
policy's commitment) → accept → connect, or reject (with a reason) or withdraw. Another
utility's application answers 404 (audited). Pilot zones are read by every reader and edited
by admins (``manage_users``); measures are granted by operators, only one that applies today.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.access.visibility import require_utility_write
from utilcredit.api.routers.commitments import commitment_out, vars_of
from utilcredit.api.schemas import ERROR_RESPONSES, SUBJECT_REF
from utilcredit.api.schemas_commitments import (
    ApplicationDetailOut,
    ApplicationOut,
    ApplicationPage,
    ConnectRequest,
    DesignationOut,
    EntitlementOut,
    GrantOut,
    GrantRequest,
    ReasonRequest,
    SignRequest,
    SubmitRequest,
    SurveyRequest,
    UtilityEntitlementsOut,
    WithdrawRequest,
    ZoneOut,
    ZoneRequest,
)
from utilcredit.applications import checks as application_checks
from utilcredit.applications import service
from utilcredit.applications import zones as application_zones
from utilcredit.applications.repository import ApplicationLine
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import reads as commitment_reads
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject, subject_ref_of
from utilcredit.http.deps import Admin, AppSettings, Console, Db, Reader, Requires
from utilcredit.http.params import MAX_ID, NO_NUL, PagingDep, SubjectCode, masking
from utilcredit.identifiers import display_code, subject_ref
from utilcredit.incentives import service as incentives
from utilcredit.localtime import today
from utilcredit.policies.model.credit_application import AddressType
from utilcredit.policies.service import policy_at, shipped

FileCase = Annotated[Principal, Depends(Requires(Permission.FILE_CASE))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
MeasureKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]

router = APIRouter(tags=["applications"], responses=ERROR_RESPONSES)


# ---- what a reader may see ------------------------------------------------------------------


def _hidden(value: Any, number: str, masked: str) -> Any:
    """``value`` (JSON) with ``number`` replaced by ``masked`` in every string."""
    if isinstance(value, str):
        return value.replace(number, masked)
    if isinstance(value, list):
        return [_hidden(item, number, masked) for item in value]
    if isinstance(value, dict):
        return {key: _hidden(item, number, masked) for key, item in value.items()}
    return value


def application_out(
    line: ApplicationLine, principal: Principal, settings: Settings
) -> ApplicationOut:
    code = display_code(
        line.subject_code,
        line.subject_kind,
        clear=commitment_letters.clear_for(principal),
        rule=masking(settings),
    )
    return ApplicationOut.model_validate(
        {
            **vars_of(line),
            "subject_code": code,
            "subject_ref": subject_ref(line.subject_id, line.subject_code, line.subject_kind),
        }
    )


def application_detail(
    connection: Connection, principal: Principal, settings: Settings, application_id: int
) -> ApplicationDetailOut:
    line = service.visible_application(connection, principal, application_id)
    shown_code = display_code(
        line.subject_code,
        line.subject_kind,
        clear=commitment_letters.clear_for(principal),
        rule=masking(settings),
    )
    eligibility = line.eligibility
    if eligibility is not None and shown_code != line.subject_code:
        eligibility = _hidden(eligibility, line.subject_code, shown_code)
    commitment = (
        commitment_out(
            commitment_reads.visible_commitment(connection, principal, line.commitment_id),
            principal,
            settings,
        )
        if line.commitment_id is not None
        else None
    )
    return ApplicationDetailOut(
        application=application_out(line, principal, settings),
        eligibility=eligibility,
        commitment=commitment,
        next_actions=list(service.next_actions(line)),
    )


# ---- applications ----------------------------------------------------------------------------


@router.get("/applications", response_model=ApplicationPage, summary="信用办理申请 / applications")
def list_applications(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    status: Annotated[list[str] | None, Query()] = None,
    business: Annotated[list[str] | None, Query()] = None,
    policy: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    subject: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description=SUBJECT_REF)
    ] = None,
) -> ApplicationPage:
    page = service.list_applications(
        connection,
        principal,
        statuses=status or (),
        businesses=business or (),
        subject_code=None if subject is None else resolve_subject(connection, principal, subject),
        policy_key=policy,
        offset=paging.offset,
        limit=paging.limit,
    )
    return ApplicationPage(
        items=[application_out(a, principal, settings) for a in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post(
    "/applications",
    response_model=ApplicationDetailOut,
    status_code=201,
    summary="受理信用办理申请 / submit a credit-based application",
)
def submit(
    body: SubmitRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> ApplicationDetailOut:
    day = today()
    line = service.submit(
        connection,
        principal,
        service.NewApplication(
            subject_code=resolve_subject(connection, principal, body.subject_code),
            policy_key=body.policy,
            business=body.business,
            address=body.address,
            applied_on=body.applied_on or day,
            channel=body.channel,
            area=body.area,
            park=body.park,
            address_type=body.address_type,
            documents_present=tuple(body.documents_present),
            documents_missing=tuple(body.documents_missing),
        ),
        today=day,
    )
    return application_detail(connection, principal, settings, line.id)


@router.get("/applications/{application_id}", response_model=ApplicationDetailOut)
def get_application(
    application_id: Id, connection: Db, principal: Reader, settings: AppSettings
) -> ApplicationDetailOut:
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/survey",
    response_model=ApplicationDetailOut,
    summary="现场勘查 / site survey",
)
def survey(
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: SurveyRequest | None = None,
) -> ApplicationDetailOut:
    service.survey(
        connection,
        principal,
        application_id,
        today=today(),
        address_type=(body or SurveyRequest()).address_type,
        note=(body or SurveyRequest()).note,
    )
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/check",
    response_model=ApplicationDetailOut,
    summary="信用核查（资格逐项判断） / the credit check, requirement by requirement",
)
def check(
    application_id: Id, connection: Db, principal: FileCase, settings: AppSettings
) -> ApplicationDetailOut:
    service.check(connection, principal, application_id, today=today())
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/sign",
    response_model=ApplicationDetailOut,
    summary="签署信用承诺（核查通过后） / sign the policy's commitment",
)
def sign(
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: SignRequest | None = None,
) -> ApplicationDetailOut:
    day = today()
    service.sign(
        connection,
        principal,
        application_id,
        values=(body or SignRequest()).values,
        made_on=(body or SignRequest()).made_on or day,
        today=day,
        settings=settings.records,
    )
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/accept",
    response_model=ApplicationDetailOut,
    summary="受理（承诺生效） / accept: the commitment comes into force",
)
def accept(
    application_id: Id, connection: Db, principal: FileCase, settings: AppSettings
) -> ApplicationDetailOut:
    service.accept(connection, principal, application_id, today=today())
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/connect",
    response_model=ApplicationDetailOut,
    summary="接火送电（通水）：承诺义务起算 / power-on: the obligations start",
)
def connect(
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: ConnectRequest | None = None,
) -> ApplicationDetailOut:
    day = today()
    service.connect(
        connection,
        principal,
        application_id,
        connected_on=(body or ConnectRequest()).connected_on or day,
        today=day,
    )
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/reject",
    response_model=ApplicationDetailOut,
    summary="不予受理 / reject (a reason is required)",
)
def reject(
    application_id: Id,
    body: ReasonRequest,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
) -> ApplicationDetailOut:
    service.reject(connection, principal, application_id, today=today(), reason=body.reason)
    return application_detail(connection, principal, settings, application_id)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationDetailOut,
    summary="撤回（接火前撤回不作信用记录） / withdraw (records nothing before connection)",
)
def withdraw(
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: WithdrawRequest | None = None,
) -> ApplicationDetailOut:
    service.withdraw(
        connection,
        principal,
        application_id,
        today=today(),
        reason=(body or WithdrawRequest()).reason,
    )
    return application_detail(connection, principal, settings, application_id)


# ---- pilot zones -----------------------------------------------------------------------------


@router.get("/pilot-zones", response_model=list[ZoneOut], summary="试点区域 / pilot zones")
def list_zones(
    connection: Db,
    principal: Reader,
    policy: Annotated[
        str | None,
        Query(max_length=64, pattern=NO_NUL, description="政策键（默认：所有信用办理政策）"),
    ] = None,
) -> list[ZoneOut]:
    if policy is not None:
        keys = [policy_at(policy, None).key]
    else:
        keys = sorted(
            {
                p.key
                for p in shipped()
                if p.policy.credit_application is not None
                and principal.may_read_utility(p.policy.utility)
            }
        )
    return [ZoneOut.model_validate(z) for z in application_zones.zones(connection, keys)]


@router.put(
    "/pilot-zones",
    response_model=ZoneOut,
    summary="新增或修改试点区域（本单位管理员） / add or change a pilot zone (its utility's admins)",
)
def put_zone(body: ZoneRequest, connection: Db, principal: Admin) -> ZoneOut:
    # A zone belongs to a policy, so to its utility: only that utility's admins edit it (as on
    # the console).
    utility = policy_at(body.policy, None).policy.utility
    require_utility_write(principal, utility, entity="zone", key=body.policy)
    zone = application_zones.set_zone(
        connection,
        principal,
        application_zones.ZoneEdit(
            policy_key=body.policy,
            district=body.district,
            park=body.park,
            area_code=body.area_code,
            active=body.active,
            note=body.note,
        ),
    )
    return ZoneOut.model_validate(zone)


# ---- measures: what applies to a subject, grants ---------------------------------------------


@router.get(
    "/subjects/{code}/eligibility",
    response_model=dict[str, Any],
    tags=["subjects"],
    summary="信用办理资格预查（不保存） / would the subject be eligible today (nothing stored)",
)
def eligibility(
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    policy: Annotated[str, Query(min_length=1, max_length=64)],
    area: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    park: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    address_type: AddressType | None = None,
) -> dict[str, Any]:
    result = application_checks.preview_eligibility(
        connection,
        principal,
        resolve_subject(connection, principal, code),
        policy,
        on=today(),
        area=area,
        park=park,
        address_type=address_type,
    )
    return application_checks.eligibility_dict(result)


@router.get(
    "/subjects/{code}/entitlements",
    response_model=list[UtilityEntitlementsOut],
    tags=["subjects"],
    summary="今天适用的守信激励与失信约束措施及依据 / the measures that apply today, and why",
)
def entitlements(
    code: SubjectCode, connection: Db, principal: Reader, console: Console
) -> list[UtilityEntitlementsOut]:
    blocks = incentives.entitlements(
        connection,
        principal,
        resolve_subject(connection, principal, code),
        today=today(),
        console=console,
    )
    return [
        UtilityEntitlementsOut(
            utility=block.utility,
            policy=block.policy_key,
            policy_version=block.policy_version,
            as_of=block.as_of,
            level=block.level,
            designations=[DesignationOut(key=k, title=t) for k, t in block.designations],
            applies=[
                EntitlementOut(
                    measure=e.measure_key,
                    title=e.title,
                    kind=e.kind,
                    basis=e.basis,
                    basis_zh=e.basis_zh,
                    seed_ref=e.seed_ref,
                    responsible=e.responsible,
                    text=e.text,
                )
                for e in block.applies
            ],
        )
        for block in blocks
    ]


@router.post(
    "/subjects/{code}/entitlements/{measure}/grant",
    response_model=GrantOut,
    status_code=201,
    tags=["subjects"],
    summary="登记已实施的措施（仅今天适用的） / log a measure granted (only one that applies)",
)
def grant(
    code: SubjectCode,
    measure: MeasureKey,
    body: GrantRequest,
    connection: Db,
    principal: FileCase,
    console: Console,
) -> GrantOut:
    resolved = resolve_subject(connection, principal, code)
    if body.application_id is not None:  # another utility's application: 404, audited
        service.visible_application(connection, principal, body.application_id)
    line = incentives.grant(
        connection,
        principal,
        resolved,
        measure,
        today=today(),
        console=console,
        note=body.note,
        application_id=body.application_id,
    )
    return GrantOut.model_validate(
        {**vars_of(line), "subject_ref": subject_ref_of(connection, resolved)}
    )


@router.get(
    "/subjects/{code}/grants",
    response_model=list[GrantOut],
    tags=["subjects"],
    summary="已实施的措施 / measures granted to the subject",
)
def grants(code: SubjectCode, connection: Db, principal: Reader) -> list[GrantOut]:
    resolved = resolve_subject(connection, principal, code)
    ref = subject_ref_of(connection, resolved)
    return [
        GrantOut.model_validate({**vars_of(g), "subject_ref": ref})
        for g in incentives.grants_of(connection, principal, resolved)
    ]
