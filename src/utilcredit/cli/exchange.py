"""``utilcredit export`` and ``utilcredit batches``: the public credit platform's catalog
files (docs/exchange.md). An export is a submission batch: its data file, the source of each
row (``keys.txt``) and, when rows failed the platform's checks, a validation report."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import AsOfOption, console, fail, out, parse_as_of
from utilcredit.config import get_settings
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.exchange import service, submission
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import (
    Batch,
    Encoding,
    ErrorRate,
    ExportFormat,
    Problem,
    ReturnedRow,
)
from utilcredit.localtime import today

if TYPE_CHECKING:
    from utilcredit.exchange.platform import PlatformClient

export_app = typer.Typer(
    help="报送文件 / export catalog files for the public credit platform; validate a file",
    invoke_without_command=True,
)
batches_app = typer.Typer(
    help="报送批次 / submission batches: list, show, send, load-returns, correct, errors",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


CatalogOption = Annotated[
    str, typer.Option("--catalog", help="信用信息目录 / catalog (zhanjiang-2022)")
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="输出格式 / how to print: table or jsonl")
]
PROBLEMS_PRINTED = 50


@export_app.callback()
def export_command(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="信息类 / kind: " + ", ".join(k.key for k in ZHANJIANG_2022.kinds),
        ),
    ] = None,
    catalog: CatalogOption = ZHANJIANG_2022.key,
    since_last: Annotated[
        bool,
        typer.Option(
            "--since-last/--full",
            help="增量（上次已接收批次之后的变化）或全量 / changes since the last accepted batch, or all",
        ),
    ] = False,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="文件格式 / file format")] = (
        ExportFormat.CSV
    ),
    encoding: Annotated[
        Encoding, typer.Option("--encoding", help="CSV 编码 / CSV encoding")
    ] = Encoding.UTF8_BOM,
    utility: Annotated[
        list[Utility] | None,
        typer.Option("--utility", help="行业 / utility (repeat; default: all)"),
    ] = None,
    as_of: AsOfOption = None,
    actor: Annotated[str, typer.Option("--actor", help="操作人 / who exports (audit)")] = "cli",
    corrections: Annotated[
        bool,
        typer.Option(
            "--corrections",
            help="仅重新报送已更正的退回数据 / only the corrected returned rows, as they are now",
        ),
    ] = False,
) -> None:
    """导出报送文件 / export one catalog kind as a new submission batch.

    Rows that fail the platform's checks stay out of the file and are listed in the batch's
    validation report; the command then exits 1.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        if kind is None:
            raise InvalidInputError("请用 --kind 指定信息类 / name the kind with --kind")
        request = service.ExportRequest(
            catalog=catalog,
            kind=kind,
            as_of=parse_as_of(as_of),
            utilities=utility or [],
            fmt=fmt,
            encoding=encoding,
            since_last=since_last,
            actor=actor,
            corrections=corrections,
        )
        settings = get_settings()
        with open_store().begin() as connection:
            outcome = service.export(
                connection,
                request,
                units=settings.records.determining_units,
                root=settings.data_dir / "exchange",
                allow_list=settings.uscc_allow_list,
            )
    except UtilcreditError as error:
        raise fail(error) from error
    batch = outcome.batch
    folder = Path(batch.folder)
    data = batch.file("data")
    out.print(
        f"批次 / batch {batch.id}（{'增量 incremental' if batch.mode == 'incremental' else '全量 full'}）"
        f"：{batch.rows} 行 rows → {folder / data.name if data else folder}",
        markup=False,
        highlight=False,
        soft_wrap=True,  # a path is never wrapped
    )
    if batch.invalid_rows:
        report = batch.file("invalid")
        _print_problems(outcome.problems)
        out.print(
            f"未通过校验 / failed the checks: {batch.invalid_rows} 行 rows，"
            f"见 / see {folder / report.name if report else folder}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


@export_app.command("validate")
def validate_command(
    file: Annotated[
        Path, typer.Argument(help="CSV、XLSX 或 JSON 文件 / file", exists=True, dir_okay=False)
    ],
    catalog: CatalogOption = ZHANJIANG_2022.key,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="信息类（默认按表头判断） / kind (default: by header)"),
    ] = None,
    as_of: AsOfOption = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """校验报送文件 / check a catalog file as the platform would; exits 1 on any problem.

    With --format jsonl each problem is one line: row, item, value, reason.
    """
    try:
        checked = service.validate_file(
            file,
            catalog_key=catalog,
            kind_key=kind,
            today=parse_as_of(as_of, today()),
            allow_list=get_settings().uscc_allow_list,
        )
    except UtilcreditError as error:
        raise fail(error) from error
    if output is OutputFormat.JSONL:
        for problem in checked.problems:
            typer.echo(json.dumps(asdict(problem), ensure_ascii=False))
    else:
        _print_problems(checked.problems)
    summary = console if output is OutputFormat.JSONL else out  # stdout stays JSON Lines
    summary.print(
        f"{checked.kind.title}：{checked.rows} 行 rows，{checked.invalid_rows} 行未通过 / failed",
        markup=False,
        highlight=False,
    )
    if checked.invalid_rows:
        raise typer.Exit(1)


def _print_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    table = Table("行号 row", "数据项 item", "值 value", "原因 reason")
    for problem in problems[:PROBLEMS_PRINTED]:
        table.add_row(str(problem.row), problem.item, escape(problem.value), problem.reason)
    out.print(table)
    if len(problems) > PROBLEMS_PRINTED:
        out.print(f"…… 另有 {len(problems) - PROBLEMS_PRINTED} 条 / more", markup=False)


@batches_app.command("list")
def batches_list(
    kind: Annotated[str | None, typer.Option("--kind", help="信息类 / kind")] = None,
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """报送批次列表 / list submission batches, newest first."""
    with open_store().begin() as connection:
        found = service.batches(connection, kind=kind)
    if output is OutputFormat.JSONL:
        for batch in found:
            typer.echo(json.dumps(_batch_json(batch), ensure_ascii=False))
        return
    table = Table(
        "批次 id",
        "信息类 kind",
        "方式 mode",
        "状态 status",
        "行 rows",
        "未通过 invalid",
        "日期 as of",
    )
    for batch in found:
        table.add_row(
            str(batch.id),
            batch.kind,
            batch.mode,
            batch.status_zh,
            f"{batch.rows:,}",
            f"{batch.invalid_rows:,}",
            batch.as_of.isoformat(),
        )
    out.print(table)


@batches_app.command("show")
def batches_show(
    batch_id: Annotated[int, typer.Argument(help="批次号 / batch id")],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """报送批次详情 / one batch: its window, counts, files and checksums."""
    try:
        with open_store().begin() as connection:
            batch = service.batch(connection, batch_id)
            returned = submission.returned_rows(connection, batch_id=batch_id)
    except UtilcreditError as error:
        raise fail(error) from error
    shown = _batch_json(batch)
    if output is OutputFormat.JSONL:
        shown["returned"] = [_returned_json(row) for row in returned]
        typer.echo(json.dumps(shown, ensure_ascii=False))
        return
    for key, value in shown.items():
        if key != "files":
            out.print(f"{key}: {value}", markup=False, highlight=False)
    for entry in batch.files:
        out.print(
            f"  {entry['role']}: {entry['name']} ({entry['bytes']} B, sha256 {entry['sha256']})",
            markup=False,
            highlight=False,
        )
    if returned:
        _print_returned(returned)


def _batch_json(batch: Batch) -> dict[str, object]:
    return {
        "id": batch.id,
        "catalog": batch.catalog,
        "kind": batch.kind,
        "utilities": [u for u in batch.utilities.split(",") if u],
        "mode": batch.mode,
        "status": batch.status,
        "status_zh": batch.status_zh,
        "as_of": batch.as_of.isoformat(),
        "since": batch.since.isoformat() if batch.since else None,
        "until": batch.until.isoformat(),
        "format": batch.format,
        "encoding": batch.encoding,
        "rows": batch.rows,
        "invalid_rows": batch.invalid_rows,
        "folder": batch.folder,
        "files": batch.files,
        "created_by": batch.created_by,
        "platform_ref": batch.platform_ref,
        "sent_at": batch.sent_at.isoformat() if batch.sent_at else None,
        "answered_at": batch.answered_at.isoformat() if batch.answered_at else None,
        "returned_rows": batch.returned_rows,
        "error_rate": submission.batch_rate(batch).rate_text,
    }


# ---- sending, the platform's answer, corrections, error rates -------------------------------

ActorOption = Annotated[str, typer.Option("--actor", help="操作人 / who acts (audit)")]


def platform_client() -> PlatformClient:
    from utilcredit.exchange.platform import client_from  # httpx only for the commands using it

    return client_from(get_settings().exchange)


@batches_app.command("send")
def batches_send(
    batch_id: Annotated[int, typer.Argument(help="批次号 / batch id")],
    actor: ActorOption = "cli",
) -> None:
    """报送批次 / send a created batch to the platform (safe to repeat after a failure).

    A timeout or a platform error leaves the batch created; sending again never makes a
    second submission (the batch's idempotency key).
    """
    try:
        with platform_client() as client, open_store().begin() as connection:
            sent = submission.send(connection, batch_id, client, actor=actor)
    except UtilcreditError as error:
        raise fail(error) from error
    out.print(
        f"批次 / batch {sent.id} 已报送 / sent：平台回执 / receipt {sent.platform_ref}，"
        f"{sent.rows} 行 rows",
        markup=False,
        highlight=False,
    )


@batches_app.command("load-returns")
def batches_load_returns(
    batch_id: Annotated[int, typer.Argument(help="批次号 / batch id")],
    file: Annotated[
        Path | None,
        typer.Argument(
            help="退回错误文件（省略则向平台获取） / returned-error file (default: fetch it)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    actor: ActorOption = "cli",
) -> None:
    """导入平台退回 / load the platform's answer to a sent batch: its returned-error file.

    The rows it names are flagged (open) with their source records; the batch becomes
    accepted, partly rejected or rejected. A bad file is refused whole: nothing is written.
    """
    try:
        data = file.read_bytes() if file is not None else None
        if data is None:
            with platform_client() as client, open_store().begin() as connection:
                loaded = submission.load_returns(connection, batch_id, client=client, actor=actor)
        else:
            with open_store().begin() as connection:
                loaded = submission.load_returns(connection, batch_id, data=data, actor=actor)
    except UtilcreditError as error:
        raise fail(error) from error
    batch = loaded.batch
    out.print(
        f"批次 / batch {batch.id}：{batch.status_zh} / {batch.status}，退回 / returned"
        f" {loaded.rows}/{batch.rows} 行 rows（{submission.batch_rate(batch).rate_text}）",
        markup=False,
        highlight=False,
    )


@batches_app.command("correct")
def batches_correct(
    row_id: Annotated[int, typer.Argument(help="退回数据编号 / returned row id")],
    note: Annotated[str, typer.Option("--note", help="更正说明 / what was corrected (audit)")],
    actor: ActorOption = "cli",
) -> None:
    """更正退回数据 / mark a returned row corrected by an audited edit.

    The next incremental export, or export --corrections, sends its current data again.
    """
    try:
        with open_store().begin() as connection:
            row = submission.correct(connection, row_id, note=note, actor=actor)
    except UtilcreditError as error:
        raise fail(error) from error
    out.print(
        f"退回数据 / returned row {row.id}（{row.source_key}）：{row.status_zh} / {row.status}",
        markup=False,
        highlight=False,
    )


@batches_app.command("errors")
def batches_errors(
    month: Annotated[str, typer.Option("--month", help="月份 / month YYYY-MM (报送月)")],
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """错误率 / error rates of the batches sent in a month: rows returned / rows sent."""
    try:
        with open_store().begin() as connection:
            found = submission.error_rates(connection, month)
    except UtilcreditError as error:
        raise fail(error) from error
    if output is OutputFormat.JSONL:
        for rate in [found.total, *found.by_kind]:
            typer.echo(json.dumps(_rate_json(rate), ensure_ascii=False))
        for code, rows in found.codes:
            typer.echo(json.dumps({"error_code": code, "rows": rows}, ensure_ascii=False))
        return
    table = Table(
        "信息类 kind",
        "批次 batches",
        "报送行 sent",
        "退回行 returned",
        "待答复 pending",
        "错误率 rate",
    )
    for rate in [*found.by_kind, found.total]:
        label = "合计 total" if rate is found.total else rate.label
        table.add_row(
            label,
            str(rate.batches),
            f"{rate.rows_sent:,}",
            f"{rate.rows_returned:,}",
            f"{rate.pending:,}",
            rate.rate_text,
        )
    out.print(f"{found.month} 报送错误率 / error rates", markup=False, highlight=False)
    out.print(table)
    if found.codes:
        codes = Table("错误代码 error code", "退回行 rows")
        for code, rows in found.codes:
            codes.add_row(escape(code), f"{rows:,}")
        out.print(codes)


def _rate_json(rate: ErrorRate) -> dict[str, object]:
    return {
        "label": rate.label,
        "batches": rate.batches,
        "rows_sent": rate.rows_sent,
        "rows_returned": rate.rows_returned,
        "pending": rate.pending,
        "rate_permille": rate.rate_permille,
        "rate": rate.rate_text,
    }


def _returned_json(row: ReturnedRow) -> dict[str, object]:
    return {
        "id": row.id,
        "batch_id": row.batch_id,
        "row_no": row.row_no,
        "source_key": row.source_key,
        "error_code": row.error_code,
        "message": row.message,
        "status": row.status,
        "corrected_by": row.corrected_by,
        "correction": row.correction,
        "resubmitted_in": row.resubmitted_in,
    }


def _print_returned(rows: list[ReturnedRow]) -> None:
    table = Table(
        "编号 id", "行号 row", "来源 source", "错误 error", "状态 status", "重报批次 resubmitted in"
    )
    for row in rows:
        table.add_row(
            str(row.id),
            str(row.row_no),
            escape(row.source_key),
            escape(f"{row.error_code} {row.message}"),
            row.status_zh,
            str(row.resubmitted_in or ""),
        )
    out.print(table)
