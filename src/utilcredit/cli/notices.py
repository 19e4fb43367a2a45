"""``utilcredit notices``: the outbox of reminders, notice letters and payment demands from the
shell (docs/notices.md).

Write commands act as a user of the console (``--actor USERNAME``), as ``utilcredit records``
does; ``notices demands`` and ``notices dispatch`` are the system's own jobs (``dispatch``, like
``utilcredit worker``, lives in :mod:`utilcredit.cli.worker` and is mounted here). Lists mask
phone numbers, e-mail addresses and natural persons' ID numbers (``--unmasked`` shows them
whole, for an operator who must correct one).
"""

from __future__ import annotations

# The letters (documents) are imported by the commands that use them: every other command
# starts without them.
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from utilcredit.cli.casework import ActorOption, acting, day_of, step
from utilcredit.cli.common import looking_up
from utilcredit.cli.output import Format, FormatOption, emit, emit_json
from utilcredit.cli.worker import dispatch_command
from utilcredit.config import get_settings
from utilcredit.customers.model import UTILITY_ZH
from utilcredit.identifiers import MaskingRule
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import planning
from utilcredit.notices import service as notices
from utilcredit.notices.model import (
    CHANNEL_LABELS,
    KIND_LABELS,
    NOTICE_STATUS_LABELS,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    mask_recipient,
)
from utilcredit.notices.planning import Planned, PlanReport
from utilcredit.notices.repository import AttemptLine, NoticeFilter, NoticeLine

notices_app = typer.Typer(
    help="通知 / notices: plan, demands, list, show, resend, cancel, call, letter, print-batch, "
    "batches, mark-batch, contact, opt-out, dispatch",
    no_args_is_help=True,
)

UnmaskedOption = Annotated[
    bool, typer.Option("--unmasked", help="显示完整联系方式 / show contacts in clear")
]


def _rule() -> MaskingRule:
    settings = get_settings()
    return MaskingRule(settings.mask_keep_head, settings.mask_keep_tail)


def _shown(notice: NoticeLine, *, unmasked: bool = False) -> NoticeLine:
    """The notice as the command prints it: masked unless ``--unmasked``."""
    return notice if unmasked else notices.masked(notice, _rule())


def _local(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _labels(kind: str, channel: str, status: str) -> tuple[str, str, str]:
    return (
        KIND_LABELS[NoticeKind(kind)],
        CHANNEL_LABELS[NoticeChannel(channel)],
        NOTICE_STATUS_LABELS[NoticeStatus(status)],
    )


def notice_json(n: NoticeLine) -> dict[str, Any]:
    kind_zh, channel_zh, status_zh = _labels(n.kind, n.channel, n.status)
    return {
        "id": n.id,
        "key": n.key,
        "kind": n.kind,
        "kind_zh": kind_zh,
        "channel": n.channel,
        "channel_zh": channel_zh,
        "status": n.status,
        "status_zh": status_zh,
        "utility": n.utility,
        "policy": n.policy_key,
        "subject": n.subject_code,
        "subject_name": n.subject_name,
        "recipient": n.recipient,
        "source": n.source,
        "run_id": n.run_id,
        "title": n.title,
        "body": n.body,
        "due_at": _local(n.due_at),
        "attempts": n.attempts,
        "last_error": n.last_error,
        "batch_id": n.batch_id,
        "reminder_id": n.reminder_id,
        "sent_at": _local(n.sent_at),
        "delivered_at": _local(n.delivered_at),
    }


def _line(n: NoticeLine) -> str:
    kind_zh, channel_zh, status_zh = _labels(n.kind, n.channel, n.status)
    error = f"  {n.last_error}" if n.last_error and n.status in ("failed", "dead") else ""
    return (
        f"{n.id}  {status_zh}  {channel_zh}  {kind_zh}  {n.subject_code} {n.subject_name}  "
        f"{n.recipient or '—'}{error}"
    )


def _planned_json(p: Planned) -> dict[str, Any]:
    return {
        "key": p.draft.key,
        "kind": p.draft.kind.value,
        "channel": p.draft.channel.value,
        "subject_id": p.draft.subject_id,
        "recipient": mask_recipient(p.draft.channel.value, p.draft.recipient),
        "title": p.title,
        "body": p.body,
        "due_at": _local(p.due_at),
    }


def _report(report: PlanReport, output: Format, *, stored: bool) -> None:
    tally = report.tally()
    summary = {
        "new": len(report.planned),
        "already_planned": report.already,
        "unreachable": report.unreachable,
        "stored": stored,
        "by_kind_channel": {f"{k}/{c}": n for (k, c), n in sorted(tally.items())},
    }
    if output == Format.JSONL:
        for planned in report.planned:
            emit_json(_planned_json(planned))
        emit_json({"summary": summary})
        return
    verb = "已入队 / queued" if stored else "将发送（未保存） / would send (nothing stored)"
    typer.echo(f"{verb}: {len(report.planned)}")
    for (kind, channel), n in sorted(tally.items()):
        typer.echo(
            f"  {KIND_LABELS[NoticeKind(kind)]} · {CHANNEL_LABELS[NoticeChannel(channel)]}: {n}"
        )
    if report.already:
        typer.echo(f"此前已计划（不再发送） / planned before (not again): {report.already}")
    if report.unreachable:
        typer.echo(f"无法联系 / unreachable: {report.unreachable}")


@notices_app.command("plan")
def plan_command(
    run: Annotated[int, typer.Option("--run", help="评级批次 / rating run id")],
    output: FormatOption = Format.TEXT,
) -> None:
    """预览批次将发送的通知（不保存） / what a run's level changes would send; nothing stored."""
    with step() as connection:
        report = planning.plan_run(connection, run, sending=planning.Sending.of(), write=False)
    _report(report, output, stored=False)


@notices_app.command("demands")
def demands_command(
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", "-p", help="政策键（默认各行业默认政策） / policy key(s)"),
    ] = None,
    date: Annotated[str | None, typer.Option("--date", help="催告日期 / day")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只预览 / preview only")] = False,
    output: FormatOption = Format.TEXT,
) -> None:
    """按规则生成欠费催告 / plan today's payment demands (催告) for overdue accounts."""
    day = day_of(date, "--date")
    keys = policy or list(get_settings().console.default_policies.values())
    with step() as connection:
        for key in keys:
            report = planning.plan_demands(
                connection, key, sending=planning.Sending.of(), today=day, write=not dry_run
            )
            if output == Format.TEXT:
                typer.echo(f"{key}:")
            _report(report, output, stored=not dry_run)


@notices_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option("--status", help="状态")] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="渠道")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="类型")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="主体代码")] = None,
    run: Annotated[int | None, typer.Option("--run", help="评级批次")] = None,
    batch: Annotated[int | None, typer.Option("--batch", help="打印批次")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    unmasked: UnmaskedOption = False,
    output: FormatOption = Format.TEXT,
) -> None:
    """列出通知 / list notices (newest first), filtered by state, channel, subject …"""
    with step() as connection:
        subject_id = None
        if subject is not None:
            subject_id, _ = notice_contacts.subject_for_notices(connection, None, subject)
        f = NoticeFilter(
            utilities=(),
            statuses=status or (),
            channels=channel or (),
            kinds=kind or (),
            subject_id=subject_id,
            run_id=run,
            batch_id=batch,
        )
        page = notices.list_notices(connection, None, f, rule=_rule(), offset=offset, limit=limit)
    for n in page.items:
        shown = _shown(n, unmasked=unmasked)
        emit(output, _line(shown), notice_json(shown))
    if output == Format.TEXT and page.has_more:
        typer.echo(f"…（更多：--offset {offset + limit}） / more: --offset {offset + limit}")


def _attempt_line(a: AttemptLine) -> str:
    detail = f"  {a.detail}" if a.detail else ""
    return f"  {_local(a.at)}  {a.action}  {a.from_status}→{a.to_status}  {a.actor}{detail}"


@notices_app.command("show")
def show_command(
    notice_id: Annotated[int, typer.Argument(help="通知编号 / notice id")],
    unmasked: UnmaskedOption = False,
    output: FormatOption = Format.TEXT,
) -> None:
    """查看通知及其发送记录 / a notice with its text and every attempt."""
    with step() as connection:
        found, attempts = notices.notice_detail(connection, None, notice_id, rule=_rule())
    shown = _shown(found, unmasked=unmasked)
    value = notice_json(shown) | {
        "attempts": [
            {
                "action": a.action,
                "from": a.from_status,
                "to": a.to_status,
                "at": _local(a.at),
                "actor": a.actor,
                "detail": a.detail,
            }
            for a in attempts
        ]
    }
    lines = [_line(shown)]
    if shown.title:
        lines.append(f"标题 / title: {shown.title}")
    if shown.body:
        lines.append(shown.body)
    lines.append("记录 / history:")
    lines += [_attempt_line(a) for a in attempts] or ["  —"]
    emit(output, lines, value)


@notices_app.command("resend")
def resend_command(
    notice_id: Annotated[int, typer.Argument(help="通知编号 / notice id")],
    actor: ActorOption,
    to: Annotated[
        str | None, typer.Option("--to", help="更正后的联系方式 / corrected address")
    ] = None,
) -> None:
    """重发失败或待人工处理的通知 / put a failed or dead-lettered notice back in the queue."""
    with step() as connection:
        done = notices.resend(connection, acting(connection, actor), notice_id, recipient=to)
    typer.echo(_line(_shown(done)))


@notices_app.command("cancel")
def cancel_command(
    notice_id: Annotated[int, typer.Argument(help="通知编号 / notice id")],
    actor: ActorOption,
    reason: Annotated[str, typer.Option("--reason", help="原因 / reason")],
) -> None:
    """取消通知 / cancel a notice that is still waiting (or failed)."""
    with step() as connection:
        done = notices.cancel(connection, acting(connection, actor), notice_id, reason)
    typer.echo(_line(_shown(done)))


@notices_app.command("call")
def call_command(
    notice_id: Annotated[int, typer.Argument(help="电话任务编号 / phone-call task id")],
    actor: ActorOption,
    reached: Annotated[
        bool, typer.Option("--reached/--missed", help="已告知 / 未接通 (reached or not)")
    ],
    note: Annotated[str | None, typer.Option("--note", help="备注 / note")] = None,
) -> None:
    """登记电话告知结果 / record the outcome of a phone-call task."""
    with step() as connection:
        done = notices.record_call(
            connection, acting(connection, actor), notice_id, reached=reached, note=note
        )
    typer.echo(_line(_shown(done)))


@notices_app.command("letter")
def letter_command(
    notice_id: Annotated[int, typer.Argument(help="函件通知编号 / letter notice id")],
    out: Annotated[Path, typer.Option("--out", help="PDF 文件 / PDF file to write")],
) -> None:
    """生成函件 PDF（预览） / the letter of a notice as a PDF (a preview: nothing changes)."""
    from utilcredit.notices import letters

    with step() as connection:
        found = notices.visible_notice(connection, None, notice_id)
        pdf = letters.letter_pdf(connection, found, planning.local_day(planning.utcnow()), _rule())
    _write(out, pdf)
    typer.echo(f"已写入 / written: {out}")


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")


@notices_app.command("print-batch")
def print_batch_command(
    actor: ActorOption,
    utility: Annotated[str, typer.Option("--utility", help="water | power")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 / folder for the PDF and list")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000)] = 500,
) -> None:
    """把待寄函件编入打印批次 / collect queued letters into a print batch (PDF + print list)."""
    from utilcredit.notices import letters

    with step() as connection:
        principal = acting(connection, actor)
        batch = notices.create_print_batch(connection, principal, utility, limit=limit)
        batched = notices.batch_notices(connection, principal, batch.id)
        today = planning.local_day(planning.utcnow())
        title = f"打印批次 {batch.id}（{UTILITY_ZH.get(utility, utility)}）"
        pdf = letters.batch_pdf(connection, title, batched, today, _rule())
    _write(out / f"print-batch-{batch.id}.pdf", pdf)
    _write(out / f"print-batch-{batch.id}.csv", letters.print_list_csv(batched))
    typer.echo(f"打印批次 / print batch {batch.id}: {batch.letters} 封 / letters → {out}")


@notices_app.command("batches")
def batches_command(output: FormatOption = Format.TEXT) -> None:
    """列出打印批次 / list print batches."""
    with step() as connection:
        page = notices.list_batches(connection, None, limit=200)
    for b in page.items:
        emit(
            output,
            f"{b.id}  {b.utility}  {b.status}  {b.letters} 封  {b.created_by} {_local(b.created_at)}",
            {
                "id": b.id,
                "utility": b.utility,
                "status": b.status,
                "letters": b.letters,
                "created_by": b.created_by,
                "created_at": _local(b.created_at),
                "printed_at": _local(b.printed_at),
                "posted_at": _local(b.posted_at),
            },
        )


@notices_app.command("mark-batch")
def mark_batch_command(
    batch_id: Annotated[int, typer.Argument(help="打印批次编号 / print batch id")],
    state: Annotated[str, typer.Argument(help="printed | posted")],
    actor: ActorOption,
) -> None:
    """标记打印批次已打印或已寄出 / mark a print batch printed, then posted."""
    with step() as connection:
        batch = notices.mark_batch(connection, acting(connection, actor), batch_id, state)
    typer.echo(f"打印批次 / print batch {batch.id}: {batch.status}")


@notices_app.command("contact")
def contact_command(
    subject: Annotated[str, typer.Argument(help="主体代码 / subject code")],
    channel: Annotated[str, typer.Option("--channel", help="sms | email | wechat | letter")],
    actor: ActorOption,
    address: Annotated[
        str | None, typer.Option("--address", help="联系方式；省略则删除 / omit to remove")
    ] = None,
) -> None:
    """登记主体的通知联系方式 / record where a subject wants notices on a channel."""
    with step() as connection, looking_up(subject, "subject"):
        notice_contacts.set_contact(
            connection, acting(connection, actor), subject, channel, address
        )
    typer.echo("已保存 / saved")


@notices_app.command("opt-out")
def opt_out_command(
    subject: Annotated[str, typer.Argument(help="主体代码 / subject code")],
    channel: Annotated[str, typer.Option("--channel", help="sms | email | wechat | call")],
    actor: ActorOption,
    undo: Annotated[bool, typer.Option("--undo", help="恢复接收 / opt back in")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="原因 / reason")] = None,
) -> None:
    """登记主体退订某渠道（书面告知函除外） / a subject opts out of a channel (not the letter)."""
    with step() as connection, looking_up(subject, "subject"):
        notice_contacts.set_opt_out(
            connection,
            acting(connection, actor),
            subject,
            channel,
            opted_out=not undo,
            reason=reason,
        )
    typer.echo("已保存 / saved")


# Registered last, so that ``notices --help`` lists the commands in the order it always has.
notices_app.command("dispatch")(dispatch_command)
