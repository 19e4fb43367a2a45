"""``utilcredit import`` and ``utilcredit purge-uploads``: canonical billing exports in."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import console, fail, out
from utilcredit.cli.db import refresh_columnar_snapshot
from utilcredit.config import get_settings
from utilcredit.errors import UtilcreditError
from utilcredit.importing.formats import printable
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.readers.source import SourceFile
from utilcredit.importing.runner import ImportReport, import_paths, write_reject_report
from utilcredit.rating.sql.snapshot import snapshot_path


def import_command(
    paths: Annotated[
        list[Path], typer.Argument(help="文件或文件夹 / files or folders", exists=True)
    ],
    rejects: Annotated[Path | None, typer.Option(help="拒收报告路径 / reject report CSV")] = None,
    actor: Annotated[str | None, typer.Option(help="操作人 / who imports (audit)")] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="不显示进度 / no progress bar")
    ] = False,
) -> None:
    """导入营收系统数据 / import canonical files (CSV, XLSX, JSONL); the file stem names the kind.

    Exit code 0: everything imported; 1: some rows or files rejected (see the reject report).
    A file that cannot be imported is reported and the next one imported; one import runs at
    a time per store (another waits up to UTILCREDIT_IMPORT_LOCK_WAIT_SECONDS).
    """
    settings = get_settings()
    engine = open_store(settings)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as progress:

        def progress_for(source: SourceFile) -> Callable[[int], None]:
            task = progress.add_task(
                _shown(source.path.name),
                total=source.size if source.file_format != "xlsx" else None,
            )
            return lambda advance: progress.advance(task, advance)

        try:
            report = import_paths(
                engine,
                paths,
                actor=actor or getpass.getuser(),
                allow_list=settings.uscc_allow_list,
                batch_rows=settings.import_batch_rows,
                progress_for=progress_for,
                scope=None,  # run with server access: every utility (recorded on the runs)
                limits=ImportLimits.from_settings(settings),
            )
        except UtilcreditError as error:
            raise fail(error) from error
    _print_import_report(report)
    if snapshot_path(engine.url) is not None:
        refresh_columnar_snapshot(engine.url)
    if not report.ok:
        destination = (
            rejects
            or settings.data_dir / "rejects" / f"import-{dt.datetime.now():%Y%m%d-%H%M%S}.csv"
        )
        try:
            count = write_reject_report(report, destination)
        except OSError as error:
            console.print(
                f"[red]无法写入拒收报告 / cannot write the reject report {_shown(str(destination))}: "
                f"{_shown(str(error))}[/red]"
            )
            raise typer.Exit(1) from None
        console.print(
            f"[yellow]拒收 {count} 条，详见 / {count} rejects written to:[/yellow] "
            f"{_shown(str(destination))}"
        )
        raise typer.Exit(1)


def _shown(value: str) -> str:
    """Text from a file or its name, printed literally (never read as console markup)."""
    return escape(printable(value))


def purge_uploads_command(
    days: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=1,
            help="保留天数 / keep this many days (default UTILCREDIT_UPLOAD_RETENTION_DAYS)",
        ),
    ] = None,
) -> None:
    """删除过期的上传文件 / delete uploaded files and their reject reports past retention.

    Uploads (<data_dir>/uploads/<id>/) hold personal data: they are kept for
    UTILCREDIT_UPLOAD_RETENTION_DAYS (default 30) and deleted after. Each upload purges the
    expired ones first; this command does it on its own (e.g. from cron).
    """
    from utilcredit.importing.uploads import purge_uploads  # the API's and console's uploads

    settings = get_settings()
    removed = purge_uploads(settings, days=days)
    out.print(f"已删除 / removed {removed} expired upload(s) under {settings.data_dir}")


def _print_import_report(report: ImportReport) -> None:
    table = Table(title="导入结果 / import summary")
    for column in (
        "文件 file",
        "类型 kind",
        "读取 read",
        "新增 inserted",
        "更新 updated",
        "未变 unchanged",
        "拒收 rejected",
    ):
        label = column[0] in "文类"
        table.add_column(column, justify="left" if label else "right", no_wrap=label)
    for file_report in report.files:
        result = file_report.result
        if result is None:
            table.add_row(
                _shown(file_report.path.name),
                file_report.kind or "?",
                "-",
                "-",
                "-",
                "-",
                f"[red]{_shown(file_report.error or '')}[/red]",
            )
            continue
        table.add_row(
            _shown(file_report.path.name),
            file_report.kind or "?",
            str(result.rows_read),
            str(result.inserted),
            str(result.updated),
            str(result.unchanged),
            str(result.rejected_rows),
        )
        if result.ignored_columns:
            console.print(
                f"[yellow]{_shown(file_report.path.name)}: 忽略未知列 / ignored columns: "
                f"{_shown(', '.join(result.ignored_columns))}[/yellow]"
            )
    out.print(table)
