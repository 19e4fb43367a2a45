"""``utilcredit applications`` (信用办水 · 信易电) from the shell.

The counter workflow (docs/commitments.md): ``submit``, then ``advance ID survey``, ``check``,
``advance ID sign --field …``, ``advance ID accept``, ``advance ID connect``; or ``advance ID
reject --reason …`` / ``advance ID withdraw``. Pilot zones: ``applications zones list|set``.

As in :mod:`utilcredit.cli.records`, write commands act as a console user (``--actor``), reads
(``list``, ``show``, ``zones list``) see every utility.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

import typer

from utilcredit.applications import checks as application_checks
from utilcredit.applications import service
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import (
    APPLICATION_MACHINE,
    APPLICATION_STATUS_ZH,
    DOCUMENT_ZH,
    ApplicationStatus,
    Channel,
    Document,
)
from utilcredit.applications.repository import ApplicationLine, ZoneLine
from utilcredit.cli.casework import (
    ActorOption,
    DateOption,
    FieldOption,
    acting,
    day_of,
    field_values,
    step,
)
from utilcredit.cli.common import fail, looking_up
from utilcredit.cli.output import Format, FormatOption, emit, emit_each, iso
from utilcredit.config import get_settings
from utilcredit.errors import FieldInvalidError
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.policies.service import shipped

applications_app = typer.Typer(
    help="信用办理申请 / credit-based applications: submit, check, advance, list, show, zones",
    no_args_is_help=True,
)
zones_app = typer.Typer(help="试点区域 / pilot zones: list, set", no_args_is_help=True)
applications_app.add_typer(zones_app, name="zones")


class Action(StrEnum):
    """The steps ``applications advance`` takes (the credit check is ``applications check``)."""

    SURVEY = "survey"
    SIGN = "sign"
    ACCEPT = "accept"
    CONNECT = "connect"
    REJECT = "reject"
    WITHDRAW = "withdraw"


IdArgument = Annotated[int, typer.Argument(help="申请编号 / application id")]


def _status_zh(status: str) -> str:
    return APPLICATION_STATUS_ZH[ApplicationStatus(status)]


def application_json(found: ApplicationLine) -> dict[str, Any]:
    return {
        "id": found.id,
        "subject": found.subject_code,
        "subject_name": found.subject_name,
        "utility": found.utility,
        "policy": found.policy_key,
        "business": found.business,
        "address": found.address,
        "area": found.area,
        "park": found.park,
        "zone": found.zone_id,
        "address_type": found.address_type,
        "channel": found.channel,
        "documents_present": list(found.documents_present),
        "documents_missing": list(found.documents_missing),
        "status": found.status,
        "status_zh": _status_zh(found.status),
        "applied_on": iso(found.applied_on),
        "status_on": iso(found.status_on),
        "checked_on": iso(found.checked_on),
        "eligible": found.eligible,
        "commitment": found.commitment_id,
        "connected_on": iso(found.connected_on),
        "reason": found.reason,
        "created_by": found.created_by,
        "next": list(service.next_actions(found)),
    }


def application_line(found: ApplicationLine) -> str:
    business = Business(found.business).label_zh
    return (
        f"申请 {found.id}：{found.subject_name} {found.subject_code}，{found.policy_key}，"
        f"{business}，{found.address}，{found.applied_on} 申请，"
        f"{_status_zh(found.status)}（{found.status}，{found.status_on}）"
    )


def eligibility_lines(eligibility: dict[str, Any]) -> list[str]:
    """The check clause by clause: requirement id, text, 符合/不符合/无法判断, evidence."""
    counted = (
        f"（自成立日 {eligibility['counted_from']} 起算 / counted from founding）"
        if eligibility.get("counted_from")
        else ""
    )
    lines = [
        f"{eligibility['title']}（{eligibility['policy']} {eligibility['version']}，"
        f"{eligibility['checked_on']}）：{eligibility['status_zh']} / {eligibility['status']}"
        f"{counted}"
    ]
    for r in eligibility["requirements"]:
        summary = f"（{r['summary']}）" if r["summary"] else ""
        lines.append(f"  {r['id']} {r['text']}：{r['status_zh']}{summary}")
    return lines


def _done(output: Format, found: ApplicationLine, done_zh: str, done_en: str) -> None:
    emit(
        output,
        f"申请 {found.id} {done_zh}：{_status_zh(found.status)} / "
        f"application {found.id} {done_en}: {found.status}",
        application_json(found),
    )


def _documents(values: list[str] | None, option: str) -> tuple[Document, ...]:
    try:
        return tuple(Document(v) for v in values or [])
    except ValueError:
        choices = " | ".join(d.value for d in Document)
        raise fail(
            FieldInvalidError(option, f"未知的材料 / unknown document (choices: {choices})")
        ) from None


# ---- applications ----------------------------------------------------------------------------


@applications_app.command("submit")
def submit_command(
    subject: Annotated[str, typer.Option("--subject", help="主体代码 / subject code")],
    policy: Annotated[str, typer.Option("--policy", help="政策键 / policy key")],
    business: Annotated[Business, typer.Option("--business", help="业务 / business")],
    address: Annotated[str, typer.Option("--address", help="用水/用电地址 / supply address")],
    actor: ActorOption,
    area: Annotated[str | None, typer.Option("--area", help="行政区划代码 / area code")] = None,
    park: Annotated[str | None, typer.Option("--park", help="试点园区 / pilot zone park")] = None,
    address_type: Annotated[
        AddressType | None, typer.Option("--address-type", help="地址类型 / address type")
    ] = None,
    channel: Annotated[Channel, typer.Option("--channel", help="渠道 / channel")] = Channel.COUNTER,
    present: Annotated[
        list[str] | None,
        typer.Option("--present", help="已提交的材料（可多次） / document present, repeatable"),
    ] = None,
    missing: Annotated[
        list[str] | None,
        typer.Option(
            "--missing",
            help="缺少的材料（可多次；默认物业权属证明） / document missing (default: "
            "property_proof)",
        ),
    ] = None,
    applied_on: Annotated[
        str | None, typer.Option("--applied-on", help="申请日期（默认办理日期） / applied on")
    ] = None,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """受理信用办理申请 / submit a credit-based application."""
    day = day_of(date, "date")
    new = service.NewApplication(
        subject_code=subject,
        policy_key=policy,
        business=business,
        address=address,
        applied_on=day_of(applied_on, "applied_on", day),
        channel=channel,
        area=area,
        park=park,
        address_type=address_type,
        documents_present=_documents(present, "documents_present"),
    )
    if missing:  # else the default: the property documents are what is missing
        new = replace(new, documents_missing=_documents(missing, "documents_missing"))
    with step() as connection, looking_up(subject, "subject"):
        found = service.submit(connection, acting(connection, actor), new, today=day)
    _done(output, found, "提交", "submitted")


@applications_app.command("check")
def check_command(
    application_id: IdArgument,
    actor: ActorOption,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """信用核查：逐条列出资格条件 / the credit check, requirement by requirement."""
    day = day_of(date, "date")
    with step() as connection:
        found, result = service.check(
            connection, acting(connection, actor), application_id, today=day
        )
    eligibility = application_checks.eligibility_dict(result)
    emit(
        output,
        [f"申请 {found.id} 信用核查 / credit check", *eligibility_lines(eligibility)],
        {"application": found.id, "status": found.status, "eligibility": eligibility},
    )


@applications_app.command("advance")
def advance_command(
    application_id: IdArgument,
    action: Annotated[
        Action, typer.Argument(help="survey | sign | accept | connect | reject | withdraw")
    ],
    actor: ActorOption,
    reason: Annotated[
        str | None, typer.Option("--reason", help="原因或勘查意见 / reason or survey note")
    ] = None,
    address_type: Annotated[
        AddressType | None,
        typer.Option("--address-type", help="勘查所见地址类型（survey） / address type"),
    ] = None,
    fields: FieldOption = None,
    made_on: Annotated[
        str | None,
        typer.Option("--made-on", help="承诺签署日期（sign，默认办理日期） / date signed"),
    ] = None,
    connected_on: Annotated[
        str | None,
        typer.Option("--connected-on", help="接火送电日期（connect，默认办理日期） / power-on"),
    ] = None,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """办理下一步：勘查、签署承诺、受理、接火送电、不予受理、撤回 / take the next step.

    sign records the policy's commitment letter: blanks the credit file answers are filled
    from it, --field name=value gives the rest (e.g. relation=租户).
    """
    day = day_of(date, "date")
    signed_on = day_of(made_on, "made_on", day)
    power_on = day_of(connected_on, "connected_on", day)
    values = field_values(fields)
    with step() as connection:
        principal = acting(connection, actor)
        match action:
            case Action.SURVEY:
                found = service.survey(
                    connection,
                    principal,
                    application_id,
                    today=day,
                    address_type=address_type,
                    note=reason,
                )
            case Action.SIGN:
                found = service.sign(
                    connection,
                    principal,
                    application_id,
                    values=values,
                    made_on=signed_on,
                    today=day,
                    settings=get_settings().records,
                )
            case Action.ACCEPT:
                found = service.accept(connection, principal, application_id, today=day)
            case Action.CONNECT:
                found = service.connect(
                    connection, principal, application_id, connected_on=power_on, today=day
                )
            case Action.REJECT:
                found = service.reject(
                    connection, principal, application_id, today=day, reason=reason or ""
                )
            case Action.WITHDRAW:
                found = service.withdraw(
                    connection, principal, application_id, today=day, reason=reason
                )
    _done(output, found, APPLICATION_MACHINE.action_labels[action.value], action.value)


@applications_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option("--status", help="状态 / status")] = None,
    business: Annotated[
        list[str] | None, typer.Option("--business", help="业务 / business")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="主体代码 / subject")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="政策键 / policy key")] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """列出信用办理申请（新的在前） / list applications, newest first."""
    found: list[ApplicationLine] = []
    with step() as connection:
        offset, more = 0, True
        while more:
            page = service.list_applications(
                connection,
                None,
                statuses=status or (),
                businesses=business or (),
                subject_code=subject,
                policy_key=policy,
                offset=offset,
                limit=200,
            )
            found += page.items
            offset, more = offset + len(page.items), page.has_more
    emit_each(
        output, found, application_line, application_json, none="没有信用办理申请 / no applications"
    )


@applications_app.command("show")
def show_command(application_id: IdArgument, output: FormatOption = Format.TEXT) -> None:
    """显示一项申请：材料、核查结果与下一步 / one application with its check and next steps."""
    with step() as connection:
        found = service.visible_application(connection, None, application_id)
    lines = [application_line(found)]
    if found.park or found.area:
        lines.append(f"  试点区域 / zone：{found.park or '—'} {found.area or ''}".rstrip())
    if found.address_type:
        lines.append(f"  地址类型 / address type：{AddressType(found.address_type).label_zh}")
    present = "、".join(DOCUMENT_ZH[Document(d)] for d in found.documents_present) or "—"
    missing = "、".join(DOCUMENT_ZH[Document(d)] for d in found.documents_missing) or "—"
    lines.append(f"  已提交 / present：{present}；缺少 / missing：{missing}")
    if found.eligibility:
        lines += ["  " + line for line in eligibility_lines(found.eligibility)]
    if found.commitment_id:
        lines.append(f"  信用承诺 / commitment：{found.commitment_id}")
    if found.reason:
        lines.append(f"  原因 / reason：{found.reason}")
    lines.append(f"  下一步 / next：{', '.join(service.next_actions(found)) or '—'}")
    emit(output, lines, {**application_json(found), "eligibility": found.eligibility})


# ---- pilot zones -----------------------------------------------------------------------------


def _zone_json(zone: ZoneLine) -> dict[str, Any]:
    return {
        "id": zone.id,
        "policy": zone.policy_key,
        "district": zone.district,
        "park": zone.park,
        "area_code": zone.area_code,
        "active": zone.active,
        "note": zone.note,
    }


def _zone_line(zone: ZoneLine) -> str:
    state = "启用 / active" if zone.active else "停用 / inactive"
    area = f"，区划代码 {zone.area_code}" if zone.area_code else ""
    return f"{zone.id} {zone.policy_key}：{zone.district} {zone.park}{area}，{state}"


@zones_app.command("list")
def zones_list_command(
    policy: Annotated[
        list[str] | None, typer.Option("--policy", help="政策键（默认全部） / policy key")
    ] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """列出试点区域 / list pilot zones."""
    keys = policy or sorted({p.key for p in shipped() if p.policy.credit_application})
    with step() as connection:
        found = application_zones.zones(connection, keys)
    emit_each(output, found, _zone_line, _zone_json, none="没有试点区域 / no pilot zones")


@zones_app.command("set")
def zones_set_command(
    policy: Annotated[str, typer.Option("--policy", help="政策键 / policy key")],
    district: Annotated[str, typer.Option("--district", help="所属行政区 / district")],
    park: Annotated[str, typer.Option("--park", help="试点区域（园区） / park")],
    actor: ActorOption,
    area_code: Annotated[
        str | None, typer.Option("--area-code", help="行政区划代码 / area code prefix")
    ] = None,
    inactive: Annotated[
        bool, typer.Option("--inactive", help="停用该区域 / mark the zone inactive")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="备注 / note")] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """新增或修改试点区域（管理员） / add or change a pilot zone (admins)."""
    with step() as connection:
        zone = application_zones.set_zone(
            connection,
            acting(connection, actor),
            application_zones.ZoneEdit(policy, district, park, area_code, not inactive, note),
        )
    emit(output, f"已设置试点区域 / zone set：{_zone_line(zone)}", _zone_json(zone))
