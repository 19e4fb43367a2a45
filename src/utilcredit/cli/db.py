"""``utilcredit db ...``: migrate the store, refresh the columnar snapshot.

The store's modules are imported inside the commands, so ``db --help`` starts quickly.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer

from utilcredit.cli.common import console, out

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
        console.print(
            f"列式快照已更新 / columnar snapshot refreshed ({time.perf_counter() - started:.1f} s)"
        )
    else:
        console.print(
            "[yellow]未更新列式快照（非 SQLite、无 DuckDB 或数据正在变化）/ snapshot not "
            "refreshed (not SQLite, no DuckDB, or the store changed meanwhile)[/yellow]"
        )
