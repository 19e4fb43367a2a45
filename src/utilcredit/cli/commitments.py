"""``utilcredit commitments``: credit commitments (信用承诺) from the shell (docs/commitments.md).

Write commands act as a user of the console (``--actor USERNAME``), as ``utilcredit records``
does: the same roles and utility memberships apply and the audit trail names that user.
``commitments advance`` is the daily job and runs as ``system`` (e.g. from cron). Reads
(``list``, ``show``, ``render``) see every utility, like ``records list``.

Every command that prints a result prints Chinese text (``--format text``, the default) or one
JSON object a line (``--format jsonl``, :mod:`utilcredit.cli.output`). ``render`` (the
letter as PDF or HTML) lives in :mod:`utilcredit.cli.commitment_letters` and is mounted here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.cli.casework import (
    ActorOption,
    DateOption,
    FieldOption,
    acting,
    day_of,
    field_values,
    optional_day,
    step,
)
from utilcredit.cli.commitment_letters import render_command
from utilcredit.cli.common import looking_up
from utilcredit.cli.output import Format, FormatOption, emit, emit_each, iso
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments import service
from utilcredit.commitments.model import (
    COMMITMENT_STATUS_LABELS,
    OBLIGATION_STATUS_ZH,
    CommitmentType,
    ObligationStatus,
)
from utilcredit.commitments.repository import CommitmentLine, ObligationLine
from utilcredit.commitments.templates import template
from utilcredit.config import get_settings
from utilcredit.customers.model import CommitmentStatus, Utility

commitments_app = typer.Typer(
    help="信用承诺 / credit commitments: make, list, show, accept, fulfil, breach, withdraw, "
    "render, advance, meet",
    no_args_is_help=True,
)


T = TypeVar("T")

RefArgument = Annotated[
    str, typer.Argument(help="承诺编号或承诺编码 / commitment id or code (CN…)")
]


# ---- views -----------------------------------------------------------------------------------


def _status_zh(status: str) -> str:
    return COMMITMENT_STATUS_LABELS[CommitmentStatus(status)]


def commitment_json(found: CommitmentLine) -> dict[str, Any]:
    return {
        "id": found.id,
        "code": found.code,
        "subject": found.subject_code,
        "subject_name": found.subject_name,
        "utility": found.utility,
        "application": found.application_id,
        "template": found.template_key,
        "template_version": found.template_version,
        "type": found.commitment_type,
        "reason": found.reason,
        "fields": found.fields,
        "made_on": iso(found.made_on),
        "valid_until": iso(found.valid_until),
        "status": found.status,
        "status_zh": _status_zh(found.status),
        "status_on": iso(found.status_on),
        "unfulfilled": found.unfulfilled_content,
        "liability_pursued": found.liability_pursued,
        "accepting_unit": found.accepting_unit,
        "disclosure": found.disclosure,
        "created_by": found.created_by,
    }


def obligation_json(obligation: ObligationLine) -> dict[str, Any]:
    return {
        "id": obligation.id,
        "key": obligation.key,
        "text": obligation.text,
        "status": obligation.status,
        "status_zh": OBLIGATION_STATUS_ZH[ObligationStatus(obligation.status)],
        "starts_on": iso(obligation.starts_on),
        "due_on": iso(obligation.due_on),
        "remind_on": iso(obligation.remind_on),
        "reminded_on": iso(obligation.reminded_on),
        "met_on": iso(obligation.met_on),
        "missed_on": iso(obligation.missed_on),
        "referred_on": iso(obligation.referred_on),
    }


def commitment_line(found: CommitmentLine) -> str:
    until = f"，有效期至 {found.valid_until}" if found.valid_until else ""
    return (
        f"信用承诺 {found.id} {found.code}：{found.subject_name} {found.subject_code}，"
        f"{found.template_key} {found.template_version}，{found.made_on} 作出{until}，"
        f"{_status_zh(found.status)}（{found.status}，{found.status_on}）"
    )


def obligation_line(obligation: ObligationLine) -> str:
    due = f"，{obligation.due_on} 到期" if obligation.due_on else "，待起算 / not started"
    return (
        f"  义务 / obligation {obligation.id} {obligation.key}："
        f"{OBLIGATION_STATUS_ZH[ObligationStatus(obligation.status)]}{due} — {obligation.text}"
    )


def _on_commitment(
    ref: str, actor: str, act: Callable[[Connection, Principal | None, int], T]
) -> T:
    """``act`` on the commitment ``ref`` names, as ``actor``, in one transaction."""
    with step() as connection:
        principal = acting(connection, actor)
        return act(
            connection, principal, commitment_reads.commitment_by_ref(connection, principal, ref)
        )


def _moved(output: Format, found: CommitmentLine, done_zh: str, done_en: str) -> None:
    emit(
        output,
        f"信用承诺 {found.code} {done_zh}：{_status_zh(found.status)} / commitment {done_en}",
        commitment_json(found),
    )


# ---- commands --------------------------------------------------------------------------------


@commitments_app.command("make")
def make_command(
    subject: Annotated[str, typer.Option("--subject", help="主体代码 / subject code")],
    utility: Annotated[Utility, typer.Option("--utility", help="water | power")],
    template_key: Annotated[str, typer.Option("--template", help="承诺书模板 / template key")],
    made_on: Annotated[str, typer.Option("--made-on", help="承诺作出日期 / date signed")],
    actor: ActorOption,
    version: Annotated[
        str | None, typer.Option("--version", help="模板版本（默认最新） / template version")
    ] = None,
    fields: FieldOption = None,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="有效期至 / valid until")
    ] = None,
    account: Annotated[str | None, typer.Option("--account", help="户号 / account no")] = None,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """登记已签署的信用承诺（未填字段取自信用档案） / record a signed commitment.

    Blanks the credit file answers (name, code, legal representative, address) are filled from
    it; --field values take precedence.
    """
    day = day_of(date, "date")
    made = day_of(made_on, "made_on")
    until = optional_day(valid_until, "valid_until")
    values = field_values(fields)
    with step() as connection, looking_up(subject, "subject"):
        template(template_key, version)  # an unknown template is refused first
        found = service.make(
            connection,
            acting(connection, actor),
            service.NewCommitment(
                subject_code=subject,
                utility=utility,
                template_key=template_key,
                values={
                    **commitment_letters.prefilled(connection, template_key, subject),
                    **values,
                },
                made_on=made,
                template_version=version,
                valid_until=until,
                account_no=account,
            ),
            today=day,
            settings=get_settings().records,
        )
    emit(
        output,
        f"已登记信用承诺 {found.id} {found.code}（{_status_zh(found.status)}） / commitment made",
        commitment_json(found),
    )


@commitments_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option("--status", help="状态 / status")] = None,
    commitment_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type", help="承诺类型 / type: " + " | ".join(t.value for t in CommitmentType)
        ),
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="主体代码 / subject")] = None,
    application: Annotated[
        int | None, typer.Option("--application", help="信用办理申请 / application id")
    ] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """列出信用承诺（先登记的在前） / list commitments, oldest first."""
    with step() as connection:
        found = list(
            commitment_reads.iter_commitments(
                connection,
                None,
                statuses=status or (),
                types=commitment_type or (),
                subject_code=subject,
                application_id=application,
            )
        )
    emit_each(output, found, commitment_line, commitment_json, none="没有信用承诺 / no commitments")


@commitments_app.command("show")
def show_command(ref: RefArgument, output: FormatOption = Format.TEXT) -> None:
    """显示一项信用承诺及其义务与可办理的下一步 / one commitment with its obligations."""
    with step() as connection:
        view = commitment_reads.commitment_view(
            connection, None, commitment_reads.commitment_by_ref(connection, None, ref)
        )
        chosen = template(view.commitment.template_key, view.commitment.template_version)
    found = view.commitment
    labels = {f.name: f.label for f in chosen.fields}
    lines = [commitment_line(found), f"  承诺事由 / reason：{found.reason}"]
    lines += [
        f"  {labels.get(name, name)}（{name}）：{value}" for name, value in found.fields.items()
    ]
    if found.unfulfilled_content:
        lines.append(f"  未履行的承诺内容 / unfulfilled：{found.unfulfilled_content}")
    if found.liability_pursued:
        lines.append(f"  违诺责任追究 / liability pursued：{found.liability_pursued}")
    lines += [obligation_line(o) for o in view.obligations]
    lines.append(f"  下一步 / next：{', '.join(view.actions) or '—'}")
    emit(
        output,
        lines,
        {
            **commitment_json(found),
            "obligations": [obligation_json(o) for o in view.obligations],
            "next": list(view.actions),
        },
    )


@commitments_app.command("accept")
def accept_command(
    ref: RefArgument,
    actor: ActorOption,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """受理生效 / accept a signed commitment: in force from the date."""
    day = day_of(date, "date")
    found = _on_commitment(
        ref,
        actor,
        lambda connection, principal, commitment_id: service.accept(
            connection, principal, commitment_id, today=day
        ),
    )
    _moved(output, found, "已受理生效", "accepted")


@commitments_app.command("fulfil")
def fulfil_command(
    ref: RefArgument,
    actor: ActorOption,
    note: Annotated[str | None, typer.Option("--note", help="意见 / note")] = None,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """认定已履行（须无未履行的义务） / determine fulfilled (no obligation left open)."""
    day = day_of(date, "date")
    found = _on_commitment(
        ref,
        actor,
        lambda connection, principal, commitment_id: service.fulfil(
            connection, principal, commitment_id, today=day, note=note
        ),
    )
    _moved(output, found, "认定已履行", "fulfilled")


@commitments_app.command("withdraw")
def withdraw_command(
    ref: RefArgument,
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="撤回原因 / reason")],
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """撤回（不记失信） / withdraw: no breach, nothing recorded."""
    day = day_of(date, "date")
    found = _on_commitment(
        ref,
        actor,
        lambda connection, principal, commitment_id: service.withdraw(
            connection, principal, commitment_id, today=day, reason=reason
        ),
    )
    _moved(output, found, "已撤回", "withdrawn")


@commitments_app.command("breach")
def breach_command(
    ref: RefArgument,
    actor: ActorOption,
    unfulfilled: Annotated[
        str, typer.Option("--unfulfilled", help="未履行的承诺内容 / what was not kept")
    ],
    liability: Annotated[
        str | None, typer.Option("--liability", help="违诺责任追究内容 / liability pursued")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="违诺日期（默认办理日期） / date of the breach")
    ] = None,
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """认定违诺（审核员）：记失约事件并提出失信记录候选 / determine a breach (reviewers)."""
    day = day_of(date, "date")
    breach_on = optional_day(on, "on")
    outcome = _on_commitment(
        ref,
        actor,
        lambda connection, principal, commitment_id: service.breach(
            connection,
            principal,
            commitment_id,
            today=day,
            unfulfilled=unfulfilled,
            liability_pursued=liability,
            on=breach_on,
        ),
    )
    found = outcome.commitment
    incident = (
        f"失约事件 / incident {outcome.incident_no}"
        if outcome.incident_no
        else "无户号，未记失约事件 / no account: no incident"
    )
    records = ", ".join(str(i) for i in outcome.record_ids) or "—"
    emit(
        output,
        [
            f"信用承诺 {found.code} 认定违诺：{_status_zh(found.status)} / commitment breached",
            f"  {incident}",
            f"  失信记录候选 / record candidates: {records}",
        ],
        {
            **commitment_json(found),
            "incident": outcome.incident_no,
            "records": list(outcome.record_ids),
        },
    )


@commitments_app.command("meet")
def meet_command(
    ref: RefArgument,
    obligation_id: Annotated[int, typer.Argument(help="义务编号 / obligation id")],
    actor: ActorOption,
    on: Annotated[str, typer.Option("--on", help="履行日期 / date the obligation was met")],
    date: DateOption = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """登记义务已履行（如已补齐物业权属证明） / record an obligation met."""
    day = day_of(date, "date")
    met_on = day_of(on, "on")
    obligation = _on_commitment(
        ref,
        actor,
        lambda connection, principal, commitment_id: commitment_obligations.meet_obligation(
            connection, principal, commitment_id, obligation_id, on=met_on, today=day
        ),
    )
    emit(
        output,
        f"义务 {obligation.id} {obligation.key} 已履行（{obligation.met_on}） / obligation met",
        obligation_json(obligation),
    )


@commitments_app.command("advance")
def advance_command(
    day: Annotated[
        str | None, typer.Option("--day", help="日期（默认今天） / the day (default: today)")
    ] = None,
    output: FormatOption = Format.TEXT,
) -> None:
    """每日任务：到期提醒、逾期违诺、到期终止（可重复执行） / the daily job (idempotent)."""
    on = day_of(day, "day")
    with step() as connection:
        summary = commitment_obligations.advance(connection, on)
    numbers = {
        "reminded": summary.reminded,
        "breached": summary.breached,
        "referred": summary.referred,
        "expired": summary.expired,
        "records": summary.records,
        "without_account": summary.without_account,
    }

    def ids(values: list[int]) -> str:
        return ", ".join(str(i) for i in values) or "—"

    emit(
        output,
        [
            f"{on.isoformat()}: 提醒义务 / obligations reminded {len(summary.reminded)}, "
            f"违诺 / breached {len(summary.breached)}, 移交停电 / referred "
            f"{len(summary.referred)}, 到期 / expired {len(summary.expired)}, "
            f"失信记录候选 / record candidates {len(summary.records)}",
            f"  违诺承诺 / breached: {ids(summary.breached)}",
            f"  无户号未记失约 / breached without an account: {ids(summary.without_account)}",
        ],
        {"day": on.isoformat(), **numbers},
    )


# Registered last, so that ``commitments --help`` lists the commands in the order it always has.
commitments_app.command("render")(render_command)
