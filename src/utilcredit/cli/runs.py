"""``utilcredit runs ...``: stored rating runs, level history, transitions, re-rating, what-if.

The main CLI mounts :data:`runs_app` (``app.add_typer(runs_app, name="runs")``) and calls
:func:`rate_save` from ``rate --save``. Each command owns its transactions (services never
commit). Also runnable alone: ``python -m utilcredit.cli.runs``.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection, Engine

from utilcredit.bootstrap import open_store
from utilcredit.cli.common import (
    AsOfOption,
    PolicyOption,
    UnmaskedOption,
    fail,
    parse_as_of,
    policy_in_force,
)
from utilcredit.config import get_settings
from utilcredit.customers.repository import natural_person_codes
from utilcredit.disclosure.service import masking_of
from utilcredit.errors import InvalidInputError, NotFoundError, UtilcreditError
from utilcredit.identifiers.model import mask_id_number
from utilcredit.localtime import today
from utilcredit.notices import planning
from utilcredit.policies.loader import (
    LoadedPolicy,
    PolicyError,
    load_policy,
    load_policy_file,
)
from utilcredit.rating.batch import BatchEngine
from utilcredit.rating.runs import reads, service, whatif
from utilcredit.rating.runs.format import (
    format_history,
    format_matrix,
    format_run,
    format_run_list,
    format_what_if,
)
from utilcredit.rating.runs.model import RunHeader
from utilcredit.rating.sql.choice import AUTO, choose_engine

runs_app = typer.Typer(
    help="评级批次 / rating runs: save, list, show, history, transitions, rerate, simulate",
    no_args_is_help=True,
)


def _engine(name: str) -> BatchEngine:
    """An engine by name; ``auto``: the fastest that can read the configured store."""
    try:
        with open_store().connect() as connection:
            return choose_engine(name, connection)
    except ValueError as error:
        raise InvalidInputError(str(error)) from error


@contextmanager
def _writing(store: Engine) -> Iterator[Connection]:
    """One write transaction; on PostgreSQL a repeatable-read snapshot, so a run reads one
    consistent store however long it takes (SQLite's read transaction already is one)."""
    options = {"isolation_level": "REPEATABLE READ"} if store.dialect.name == "postgresql" else {}
    with store.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def _save(
    store: Engine,
    loaded: LoadedPolicy,
    as_of: dt.date,
    batch: BatchEngine,
    *,
    actor: str,
    quiet: bool,
    rerate: bool,
) -> RunHeader:
    with store.begin() as connection:
        run_id = service.begin_run(connection, loaded, as_of, engine=batch.name, actor=actor)
    if not quiet:
        typer.echo(f"评级批次 / rating run {run_id} started", err=True)

    def progress(written: int) -> None:
        if not quiet:
            typer.echo(f"已写入 / written {written}", err=True)

    try:
        with _writing(store) as connection:
            scope = service.plan_rerate(connection, loaded, as_of) if rerate else None
            if scope is not None and not quiet:
                typer.echo(f"重评范围 / scope: {scope.reason}", err=True)
            header = service.write_run(
                connection, run_id, loaded, batch, scope=scope, progress=progress
            )
            # in the run's own transaction: the notices exist exactly when the run does
            planned = planning.plan_run(connection, run_id, sending=planning.Sending.of())
            if planned.planned and not quiet:
                typer.echo(f"通知已入队 / notices queued: {len(planned.planned)}", err=True)
            return header
    except BaseException as error:  # Ctrl-C too: the run is then visibly failed, not current
        with store.begin() as connection:
            service.fail_run(connection, run_id, f"{type(error).__name__}: {error}")
        raise


def rate_save(
    policy: str,
    as_of: dt.date | None = None,
    engine: str = AUTO,
    *,
    actor: str | None = None,
    quiet: bool = False,
) -> RunHeader:
    """Rate the policy's whole population and store it as a run (``utilcredit rate --save``).

    The run becomes current only once every subject is written; raises
    :class:`~utilcredit.errors.UtilcreditError` on bad input.
    """
    day = as_of or today()
    loaded = policy_in_force(policy, day)
    batch = _engine(engine)
    return _save(
        open_store(),
        loaded,
        day,
        batch,
        actor=actor or getpass.getuser(),
        quiet=quiet,
        rerate=False,
    )


EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="评级引擎 / engine: auto (fastest on this machine), reference, duckdb, database, "
        "spark (Apache Spark over the Parquet export; UTILCREDIT_SPARK_MASTER)",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / no progress")]


@runs_app.command("save")
def save_command(
    policy: PolicyOption,
    as_of: AsOfOption = None,
    engine: EngineOption = AUTO,
    quiet: QuietOption = False,
) -> None:
    """评定并保存评级批次 / rate the whole population and store the run."""
    try:
        header = rate_save(policy, parse_as_of(as_of), engine, quiet=quiet)
    except UtilcreditError as error:
        raise fail(error) from error
    typer.echo(format_run(header), nl=False)


@runs_app.command("rerate")
def rerate_command(
    policy: PolicyOption,
    since_import: Annotated[
        bool,
        typer.Option(
            "--since-import",
            help="仅重评数据变化的主体，评价日期沿用当前批次 / only subjects whose data changed; "
            "as-of defaults to the current run's",
        ),
    ] = False,
    as_of: AsOfOption = None,
    engine: EngineOption = AUTO,
    quiet: QuietOption = False,
) -> None:
    """动态重评 / re-rate only affected subjects and store a new complete run.

    Affected: data changed since the current run's watermark, plus (when the as-of date moves,
    as in the daily run) subjects whose records enter or leave a window or whose arrears age.
    Without --since-import the as-of date defaults to today (the daily run).
    """
    try:
        store = open_store()
        key_day = parse_as_of(as_of)
        loaded = policy_in_force(policy, key_day)
        if since_import and as_of is None:
            with store.connect() as connection:
                current = reads.current_run(connection, loaded.policy.key)
            if current is not None:
                key_day = current.as_of
                loaded = policy_in_force(policy, key_day)
        header = _save(
            store,
            loaded,
            key_day,
            _engine(engine),
            actor=getpass.getuser(),
            quiet=quiet,
            rerate=True,
        )
    except UtilcreditError as error:
        raise fail(error) from error
    typer.echo(format_run(header), nl=False)


@runs_app.command("list")
def list_command(
    policy: Annotated[
        str | None, typer.Option("--policy", "-p", help="政策键 / policy key")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="条数 / how many")] = 20,
) -> None:
    """评级批次列表 / recent runs, newest first; *current marks what readers see."""
    with open_store().connect() as connection:
        headers, current = reads.list_runs(connection, policy, limit)
    typer.echo(format_run_list(headers, current), nl=False)


@runs_app.command("show")
def show_command(
    run_id: Annotated[int, typer.Argument(help="批次号 / run id")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="主体代码 / one subject's stored rating")
    ] = None,
    subjects: Annotated[
        bool, typer.Option("--subjects", help="列出全部主体 / list every subject (CSV)")
    ] = False,
    unmasked: UnmaskedOption = False,
) -> None:
    """批次详情 / a run's header; with --subject one subject's stored clauses and evidence.

    --subjects lists every subject with natural persons' ID numbers masked, as rate does;
    --unmasked prints them in full (the command needs the store's credentials).
    """
    try:
        with open_store().connect() as connection:
            header = reads.get_run(connection, run_id)
            typer.echo(format_run(header), nl=False)
            if subject is not None:
                rating = reads.stored_rating(connection, header, subject.strip().upper())
                if rating is None:
                    raise NotFoundError(f"批次 {run_id} 中没有 {subject} / {subject} not in run")
                typer.echo(f"{rating.subject_code}  {rating.level.value}")
                for clause in rating.clauses:
                    value = "" if clause.value is None else f" value={clause.value}"
                    refs = f" evidence={','.join(clause.evidence)}" if clause.evidence else ""
                    typer.echo(f"  {clause.clause_id} {clause.status.value}{value}{refs}")
            if subjects:
                shown = _masker(connection, unmasked)
                typer.echo("subject,level,fired,failed")
                for rating in reads.iter_ratings(connection, header):
                    typer.echo(
                        f"{shown(rating.subject_code)},{rating.level.value},"
                        f"{' '.join(rating.fired)},{' '.join(rating.failed)}"
                    )
    except UtilcreditError as error:
        raise fail(error) from error


def _masker(connection: Connection, unmasked: bool) -> Callable[[str], str]:
    """How a subject code is printed: natural persons' ID numbers masked unless asked."""
    if unmasked:
        return str
    natural = natural_person_codes(connection)
    rule = masking_of(get_settings())
    return lambda code: mask_id_number(code, rule) if code in natural else code


@runs_app.command("history")
def history_command(
    code: Annotated[str, typer.Argument(help="主体代码 / the subject's code")],
    policy: Annotated[
        str | None, typer.Option("--policy", "-p", help="政策键 / policy key")
    ] = None,
) -> None:
    """等级变化历史 / a subject's level changes: when, from, to and which clauses moved."""
    with open_store().connect() as connection:
        changes = reads.history(connection, code.strip().upper(), policy)
    typer.echo(format_history(code.strip().upper(), changes), nl=False)


@runs_app.command("transitions")
def transitions_command(
    run_a: Annotated[int, typer.Argument(help="前一批次 / earlier run")],
    run_b: Annotated[int, typer.Argument(help="后一批次 / later run")],
    samples: Annotated[int, typer.Option(min=0, help="每格样例数 / samples per cell")] = 5,
) -> None:
    """等级迁移矩阵 / from-level × to-level counts between two runs."""
    try:
        with open_store().connect() as connection:
            result = reads.transitions(connection, run_a, run_b, samples=samples)
    except UtilcreditError as error:
        raise fail(error) from error
    typer.echo(format_matrix(result, f"runs {run_a} → {run_b}"), nl=False)


@runs_app.command("simulate")
def simulate_command(
    policy: Annotated[
        Path, typer.Option("--policy", "-p", exists=True, help="草案政策文件 / draft policy YAML")
    ],
    against: Annotated[str, typer.Option("--against", help="生产政策键 / production policy key")],
    as_of: AsOfOption = None,
    samples: Annotated[int, typer.Option(min=0, help="每格样例数 / samples per cell")] = 5,
    engine: EngineOption = AUTO,
) -> None:
    """模拟 / rate everyone under a draft policy next to production; stores nothing."""
    try:
        day = parse_as_of(as_of)
        try:
            draft = load_policy_file(policy)
            baseline = load_policy(against, day)
        except PolicyError as error:
            raise InvalidInputError(f"无法加载评级政策 / cannot load policy: {error}") from error
        with open_store().connect() as connection:
            result = whatif.simulate(
                connection, draft, baseline, day, _engine(engine), samples=samples
            )
            connection.rollback()  # read only, whatever an engine may have staged
    except UtilcreditError as error:
        raise fail(error) from error
    typer.echo(format_what_if(result), nl=False)


if __name__ == "__main__":  # pragma: no cover - ``python -m utilcredit.cli.runs``
    runs_app()
