"""The ``utilcredit`` command line. Commands are thin: parse, call a use case, print."""

from __future__ import annotations

import datetime as dt
import getpass
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.engine import URL

from utilcredit.bootstrap import open_store
from utilcredit.cli_common import (
    AsOfOption,
    PolicyOption,
    console,
    fail,
    out,
    parse_as_of,
    policy_in_force,
)
from utilcredit.config import get_settings
from utilcredit.demo import DemoSpec, generate
from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.importing.formats import printable
from utilcredit.importing.limits import ImportLimits
from utilcredit.importing.readers import SourceFile
from utilcredit.importing.runner import ImportReport, import_paths, write_reject_report
from utilcredit.policies.cli import policy_app
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.rating import service as rating
from utilcredit.rating.batch import gc_paused
from utilcredit.rating.cli_format import ExplainFormat, RateFormat, format_explanation, format_rate
from utilcredit.rating.runs import repository as runs_repository
from utilcredit.rating.runs.cli import EngineOption, rate_save, runs_app, simulate_command
from utilcredit.rating.runs.format import format_run
from utilcredit.rating.sql.engines import AUTO, rate_batch, refresh_snapshot
from utilcredit.rating.sql.snapshot import snapshot_path
from utilcredit.web.cli import serve_command, user_app

app = typer.Typer(
    name="utilcredit",
    help="供水/供电客户信用管理 / Utility customer credit management",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy", help="评级政策 / rating policies: check, list, render")
app.add_typer(runs_app, name="runs")
app.command("simulate")(simulate_command)
app.command("serve")(serve_command)
app.add_typer(
    user_app,
    name="user",
    help="用户 / users: add, list, disable, enable, reset-password, unlock",
)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """升级数据库结构 / migrate the store to the current schema."""
    engine = open_store()
    out.print(
        f"数据库已是最新结构 / schema is current: {engine.url.render_as_string(hide_password=True)}"
    )


@db_app.command("snapshot")
def db_snapshot() -> None:
    """刷新列式快照 / refresh the columnar snapshot DuckDB rates from (SQLite stores).

    ``utilcredit import`` refreshes it after every import and a DuckDB rating refreshes a stale
    one first; this command does it on its own (e.g. after a bulk load by other means).
    """
    _refresh_snapshot(open_store().url)


def _refresh_snapshot(url: URL) -> None:
    started = time.perf_counter()
    try:
        refreshed = refresh_snapshot(url)
    except Exception as error:
        console.print(f"[yellow]列式快照未更新 / snapshot not refreshed: {error}[/yellow]")
        return
    if refreshed:
        console.print(
            f"列式快照已更新 / columnar snapshot refreshed ({time.perf_counter() - started:.1f} s)"
        )
    else:
        console.print(
            "[yellow]未更新列式快照（非 SQLite、无 DuckDB 或数据正在变化）/ snapshot not "
            "refreshed (not SQLite, no DuckDB, or the store changed meanwhile)[/yellow]"
        )


@app.command("import")
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
        _refresh_snapshot(engine.url)
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


@app.command("purge-uploads")
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

    Uploads (``<data_dir>/uploads/<id>/``) hold personal data: they are kept for
    UTILCREDIT_UPLOAD_RETENTION_DAYS (default 30) and deleted after. Each upload purges the
    expired ones first; this command does it on its own (e.g. from cron).
    """
    from utilcredit.api.uploads import purge_uploads  # the API's upload store

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


@app.command("rate")
def rate_command(
    policy: PolicyOption,
    as_of: AsOfOption = None,
    output_format: Annotated[
        RateFormat, typer.Option("--format", "-f", help="输出格式 / output format")
    ] = RateFormat.TABLE,
    engine: EngineOption = AUTO,
    save: Annotated[
        bool, typer.Option("--save", help="保存为评级批次 / store the ratings as a run")
    ] = False,
) -> None:
    """评定信用等级 / rate every subject having an account of the policy's utility.

    Every engine gives the same output; ``--save`` stores a run (see ``utilcredit runs``).
    """
    try:
        day = parse_as_of(as_of)
        loaded = policy_in_force(policy, day)
        if save:
            out.print(format_run(rate_save(policy, day, engine)), end="", markup=False)
            return
        with open_store().connect() as connection, gc_paused():
            ratings = rate_batch(connection, loaded.policy, day, engine)
            out.print(
                format_rate(ratings, output_format),
                end="",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    except UtilcreditError as error:
        raise fail(error) from error


@app.command("explain")
def explain_command(
    code: Annotated[str, typer.Argument(help="统一社会信用代码或身份证号 / the subject's code")],
    policy: PolicyOption,
    as_of: AsOfOption = None,
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="输出格式 / output format")
    ] = ExplainFormat.TEXT,
) -> None:
    """解释信用等级 / explain a subject's level: every clause, its value and evidence."""
    try:
        day = parse_as_of(as_of)
        loaded = policy_in_force(policy, day)
        engine = open_store()
        with engine.connect() as connection:
            evaluation, change = rating.explain_subject(
                connection, code.strip().upper(), loaded.policy, day
            )
        out.print(
            format_explanation(evaluation, loaded.policy, output_format, next_change=change),
            end="",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    except UtilcreditError as error:
        raise fail(error) from error


# The shipped policies a demo region's utilities are rated under (water, then power).
DEMO_POLICIES = {
    "lianshui": ("lianshui-water", "huaiyin-power"),
    "huaiyin": ("lianshui-water", "huaiyin-power"),
    "suizhou": ("suizhou-water",),
    "shaoguan": ("shaoguan-water", "zhanjiang-power"),
    "zhanjiang": ("shaoguan-water", "zhanjiang-power"),
}


@app.command("demo")
def demo_command(
    subjects: Annotated[int, typer.Option(min=1, help="主体数 / number of subjects")] = 3000,
    region: Annotated[str, typer.Option(help="地区 / " + ", ".join(DEMO_POLICIES))] = "lianshui",
    seed: Annotated[int, typer.Option(help="随机种子 / seed (same seed, same data)")] = 20261122,
    years: Annotated[int, typer.Option(min=1, max=30, help="账单年数 / years of bills")] = 4,
    as_of: AsOfOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="数据文件目录 / where the files go")
    ] = None,
) -> None:
    """演示：生成模拟供水供电企业数据、导入并评级 / generate a synthetic utility, import and rate it."""
    if region not in DEMO_POLICIES:
        raise fail(
            InvalidInputError(f"未知地区 / unknown region {region}: {', '.join(DEMO_POLICIES)}")
        )
    try:
        day = parse_as_of(as_of)
        settings = get_settings()
        folder = out_dir or settings.data_dir / "demo" / f"{region}-{subjects}-{seed}-{day:%Y%m%d}"
        spec = DemoSpec(subjects=subjects, seed=seed, as_of=day, years=years, region=region)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("生成数据 / generating", total=subjects)
            counts = generate(spec, folder, lambda done: progress.update(task, completed=done))
        out.print(f"生成 / generated {sum(counts.values()):,} rows in {folder}")
    except (UtilcreditError, ValueError) as error:
        raise fail(
            error if isinstance(error, UtilcreditError) else InvalidInputError(str(error))
        ) from error
    import_command([folder], rejects=None, actor="demo", quiet=False)
    engine = open_store(settings)
    sample: str | None = None
    for key in DEMO_POLICIES[region]:
        header = rate_save(key, day, AUTO, actor="demo", quiet=True)
        _print_levels(policy_in_force(key, day), day, Counter(header.level_counts))
        with engine.connect() as connection:
            sample = sample or runs_repository.first_subject_at(
                connection, header.id, ("red", "black")
            )
    key = DEMO_POLICIES[region][0]
    out.print(
        f"试一试 / try:\n  utilcredit explain {sample or '<code>'} --policy {key} --as-of {day}"
    )
    out.print(f"  utilcredit rate --policy {key} --as-of {day} --format csv")
    out.print("  utilcredit runs list")


_LEVEL_NAMES = {"green": "绿色", "blue": "蓝色", "yellow": "黄色", "red": "红色", "black": "黑色"}


def _print_levels(loaded: LoadedPolicy, day: dt.date, tally: Counter[str]) -> None:
    table = Table(title=f"{loaded.policy.key} 信用等级分布 / levels as of {day}")
    table.add_column("等级 level")
    table.add_column("主体数 subjects", justify="right")
    table.add_column("占比 share", justify="right")
    total = sum(tally.values()) or 1
    for level in loaded.policy.levels:
        count = tally.get(level.value, 0)
        table.add_row(
            f"{_LEVEL_NAMES.get(level.value, level.value)} {level.value}",
            f"{count:,}",
            f"{count / total:.1%}",
        )
    out.print(table)


def main() -> None:  # pragma: no cover - console entry point convenience
    app()
