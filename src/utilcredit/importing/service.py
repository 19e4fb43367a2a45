"""Load one canonical file into the store inside the caller's transaction (never commits).

Rows are converted to parameter rows, checked for duplicate keys within the file, matched to
their parent by natural key and upserted in batches. Every rejected row is returned with its
row number, field and reason; a bad row never stops the good ones.

An import has a *scope*: the utilities its importer may write (``None``: every utility, as
for the CLI). Within a scope a row is rejected when it would touch another utility's data:
its parent (subject, account, bill) is resolved among the visible ones only, so a parent of
another utility reads as unknown; an account must be of a utility in the scope; and a row
whose own natural key names another utility's row (a subject only another utility serves, a
bill of another utility's account …) is rejected, with the same words as an unknown key.
These checks are set-based: one query per batch (none when the store holds no row of the
kind outside the scope), never one per row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Principal
from utilcredit.access.visibility import import_runs_scope
from utilcredit.config import IMPORT_BATCH_ROWS
from utilcredit.customers.model import Utility
from utilcredit.errors import NotFoundError
from utilcredit.importing import fused, pipeline
from utilcredit.importing.formats import KINDS, KindSpec
from utilcredit.importing.keys import FirstRows, Parents
from utilcredit.importing.limits import DEFAULT_LIMITS, ImportLimits
from utilcredit.importing.readers import read_rows
from utilcredit.importing.readers.rows import BrokenRow, Progress, RawRow
from utilcredit.importing.readers.source import SourceFile, estimate_rows
from utilcredit.importing.readers.text import CsvRows, open_csv
from utilcredit.importing.repository import lookups, runs, upserts
from utilcredit.importing.repository.lookups import Scope
from utilcredit.importing.repository.runs import ImportRunLine
from utilcredit.importing.repository.upserts import WritePlan
from utilcredit.importing.validation import RowConverter, fused_fast_ok
from utilcredit.paging import Page

_NAMES = {
    "subjects": ("主体", "subject"),
    "accounts": ("户号", "account"),
    "bills": ("账单", "bill"),
    "payments": ("缴费记录", "payment"),
    "incidents": ("事件", "incident"),
    "reminders": ("催告", "reminder"),
}


@dataclass(frozen=True, slots=True)
class Reject:
    row: int
    field: str | None
    value: str | None
    reason: str


@dataclass(slots=True)
class LoadResult:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field → the file's own header

    @property
    def rejected_rows(self) -> int:
        return len({reject.row for reject in self.rejects})


@dataclass(slots=True)
class _FileState:
    """What one file's load carries from batch to batch."""

    spec: KindSpec
    plan: WritePlan
    converter: RowConverter
    key_positions: tuple[int, ...]  # the kind's natural key among the parameters
    expected_rows: int  # the file's estimated rows (0: unknown)
    # parent natural key → id for this file; a negative id: known not to exist (or, within a
    # scope, not visible)
    parents: Parents = field(default_factory=dict[Any, int])
    fresh: bool = False  # the table was empty when the file began: nothing to conflict with
    scope: Scope = None  # the utilities the importer may write; None: every one
    guard: _Guard | None = None  # row checks within the scope, when the file needs any


@dataclass(frozen=True, slots=True)
class _Guard:
    """The per-batch checks of a scoped import (see the module docstring)."""

    scope: tuple[str, ...]
    utility_position: int | None  # accounts: the row's own utility among the parameters
    hidden_keys: bool  # rows of this kind outside the scope exist: check each batch's keys


def load_file(
    connection: Connection,
    source: SourceFile,
    *,
    allow_list: Collection[str] = (),
    batch_rows: int = IMPORT_BATCH_ROWS,
    progress: Progress | None = None,
    scope: Collection[Utility] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> LoadResult:
    """Load one file; ``scope``: the utilities the importer may write (``None``: all)."""
    spec = KINDS[source.kind]
    plan = upserts.write_plan(connection.dialect.name, source.kind)
    counter: pipeline.ByteCounter | None = None
    if source.file_format == "csv":
        if source.size >= pipeline.WORKER_MIN_BYTES and pipeline.can_fork():
            counter = pipeline.ByteCounter()
        opened = open_csv(source, counter or progress, limits)
        header = opened.header
    else:
        header, rows = read_rows(source, progress, limits)
    expected = estimate_rows(source)
    state = _FileState(
        spec,
        plan,
        RowConverter(spec, plan, header.index_of, allow_list, limits.max_field_chars),
        tuple(plan.sources.index(name) for name in spec.key),
        expected,
    )
    result = LoadResult(ignored_columns=header.ignored, headers=header.names)
    # Keys are unique within the file: into a table empty and held, plain inserts.
    state.fresh = upserts.empty_and_held(connection, spec.kind)
    floor = 0 if state.fresh else upserts.max_id(connection, spec.kind)
    state.scope = lookups.scope_of(scope)
    state.guard = _guard(connection, state, floor)
    if spec.parent:
        _preload_parents(connection, state)
    with upserts.prepared_for_import(connection, spec.kind, plan, fresh=state.fresh):
        if source.file_format == "csv":
            with opened.handle:
                stored, touched = _load_csv(
                    connection, state, opened, counter, batch_rows, result, progress
                )
        else:
            stored, touched = _load_rows(connection, state, rows, batch_rows, result, limits)
    # Counted once per file, not per row: a key lookup per row cost as much as the insert.
    result.inserted = upserts.count_ids_above(connection, spec.kind, floor)
    result.updated = touched - result.inserted
    result.unchanged = stored - touched
    result.rejects.sort(key=_row_of)  # stable: a row's problems keep their order
    return result


def _row_of(reject: Reject) -> int:
    return reject.row


def _guard(connection: Connection, state: _FileState, floor: int) -> _Guard | None:
    """The row checks a scoped file needs, or ``None`` when it needs none beyond resolving
    parents within the scope."""
    scope, kind = state.scope, state.spec.kind
    if scope is None:
        return None
    utility_position = state.plan.sources.index("utility") if kind == "accounts" else None
    hidden = (
        kind in lookups.GUARDED_KINDS and floor > 0 and lookups.any_hidden(connection, kind, scope)
    )
    if utility_position is None and not hidden:
        return None
    return _Guard(scope, utility_position, hidden)


def _screen(
    connection: Connection,
    state: _FileState,
    guard: _Guard,
    rows: list[tuple[int, Sequence[Any]]],
    rejects: list[Reject],
) -> list[tuple[int, Sequence[Any]]]:
    """The rows of a batch the importer may write; the others are rejected."""
    position = guard.utility_position
    if position is not None:
        kept = []
        for row_number, params in rows:
            utility = params[position]
            if utility in guard.scope:
                kept.append((row_number, params))
                continue
            reason = f"业务类型不在本单位范围：{utility} / utility {utility} is not one of your utilities"
            rejects.append(Reject(row_number, "utility", utility, reason))
        rows = kept
    if guard.hidden_keys and rows:
        key = state.key_positions[0]  # guarded kinds have a one-column natural key
        hidden = lookups.hidden_keys(
            connection, state.spec.kind, guard.scope, {params[key] for _, params in rows}
        )
        if hidden:
            chinese, english = _NAMES[state.spec.kind]
            field_name = state.spec.key[0]
            kept = []
            for row_number, params in rows:
                value = params[key]
                if value in hidden:
                    reason = f"没有该{chinese}或不在本单位范围：{value} / unknown {english} {value} or not in your utilities"
                    rejects.append(Reject(row_number, field_name, value, reason))
                else:
                    kept.append((row_number, params))
            rows = kept
    return rows


def _load_csv(
    connection: Connection,
    state: _FileState,
    opened: CsvRows,
    counter: pipeline.ByteCounter | None,
    batch_rows: int,
    result: LoadResult,
    progress: Progress | None,
) -> tuple[int, int]:
    """The CSV hot path: one generated loop per batch (see :mod:`fused`), in a forked worker
    when ``counter`` is given (the file was opened with it), else here."""
    spec, plan = state.spec, state.plan
    header = opened.header
    job = pipeline.Job(
        opened,
        fused.build(
            spec.kind,
            plan,
            tuple(header.index_of.get(source, -1) for source in plan.sources),
            header.width,
            fused_fast_ok(spec, plan) and opened.clean,  # else every row is checked
        ),
        state.converter.convert,
        state.parents,
        batch_rows,
        spec,
        Reject,
        partial(_duplicate, spec),
        # a guarded file needs the row number of each accepted row, to reject it by number
        itemgetter(state.key_positions[0]) if state.guard else None,
        state.expected_rows,
    )
    batches = pipeline.worker_batches(job, counter) if counter else pipeline.local_batches(job)
    stored = touched = 0
    with closing(batches):
        for batch in batches:
            if progress and batch.consumed_bytes:
                progress(batch.consumed_bytes)
            result.rows_read += batch.read
            result.rejects.extend(batch.rejects)
            accepted = batch.accepted
            if state.guard is not None:
                rows: list[tuple[int, Sequence[Any]]] = list(
                    zip(batch.numbers, accepted, strict=True)
                )
                if batch.pending:
                    rows.extend(_attach_parents(connection, state, batch.pending, result.rejects))
                rows = _screen(connection, state, state.guard, rows, result.rejects)
                accepted = [tuple(params) for _, params in rows]
            elif batch.pending:
                accepted.extend(
                    tuple(params)
                    for _, params in _attach_parents(
                        connection, state, batch.pending, result.rejects
                    )
                )
            opened.limits.check_rejects(result.rejects)
            stored += len(accepted)
            touched += upserts.upsert(connection, plan, accepted, fresh=state.fresh)
    return stored, touched


def _load_rows(
    connection: Connection,
    state: _FileState,
    rows: Iterator[RawRow],
    batch_rows: int,
    result: LoadResult,
    limits: ImportLimits,
) -> tuple[int, int]:
    """Any format, row by row (XLSX and JSON Lines carry native values)."""
    first_rows = FirstRows(state.expected_rows)
    stored = touched = 0
    for batch in _batches(rows, batch_rows):
        result.rows_read += len(batch)
        accepted = _accept_rows(state, first_rows, batch, result.rejects)
        if state.spec.parent:
            accepted = _attach_parents(connection, state, accepted, result.rejects)
        screened: list[tuple[int, Sequence[Any]]] = list(accepted)
        if state.guard is not None:
            screened = _screen(connection, state, state.guard, screened, result.rejects)
        limits.check_rejects(result.rejects)
        stored += len(screened)
        touched += upserts.upsert(
            connection, state.plan, [params for _, params in screened], fresh=state.fresh
        )
    return stored, touched


def _preload_parents(connection: Connection, state: _FileState) -> None:
    """Load every parent key at once when the file is likely to touch a good share of them:
    one scan costs far less per key than looking keys up batch by batch."""
    ref = state.spec.parent
    assert ref is not None
    expected = state.expected_rows
    parents = upserts.max_id(connection, ref.kind)
    if expected and parents <= _PRELOAD_RATIO * expected:
        state.parents = lookups.all_parent_ids(
            connection, ref.kind, scope=state.scope, compact=parents > COMPACT_PARENTS
        )


# Preload the parents when there are at most this many per row of the file.
_PRELOAD_RATIO = 4
# Above this many parents they are held compact (keys.ParentIds: under half a dict's memory,
# shared with the CSV worker instead of copied into it, but ~0.6 µs more a lookup and ~1 µs a
# parent to build); a dict of 4 million is ~540 MB in each process, one of 16 million 2.2 GB.
COMPACT_PARENTS = 4_000_000


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _accept_rows(
    state: _FileState, first_row_of_key: FirstRows, batch: list[RawRow], rejects: list[Reject]
) -> list[tuple[int, list[Any]]]:
    accepted = []
    key_positions = state.key_positions
    for row_number, cells in batch:
        if isinstance(cells, BrokenRow):
            rejects.append(Reject(row_number, None, None, cells.reason))
            continue
        params, problems = state.converter.convert(cells)
        if params is None:
            rejects.extend(Reject(row_number, p.field, p.value, p.reason) for p in problems)
            continue
        key = tuple(params[i] for i in key_positions)
        first = first_row_of_key.setdefault(key, row_number)
        if first != row_number:
            rejects.append(_duplicate(state.spec, key, first, row_number))
            continue
        accepted.append((row_number, params))
    return accepted


def _duplicate(spec: KindSpec, key: tuple[Any, ...], first: int, row_number: int) -> Reject:
    shown = ",".join(str(part) for part in key)
    reason = f"文件内键重复，与第{first}行相同（保留第{first}行） / duplicate key within the file, same as row {first} (row {first} kept)"
    return Reject(row_number, ",".join(spec.key), shown, reason)


def _attach_parents(
    connection: Connection,
    state: _FileState,
    accepted: list[tuple[int, list[Any]]],
    rejects: list[Reject],
) -> list[tuple[int, list[Any]]]:
    ref = state.spec.parent
    slot = state.plan.parent_position
    assert ref is not None and slot is not None
    ids = state.parents
    wanted = {params[slot] for _, params in accepted if params[slot] not in ids}
    if wanted:
        found = lookups.parent_ids(connection, ref.kind, wanted, scope=state.scope)
        ids.update(found.items())
        ids.update((key, -1) for key in wanted if key not in found)
    kept = []
    for row_number, params in accepted:
        parent_id = ids[params[slot]]
        if parent_id < 0:
            chinese, english = _NAMES[ref.kind]
            value = params[slot]
            if state.scope is None:
                reason = f"未知的{chinese}：{value}，请先导入{ref.kind} / unknown {english} {value}: import {ref.kind} first"
            else:  # the same words whether it does not exist or is another utility's
                reason = f"没有该{chinese}或不在本单位范围：{value}，请先导入{ref.kind} / unknown {english} {value} or not in your utilities: import {ref.kind} first"
            rejects.append(Reject(row_number, ref.field, value, reason))
            continue
        params[slot] = parent_id
        kept.append((row_number, params))
    return kept


# ---- reading import runs ---------------------------------------------------------------


def import_runs(
    connection: Connection, principal: Principal, *, offset: int, limit: int
) -> Page[ImportRunLine]:
    """The import runs the principal reads (those of its utilities), newest first."""
    return runs.import_runs(
        connection, utilities=import_runs_scope(principal), offset=offset, limit=limit
    )


def import_run(connection: Connection, principal: Principal, run_id: int) -> ImportRunLine:
    """The run if the principal reads one of its utilities; another utility's run is answered
    like an unknown one (404), and audited as a refused access."""
    run = runs.import_run(connection, run_id, utilities=import_runs_scope(principal))
    if run is not None:
        return run
    message = f"没有该导入记录：{run_id} / no import run {run_id}"
    if runs.import_run_exists(connection, run_id):
        raise NotVisibleError(message, entity="import_run", entity_key=str(run_id))
    raise NotFoundError(message)


def rejects_of(
    connection: Connection, run: ImportRunLine
) -> list[tuple[int, str | None, str | None, str]]:
    """The rejected rows of a run already found readable (row, field, value, reason)."""
    return runs.rejects_of(connection, run.id)
