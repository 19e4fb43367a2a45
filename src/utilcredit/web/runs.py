"""Console pages of the rating runs (评级运行): the list with the form that starts a run, a run
with its subjects, and the comparison of two runs (the transitions matrix, each count linking
to the subjects that moved).

Starting a run is the CLI's ``utilcredit runs save`` from the console: the same two
transactions (the header ``running``, then every subject, the level changes, the queued
notices and ``complete``), so an interrupted run shows as such and never becomes current. It
needs the import permission (the people who load the data re-rate it) for the policy's utility.
The request returns once the header is written; the rating runs in a thread of its own (a
million subjects take seconds), and the run's page refreshes itself while the run is running.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine

from utilcredit.access import audit_trail
from utilcredit.access.model import AccessDeniedError, Permission, Principal
from utilcredit.config import Settings
from utilcredit.creditfile import lists
from utilcredit.errors import FieldInvalidError
from utilcredit.http.deps import AppSettings, Db, Importer, Reader, engine_of
from utilcredit.http.params import MAX_ID, NO_NUL, masking
from utilcredit.localtime import SHANGHAI, today
from utilcredit.notices import planning
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import Level, in_level_order
from utilcredit.policies.service import policy_at, shipped
from utilcredit.rating.batch import BatchEngine
from utilcredit.rating.runs import reads as rating_runs
from utilcredit.rating.runs import service as run_service
from utilcredit.rating.runs.model import Transitions
from utilcredit.rating.sql.choice import AUTO, choose_engine
from utilcredit.web.i18n import LANG_COOKIE, Translator, language
from utilcredit.web.listing import choice, policy_label, query_string
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)
_log = logging.getLogger(__name__)

PAGE = 20
STATUS_LABELS = {
    "running": ("进行中", "Running"),
    "complete": ("已完成", "Complete"),
    "failed": ("失败", "Failed"),
}
KIND_LABELS = {"full": ("全量评级", "Full"), "incremental": ("动态重评", "Re-rating")}
NONE = "none"  # a matrix side for "not rated in that run"

RunId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
LevelParam = Annotated[str, Query(max_length=8, pattern=NO_NUL)]


def _translator(request: Request) -> Translator:
    return Translator(language(request.cookies.get(LANG_COOKIE)))


def local_time(value: dt.datetime | None, t: Translator) -> str:
    """A stored instant in Asia/Shanghai, its zone said (``2026-12-01 21:49（北京时间）``)."""
    if value is None:
        return "—"
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    shown = aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return t.pick(f"{shown}（北京时间）", f"{shown} (UTC+8)")


def _labels(request: Request) -> dict[str, Any]:
    """What every runs page uses to name things in the page's language."""
    t = _translator(request)
    return {
        "status_label": lambda value: t.pick(*STATUS_LABELS.get(value, (value, value))),
        "kind_label": lambda value: t.pick(*KIND_LABELS.get(value, (value, value))),
        "policy_label": lambda key: policy_label(t, key),
        "local_time": lambda value: local_time(value, t),
        "in_level_order": in_level_order,
        "qs": query_string,
    }


def _startable(principal: Principal) -> list[LoadedPolicy]:
    """The shipped policies (latest versions) the principal may start a run of."""
    latest: dict[str, LoadedPolicy] = {}
    for item in shipped():
        if principal.may_write_utility(item.policy.utility):
            latest[item.key] = item
    return [latest[key] for key in sorted(latest)]


# ---- the list, and starting a run ------------------------------------------------------------


@router.get("/runs")
def runs_page(request: Request, connection: Db, principal: Reader, offset: Offset = 0) -> Response:
    readable = {u.value for u in principal.readable_utilities}
    runs = rating_runs.visible_runs(connection, readable, offset=offset, limit=PAGE + 1)
    return render(
        request,
        "runs.html",
        {
            "runs": runs[:PAGE],
            "has_more": len(runs) > PAGE,
            "offset": offset,
            "page_size": PAGE,
            "startable": _startable(principal) if principal.can(Permission.IMPORT) else [],
            "today": today(),
            **_labels(request),
        },
    )


@router.post("/runs")
def start_run(
    request: Request,
    principal: Importer,
    settings: AppSettings,
    policy: Annotated[str, Form(max_length=64, pattern=NO_NUL)],
    as_of: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    day = _day(as_of)
    loaded = policy_at(policy, day)
    if not principal.may_write_utility(loaded.policy.utility):
        raise AccessDeniedError(
            "无权评定该供应类型的客户 / you may not rate this utility's customers",
            entity="rating_run",
            entity_key=loaded.key,
        )
    store = engine_of(request)
    run_id, batch = _begin(store, loaded, day, principal)
    threading.Thread(
        target=_write, args=(store, settings, loaded, run_id, batch), name=f"run-{run_id}"
    ).start()
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _day(value: str) -> dt.date:
    if not value:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FieldInvalidError("as_of", f"日期无效：{value} / invalid date {value}") from None


@contextmanager
def _writing(store: Engine) -> Iterator[Connection]:
    """As ``cli/runs.py``: on PostgreSQL a repeatable-read snapshot, so the run reads one
    consistent store however long it takes."""
    options = {"isolation_level": "REPEATABLE READ"} if store.dialect.name == "postgresql" else {}
    with store.connect().execution_options(**options) as connection, connection.begin():
        yield connection


def _begin(
    store: Engine, loaded: LoadedPolicy, day: dt.date, principal: Principal
) -> tuple[int, BatchEngine]:
    """The run's header (``running``) and its audit entry, committed; the engine to rate with."""
    with store.begin() as connection:
        batch = choose_engine(AUTO, connection)
        run_id = run_service.begin_run(
            connection, loaded, day, engine=batch.name, actor=principal.username
        )
        audit_trail.record(
            connection,
            actor=principal.username,
            action="start_rating_run",
            entity="rating_run",
            entity_key=str(run_id),
            detail={"policy": loaded.key, "as_of": day.isoformat()},
            utilities=[loaded.policy.utility],
        )
    return run_id, batch


def _write(
    store: Engine, settings: Settings, loaded: LoadedPolicy, run_id: int, batch: BatchEngine
) -> None:
    """Rate and write a begun run (in its own thread); a failure marks it failed, with the
    error the run's page shows."""
    try:
        with _writing(store) as connection:
            run_service.write_run(connection, run_id, loaded, batch)
            # in the run's own transaction: the notices exist exactly when the run does
            planning.plan_run(connection, run_id, sending=planning.Sending.of(settings.notices))
    except BaseException as error:  # the run is then visibly failed, never current
        with store.begin() as connection:
            run_service.fail_run(connection, run_id, f"{type(error).__name__}: {error}")
        if not isinstance(error, Exception):
            raise
        _log.exception("rating run %d failed", run_id)


# ---- comparing two runs ----------------------------------------------------------------------


def _side(field: str, value: str) -> str | None:
    """A matrix side from the address: a level, or ``none`` (not rated in that run)."""
    if value == NONE:
        return None
    level = choice(field, value, Level)
    if level is None:
        raise FieldInvalidError(field, f"缺少等级 / missing level for {field}")
    return level.value


def _axes(transitions: Transitions) -> tuple[list[Level | None], list[Level | None]]:
    """The matrix's rows (from-level) and columns (to-level), 绿 蓝 黄 红 黑, then "not rated"
    on a side where some subject was rated in one run only."""
    rows: list[Level | None] = list(Level)
    columns: list[Level | None] = list(Level)
    if any(before is None for before, _ in transitions.cells):
        rows.append(None)
    if any(after is None for _, after in transitions.cells):
        columns.append(None)
    return rows, columns


@router.get("/runs/compare")
def compare_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    a: Annotated[int, Query(ge=1, le=MAX_ID)],
    b: Annotated[int, Query(ge=1, le=MAX_ID)],
    before: Annotated[str, Query(alias="from", max_length=8, pattern=NO_NUL)] = "",
    after: Annotated[str, Query(alias="to", max_length=8, pattern=NO_NUL)] = "",
    offset: Offset = 0,
) -> Response:
    first, second, transitions = lists.compare_runs(connection, principal, a, b)
    rows, columns = _axes(transitions)
    moved: list[lists.RunSubject] = []
    moved_total = 0
    if before or after:
        moved, moved_total = lists.moved_subjects(
            connection,
            principal,
            a,
            b,
            _side("from", before or NONE),
            _side("to", after or NONE),
            offset=offset,
            limit=PAGE,
            rule=masking(settings),
        )
    return render(
        request,
        "runs_compare.html",
        {
            "first": first,
            "second": second,
            "transitions": transitions,
            "rows": rows,
            "columns": columns,
            "none": NONE,
            "before": before,
            "after": after,
            "moved": moved,
            "moved_total": moved_total,
            "offset": offset,
            "page_size": PAGE,
            **_labels(request),
        },
    )


# ---- one run and its subjects ----------------------------------------------------------------


@router.get("/runs/{run_id}")
def run_page(
    request: Request,
    run_id: RunId,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    level: LevelParam = "",
    offset: Offset = 0,
) -> Response:
    chosen = choice("level", level, Level)
    header, subjects, total = lists.run_subjects(
        connection,
        principal,
        run_id,
        None if chosen is None else chosen.value,
        offset=offset,
        limit=PAGE,
        rule=masking(settings),
    )
    return render(
        request,
        "run.html",
        {
            "run": header,
            "previous": lists.previous_run(connection, header),
            "subjects": subjects,
            "total": total,
            "level": level,
            "offset": offset,
            "page_size": PAGE,
            **_labels(request),
        },
    )
