"""``utilcredit check`` and ``utilcredit checks``: credit checks (信用核查) through the public
credit platform, or from a report downloaded by hand, and how each result was used
(docs/exchange.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import fail, looking_up, out
from utilcredit.customers.model import Utility
from utilcredit.errors import UtilcreditError
from utilcredit.exchange import checks as credit_checks
from utilcredit.exchange.model import (
    CheckPurpose,
    CheckUse,
    CreditCheck,
)

if TYPE_CHECKING:
    pass

from utilcredit.cli.exchange import ActorOption, FormatOption, OutputFormat, platform_client


class _SubjectByDefault(TyperGroup):
    """``check SUBJECT …`` runs the hidden ``subject`` command; ``check use ID`` the other."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["subject", *args]
        return super().parse_args(ctx, args)


check_app = typer.Typer(
    cls=_SubjectByDefault,
    help="信用核查 / credit check: check SUBJECT --purpose …; check use ID --used-for …",
    no_args_is_help=True,
)
checks_app = typer.Typer(help="信用核查记录 / credit checks: list", no_args_is_help=True)


@check_app.command("subject", hidden=True)
def check_subject(
    subject: Annotated[str, typer.Argument(help="主体代码 / USCC or ID number")],
    purpose: Annotated[CheckPurpose, typer.Option("--purpose", help="核查事由 / why")],
    note: Annotated[str | None, typer.Option("--note", help="事由说明 / about the purpose")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="已下载的信用报告（JSON 或 CSV） / a downloaded report (JSON or CSV)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    utility: Annotated[
        Utility | None, typer.Option("--utility", help="行业 / utility (default: the subject's)")
    ] = None,
    actor: ActorOption = "cli",
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """核查主体信用 / fetch (or load) a subject's public credit report and record the check."""
    request = credit_checks.CheckRequest(
        subject_code=subject,
        purpose=purpose,
        purpose_note=note,
        utility=utility.value if utility else None,
        actor=actor,
    )
    try:
        if file is not None:
            report = credit_checks.load_report_file(file)
            with open_store().begin() as connection, looking_up(subject, "subject"):
                done = credit_checks.check(connection, request, report_file=report)
        else:
            with (
                platform_client() as client,
                open_store().begin() as connection,
                looking_up(subject, "subject"),
            ):
                done = credit_checks.check(connection, request, client=client)
    except UtilcreditError as error:
        raise fail(error) from error
    _print_check(done, output)
    if done.status != "done":
        raise typer.Exit(6)


@check_app.command("use")
def check_use(
    check_id: Annotated[int, typer.Argument(help="核查编号 / check id")],
    used_for: Annotated[
        CheckUse, typer.Option("--used-for", help="结果使用情况 / how it was used")
    ],
    note: Annotated[str | None, typer.Option("--note", help="说明 / note")] = None,
    actor: ActorOption = "cli",
) -> None:
    """反馈核查结果使用情况 / record how a check's result was used (once)."""
    try:
        with open_store().begin() as connection:
            used = credit_checks.record_use(
                connection, check_id, used_for=used_for, note=note, actor=actor
            )
    except UtilcreditError as error:
        raise fail(error) from error
    out.print(
        f"核查 / check {used.id}：{used.used_for_zh} / {used.used_for}",
        markup=False,
        highlight=False,
    )


@checks_app.command("list")
def checks_list(
    subject: Annotated[str | None, typer.Option("--subject", help="主体代码 / subject")] = None,
    unused: Annotated[
        bool, typer.Option("--unused", help="仅未反馈使用情况的 / only those without a use")
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """信用核查列表 / credit checks, newest first."""
    with open_store().begin() as connection:
        found = credit_checks.checks(connection, subject_code=subject, unused=unused)
    if output is OutputFormat.JSONL:
        for item in found:
            typer.echo(json.dumps(_check_json(item), ensure_ascii=False))
        return
    table = Table(
        "编号 id",
        "主体 subject",
        "事由 purpose",
        "来源 source",
        "结果 result",
        "使用 used for",
        "时间 at",
    )
    for item in found:
        table.add_row(
            str(item.id),
            item.subject_code,
            item.purpose_zh,
            item.source,
            _result_text(item),
            item.used_for_zh or "—",
            item.requested_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


def _result_text(item: CreditCheck) -> str:
    if item.status != "done" or not item.result:
        return f"失败 failed: {escape(item.error or '')}"
    result = item.result
    flags = "有失信记录" if result.get("has_dishonesty") else "无失信记录"
    return f"{result.get('issued_on')} {result.get('rating') or '-'} {flags}"


def _check_json(item: CreditCheck) -> dict[str, object]:
    return {
        "id": item.id,
        "subject_code": item.subject_code,
        "utility": item.utility,
        "purpose": item.purpose,
        "purpose_note": item.purpose_note,
        "source": item.source,
        "status": item.status,
        "error": item.error,
        "report_id": item.report_id,
        "result": item.result,
        "requested_by": item.requested_by,
        "used_for": item.used_for,
        "use_note": item.use_note,
        "used_by": item.used_by,
    }


def _print_check(item: CreditCheck, output: OutputFormat) -> None:
    if output is OutputFormat.JSONL:
        typer.echo(json.dumps(_check_json(item), ensure_ascii=False))
        return
    out.print(
        f"核查 / check {item.id}（{item.purpose_zh}）：{_result_text(item)}",
        markup=False,
        highlight=False,
    )
