"""``utilcredit db ...``: migrate the store, refresh the columnar snapshot, export it as Parquet.

The store's modules are imported inside the commands, so ``db --help`` starts quickly.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from utilcredit.cli.common import console, fail, out
from utilcredit.errors import InvalidInputError
from utilcredit.rating.sql.parquet import PART_SUBJECTS

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """升级数据库结构 / migrate the store to the current schema."""
    from utilcredit.bootstrap import open_store

    engine = open_store()
    out.print(
        f"数据库已是最新结构 / schema is current: {engine.url.render_as_string(hide_password=True)}"
    )


@db_app.command("snapshot")
def db_snapshot() -> None:
    """刷新列式快照 / refresh the columnar snapshot DuckDB rates from (SQLite stores).

    utilcredit import refreshes it after every import and a DuckDB rating refreshes a stale
    one first; this command does it on its own (e.g. after a bulk load by other means).
    """
    from utilcredit.bootstrap import open_store

    refresh_columnar_snapshot(open_store().url)


_REFRESH_MODES = {
    "current": ("已是最新", "already current"),
    "updated": ("增量", "changed rows rewritten"),
    "copied": ("全量复制", "copied whole"),
}


def refresh_columnar_snapshot(url: URL) -> None:
    """Refresh the snapshot of a SQLite store, reporting on stderr; never fails the command."""
    from utilcredit.rating.sql.engines import refresh_snapshot

    started = time.perf_counter()
    try:
        refreshed = refresh_snapshot(url)
    except Exception as error:
        console.print(f"[yellow]列式快照未更新 / snapshot not refreshed: {error}[/yellow]")
        return
    if refreshed:
        how = _REFRESH_MODES[refreshed.mode]
        console.print(
            f"列式快照已更新（{how[0]}）/ columnar snapshot refreshed ({how[1]}, "
            f"{time.perf_counter() - started:.1f} s)"
        )
    else:
        console.print(
            "[yellow]未更新列式快照（非 SQLite、无 DuckDB 或数据正在变化）/ snapshot not "
            "refreshed (not SQLite, no DuckDB, or the store changed meanwhile)[/yellow]"
        )


@db_app.command("export-parquet")
def db_export_parquet(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="目标目录 / folder (default: UTILCREDIT_SPARK_PARQUET_DIR or <data_dir>/parquet)"
        ),
    ] = None,
    part_subjects: Annotated[
        int,
        typer.Option(
            "--part-subjects",
            min=1,
            help="每个分区的主体数 / subjects per partition (changing it rewrites the export)",
        ),
    ] = PART_SUBJECTS,
) -> None:
    """导出评级所需数据为 Parquet / export what the ratings read as Parquet (Spark's input).

    Only the columns the rules read are written (no names, telephone numbers or addresses),
    partitioned by subject id. Incremental: only the partitions whose content changed since
    the last export are rewritten (docs/spark.md).
    """
    from utilcredit.bootstrap import open_store
    from utilcredit.config import get_settings
    from utilcredit.rating.sql.engines import duckdb_can_read
    from utilcredit.rating.sql.spark import export_store

    store = open_store()
    if not duckdb_can_read(store.url):
        raise fail(
            InvalidInputError(
                "无法读取存储（需 DuckDB 及其 sqlite/postgres 扩展）/ DuckDB cannot read this "
                "store (a SQLite file or PostgreSQL, with duckdb-ext-sqlite / duckdb-ext-postgres)"
            )
        )
    target = directory or get_settings().resolved_parquet_dir
    with store.connect() as connection:
        report = export_store(connection, target, part_subjects=part_subjects)
    out.print(
        f"已导出 / exported to {report.directory}: {report.parts} 个分区 / partitions, "
        f"重写 / rewritten {report.written}, 删除 / removed {report.removed}, "
        f"{report.rows_written:,} 行 / rows written in {report.seconds:.1f} s"
    )
