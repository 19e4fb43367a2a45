"""``utilcredit report monthly``: the credit office's monthly supervision report per utility
(docs/supervision.md), printed as tables, as JSON lines, or written as an XLSX workbook.

The store and the domain's services are imported inside the commands, so that
``utilcredit report --help`` starts without them."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from utilcredit.cli.common import fail, out
from utilcredit.customers.model import Utility
from utilcredit.errors import UtilcreditError
from utilcredit.supervision.model import Month, MonthlyReport

report_app = typer.Typer(
    help="监管报表 / supervision reports for the credit office: monthly", no_args_is_help=True
)


class ReportFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"
    XLSX = "xlsx"


@report_app.command("monthly")
def monthly_command(
    month: Annotated[str, typer.Option("--month", help="月份 / month YYYY-MM (Asia/Shanghai)")],
    utility: Annotated[
        Utility | None, typer.Option("--utility", help="行业 / utility (default: every one)")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="输出 / output: table, jsonl or xlsx")
    ] = ReportFormat.TABLE,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="XLSX 文件 / XLSX file (default: supervision-<month>-<utility>.xlsx)"
        ),
    ] = None,
) -> None:
    """月度监管报表 / the month's figures per utility: levels and transitions, records,
    objections and repairs, commitments, notices, submission batches."""
    from utilcredit.bootstrap import open_store
    from utilcredit.supervision import service

    try:
        wanted = Month.parse(month, "--month")
        with open_store().connect() as connection:
            reports = service.monthly_reports(connection, None, wanted, utility)
    except UtilcreditError as error:
        raise fail(error) from error
    if fmt == ReportFormat.XLSX:
        _write_xlsx(reports, out_file or Path(_default_name(str(wanted), utility)))
    elif fmt == ReportFormat.JSONL:
        for report in reports:
            typer.echo(json.dumps(asdict(report), ensure_ascii=False, default=str))
    else:
        _print_tables(reports)


def _default_name(month: str, utility: Utility | None) -> str:
    from utilcredit.supervision.xlsx import file_name

    return file_name(month, utility.value if utility else None)


def _write_xlsx(reports: list[MonthlyReport], path: Path) -> None:
    from utilcredit.supervision.xlsx import write_xlsx

    write_xlsx(reports, str(path))
    typer.echo(f"已写入 / written: {path}")  # a path is never wrapped


def _print_tables(reports: list[MonthlyReport]) -> None:
    from utilcredit.supervision.sheets import sheets

    for sheet in sheets(reports):
        if sheet.key == "summary":  # too wide for a terminal: one column a utility
            _print_transposed(sheet.title, sheet.headers, sheet.rows)
            continue
        table = Table(title=sheet.title, title_justify="left")
        for header in sheet.headers:
            table.add_column(header, overflow="fold")
        for row in sheet.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)


def _print_transposed(
    title: str, headers: tuple[str, ...], rows: tuple[tuple[str | int | None, ...], ...]
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column(headers[0])
    for row in rows:
        table.add_column(str(row[0]), justify="right")
    for index, header in enumerate(headers[1:], start=1):
        table.add_row(header, *("" if row[index] is None else str(row[index]) for row in rows))
    out.print(table)
