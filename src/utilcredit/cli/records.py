"""``utilcredit records | objections | repairs``: the dishonesty-record register from the shell.

Write commands act as a user of the console (``--actor USERNAME``): the same roles, utility
memberships and "never decide your own case" rule apply, and the audit log names that user.
``records derive`` may run without ``--actor`` (as ``system``, e.g. from cron).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.cli.casework import ActorOption, DateOption, acting, transaction
from utilcredit.cli.common import AsOfOption, PolicyOption, fail, out, parse_as_of, policy_in_force
from utilcredit.cli.output import iso
from utilcredit.config import get_settings
from utilcredit.errors import InvalidInputError
from utilcredit.localtime import today
from utilcredit.policies.model.dishonesty import DishonestyClass
from utilcredit.records import derivation, objections, repairs, service
from utilcredit.records.attachments import Upload
from utilcredit.records.model import (
    CLASS_LABELS,
    KIND_LABELS,
    RECORD_STATUS_LABELS,
    RecordStatus,
    RepairDecision,
)
from utilcredit.records.objections import Correction, ObjectionDecision
from utilcredit.records.repository.register import RecordLine

records_app = typer.Typer(
    help="失信记录 / dishonesty records: derive, list, show, confirm, dismiss", no_args_is_help=True
)
objections_app = typer.Typer(help="异议 / objections: file, decide", no_args_is_help=True)
repairs_app = typer.Typer(
    help="信用修复 / credit repair: apply, accept, decide, close", no_args_is_help=True
)

T = TypeVar("T")

AttachOption = Annotated[
    list[Path] | None,
    typer.Option("--attach", help="附件（PDF/PNG/JPEG，可多次） / attachment, repeatable"),
]


def _folder() -> Path:
    return get_settings().data_dir / "attachments"


def _uploads(paths: list[Path] | None) -> list[Upload]:
    found = []
    for path in paths or []:
        try:
            found.append(Upload(path.name, path.read_bytes()))
        except OSError as error:
            raise fail(
                InvalidInputError(f"无法读取附件 {path} / cannot read {path}: {error}")
            ) from None
    return found


def _record_json(record: RecordLine) -> dict[str, Any]:
    return {
        "id": record.id,
        "subject": record.subject_code,
        "subject_name": record.subject_name,
        "utility": record.utility,
        "kind": record.kind,
        "class": record.record_class,
        "status": record.status,
        "policy": f"{record.policy_key}@{record.policy_version}",
        "rule": record.rule_id,
        "rule_text": record.rule_text,
        "cause_on": record.cause_on.isoformat(),
        "amount": None if record.amount is None else str(record.amount),
        "summary": record.summary,
        "determining_unit": record.determining_unit,
        "determining_unit_code": record.determining_unit_code,
        "determined_on": iso(record.determined_on),
        "publish_from": iso(record.publish_from),
        "publish_until": iso(record.publish_until),
        "repairable_from": iso(record.repairable_from),
        "corrects": record.corrects_id,
    }


def _print_json(value: Any) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False, default=str))


# ---- records --------------------------------------------------------------------------------


@records_app.command("derive")
def derive_command(
    policy: PolicyOption,
    as_of: AsOfOption = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="操作用户（默认 system） / acting user")
    ] = None,
) -> None:
    """按政策规则提出失信记录候选（可重复执行） / propose candidates (idempotent)."""
    day = parse_as_of(as_of)
    with transaction() as connection:
        loaded = policy_in_force(policy, day)
        summary = derivation.derive(
            connection,
            loaded,
            day,
            settings=get_settings().records,
            principal=acting(connection, actor),
        )
    out.print(
        f"{summary.policy_key} {summary.as_of}: 新候选 / new candidates {len(summary.created)}, "
        f"撤回 / withdrawn {len(summary.withdrawn)}, 已有 / already known {summary.unchanged}, "
        f"公示变化 / publication changes {summary.clock}"
    )


@records_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option("--status", help="状态 / status")] = None,
    record_class: Annotated[
        list[str] | None, typer.Option("--class", help="minor|general|serious")
    ] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="类型 / kind")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="政策键 / policy key")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="仅超期未办 / overdue cases only")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="table | jsonl")] = "table",
) -> None:
    """列出失信记录 / list dishonesty records."""
    if output not in ("table", "jsonl"):
        raise fail(InvalidInputError(f"--format 应为 table 或 jsonl / unknown format {output}"))
    with transaction() as connection:
        records = service.iter_records(
            connection,
            None,
            statuses=status or (),
            classes=record_class or (),
            kinds=kind or (),
            policy_key=policy,
            overdue_on=today() if overdue else None,
        )
        if output == "jsonl":
            for record in records:
                typer.echo(json.dumps(_record_json(record), ensure_ascii=False))
            return
        table = Table(
            "id",
            "主体 / subject",
            "类型 / kind",
            "类别 / class",
            "状态 / status",
            "认定日 / determined",
            "公示至 / until",
        )
        for record in records:
            table.add_row(
                str(record.id),
                f"{record.subject_name} {record.subject_code}",
                KIND_LABELS.get(record.kind, record.kind),  # type: ignore[call-overload]
                CLASS_LABELS.get(record.record_class, record.record_class),  # type: ignore[call-overload]
                RECORD_STATUS_LABELS[RecordStatus(record.status)],
                iso(record.determined_on) or "—",
                iso(record.publish_until) or "—",
            )
        out.print(table)


@records_app.command("show")
def show_command(record_id: Annotated[int, typer.Argument(help="记录编号 / record id")]) -> None:
    """显示一条记录：证据、异议、修复与全部历史 / one record with its evidence and history."""
    with transaction() as connection:
        view = service.record_view(connection, None, record_id)
    _print_json(
        {
            **_record_json(view.record),
            "evidence": [
                {"type": e.evidence_type, "label": e.label, "on": e.on.isoformat()}
                for e in view.evidence
            ],
            "objections": [vars_of(o) for o in view.objections],
            "repairs": [vars_of(r) for r in view.repairs],
            "history": [
                {
                    "case": f"{e.case_type} {e.case_id}",
                    "action": e.action,
                    "from": e.from_status,
                    "to": e.to_status,
                    "actor": e.actor,
                    "on": e.on.isoformat(),
                    "reason": e.reason,
                }
                for e in view.events
            ],
            "next": list(view.actions),
        }
    )


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def _decided(action: Callable[[Connection, Principal | None], T], actor: str) -> T:
    with transaction() as connection:
        return action(connection, acting(connection, actor))


@records_app.command("confirm")
def confirm_command(
    record_id: Annotated[int, typer.Argument()],
    actor: ActorOption,
    note: Annotated[str | None, typer.Option("--note", help="意见 / note")] = None,
    date: DateOption = None,
) -> None:
    """确认候选记录（认定） / confirm a candidate."""
    day = parse_as_of(date)
    record = _decided(
        lambda c, p: service.confirm(
            c, p, record_id, today=day, settings=get_settings().records, note=note
        ),
        actor,
    )
    out.print(
        f"记录 {record.id}：{RECORD_STATUS_LABELS[RecordStatus(record.status)]}，公示至 {record.publish_until}"
    )


@records_app.command("dismiss")
def dismiss_command(
    record_id: Annotated[int, typer.Argument()],
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="理由 / reason")] = "",
    exemption: Annotated[
        str | None, typer.Option("--exemption", help="政策规定的豁免情形 / exemption key")
    ] = None,
    date: DateOption = None,
) -> None:
    """不予认定候选记录 / dismiss a candidate."""
    day = parse_as_of(date)
    record = _decided(
        lambda c, p: service.dismiss(
            c, p, record_id, reason=reason, today=day, exemption=exemption
        ),
        actor,
    )
    out.print(f"记录 {record.id}：{RECORD_STATUS_LABELS[RecordStatus(record.status)]}")


# ---- objections -----------------------------------------------------------------------------


@objections_app.command("file")
def objection_file_command(
    record_id: Annotated[int, typer.Argument(help="记录编号 / record id")],
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="异议理由 / reason")],
    attach: AttachOption = None,
    date: DateOption = None,
) -> None:
    """对失信记录提出异议 / file an objection to a record."""
    day = parse_as_of(date)
    uploads = _uploads(attach)
    objection = _decided(
        lambda c, p: objections.file_objection(
            c,
            p,
            record_id,
            reason=reason,
            uploads=uploads,
            today=day,
            settings=get_settings().records,
            folder=_folder(),
        ),
        actor,
    )
    out.print(
        f"异议 {objection.id} 已受理，应于 {objection.due_on} 前处理 / decision due {objection.due_on}"
    )


@objections_app.command("decide")
def objection_decide_command(
    objection_id: Annotated[int, typer.Argument(help="异议编号 / objection id")],
    actor: ActorOption,
    decision: Annotated[str, typer.Option("--decision", help="uphold | correct | remove")],
    note: Annotated[str, typer.Option("--note", help="处理意见 / decision note")],
    record_class: Annotated[
        str | None, typer.Option("--class", help="更正后的类别 / corrected class")
    ] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="更正后的金额（元） / corrected amount")
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", help="更正后的摘要 / corrected summary")
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option("--drop-evidence", help="去掉的证据，如 bill:B001 / evidence to drop"),
    ] = None,
    date: DateOption = None,
) -> None:
    """处理异议：维持、更正或删除 / decide an objection."""
    day = parse_as_of(date)
    try:
        chosen = ObjectionDecision(decision)
        correction = Correction(
            DishonestyClass(record_class) if record_class else None,
            Decimal(amount) if amount else None,
            summary,
            tuple(drop or ()),
        )
    except (ValueError, InvalidOperation):
        raise fail(
            InvalidInputError(
                "--decision 应为 uphold/correct/remove，--class 为 minor/general/serious，--amount 为金额 / "
                "bad --decision, --class or --amount"
            )
        ) from None
    objection = _decided(
        lambda c, p: objections.decide_objection(
            c,
            p,
            objection_id,
            chosen,
            note=note,
            today=day,
            correction=correction if chosen == ObjectionDecision.CORRECT else None,
        ),
        actor,
    )
    out.print(f"异议 {objection.id}：{objection.status}")


# ---- repairs --------------------------------------------------------------------------------


@repairs_app.command("apply")
def repair_apply_command(
    record_id: Annotated[int, typer.Argument(help="记录编号 / record id")],
    actor: ActorOption,
    statement: Annotated[str, typer.Option("--statement", help="申请说明 / statement")],
    commitment_signed_on: Annotated[
        str | None,
        typer.Option(
            "--commitment-signed", help="修复承诺书签订日期 / date the repair commitment was signed"
        ),
    ] = None,
    attach: AttachOption = None,
    date: DateOption = None,
) -> None:
    """申请信用修复（先核验条件） / apply for credit repair."""
    day = parse_as_of(date)
    signed = parse_as_of(commitment_signed_on) if commitment_signed_on else None
    uploads = _uploads(attach)
    repair = _decided(
        lambda c, p: repairs.apply_repair(
            c,
            p,
            record_id,
            statement=statement,
            commitment_signed_on=signed,
            uploads=uploads,
            today=day,
            settings=get_settings().records,
            folder=_folder(),
        ),
        actor,
    )
    out.print(
        f"修复申请 {repair.id} 已提交，应于 {repair.accept_due_on} 前受理 / accept by {repair.accept_due_on}"
    )


@repairs_app.command("accept")
def repair_accept_command(
    repair_id: Annotated[int, typer.Argument()], actor: ActorOption, date: DateOption = None
) -> None:
    """受理修复申请 / accept an application."""
    day = parse_as_of(date)
    repair = _decided(
        lambda c, p: repairs.accept_repair(
            c, p, repair_id, today=day, settings=get_settings().records
        ),
        actor,
    )
    out.print(
        f"修复申请 {repair.id} 已受理，应于 {repair.decide_due_on} 前认定 / decide by {repair.decide_due_on}"
    )


@repairs_app.command("decide")
def repair_decide_command(
    repair_id: Annotated[int, typer.Argument()],
    actor: ActorOption,
    decision: Annotated[str, typer.Option("--decision", help="approved | rejected")],
    note: Annotated[
        str | None, typer.Option("--note", help="意见 / note (required to reject)")
    ] = None,
    date: DateOption = None,
) -> None:
    """认定：准予或不予修复 / approve or reject."""
    day = parse_as_of(date)
    try:
        chosen = RepairDecision(decision)
    except ValueError:
        raise fail(
            InvalidInputError("--decision 应为 approved 或 rejected / approved or rejected")
        ) from None
    repair = _decided(
        lambda c, p: repairs.decide_repair(
            c, p, repair_id, chosen, note=note, today=day, settings=get_settings().records
        ),
        actor,
    )
    out.print(f"修复申请 {repair.id}：{repair.decision}，应于 {repair.close_due_on} 前办结")


@repairs_app.command("close")
def repair_close_command(
    repair_id: Annotated[int, typer.Argument()], actor: ActorOption, date: DateOption = None
) -> None:
    """办结 / close a decided application."""
    day = parse_as_of(date)
    repair = _decided(lambda c, p: repairs.close_repair(c, p, repair_id, today=day), actor)
    out.print(f"修复申请 {repair.id}：已办结 / closed")
