"""Rating-run use cases that write runs. Nothing here commits: the caller owns the transactions.
(Reading runs is :mod:`.reads`; what-if simulations, which write nothing, :mod:`.whatif`.)

Saving a run takes two transactions, so that an interrupted run is visible as such and never
current (the import does the same):

1. :func:`begin_run` writes the header ``running`` with the data watermark — commit;
2. :func:`write_run` rates, writes every subject's row and the level changes, and flips the
   header to ``complete`` — commit. A crash or kill anywhere in 2 rolls all of it back: the
   header stays ``running``, no row of the run exists, and the previous complete run stays
   current. On an error the caller marks the run ``failed`` (:func:`fail_run`) in a new one.

Dynamic re-rating (动态分类管理, SPEC 2.2) writes a run the same way, re-rating only the subjects
that may have moved since the current run (:func:`plan_rerate`) and carrying the others over.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from typing import TypeVar

from sqlalchemy import Connection

from utilcredit.errors import InvalidInputError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.batch import (
    BatchEngine,
    StoredRow,
    StoringEngine,
    SubjectRating,
    gc_paused,
    prefetched,
)
from utilcredit.rating.dates import subtract_years, whole_months_elapsed
from utilcredit.rating.next_change import overdue_window_years, uses_commitments, window_years
from utilcredit.rating.runs.model import (
    RunHeader,
    RunKind,
    RunStatus,
    change_cause,
    encode,
    statuses_by_clause,
)
from utilcredit.rating.runs.repository import changes, results, run_headers

CHUNK = 2000  # subjects per bulk write
_T = TypeVar("_T")
Progress = Callable[[int], None]  # called with the number of subjects written so far


# --------------------------------------------------------------------------------------------
# Saving a run
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RerateScope:
    """Which subjects a new run must re-rate; ``subject_ids`` None means all of them."""

    base: RunHeader | None
    subject_ids: frozenset[int] | None
    reason: str

    @property
    def full(self) -> bool:
        return self.subject_ids is None


def designation_keys(policy: Policy) -> tuple[str, ...]:
    """The order of a run's designation letters: the policy's designations'."""
    return tuple(d.key for d in policy.designations)


def begin_run(
    connection: Connection,
    loaded: LoadedPolicy,
    as_of: dt.date,
    *,
    engine: str,
    actor: str,
    kind: RunKind = RunKind.FULL,
) -> int:
    """Write the run header (``running``) with the data watermark; returns the run id."""
    watermark, import_run_id = changes.data_watermark(connection)
    return run_headers.insert_run(
        connection,
        kind=kind.value,
        policy_key=loaded.policy.key,
        policy_version=loaded.policy.version,
        policy_sha256=loaded.sha256,
        utility=loaded.policy.utility.value,
        as_of=as_of,
        engine=engine,
        clause_ids=[clause.id for clause in loaded.policy.clauses],
        designation_keys=list(designation_keys(loaded.policy)),
        watermark=watermark,
        import_run_id=import_run_id,
        actor=actor,
    )


def write_run(
    connection: Connection,
    run_id: int,
    loaded: LoadedPolicy,
    engine: BatchEngine,
    *,
    scope: RerateScope | None = None,
    progress: Progress | None = None,
    case: str | None = None,
) -> RunHeader:
    """Rate and store every subject of a ``running`` run, then mark it complete.

    Without ``scope`` (or with a full one) the whole population is rated. With a partial scope
    only its subjects are rated and the others are carried over from the scope's base run —
    unless another run became current meanwhile, in which case everyone is rated (the scope was
    worked out against a run that is no longer the base).
    """
    started = time.perf_counter()
    header = run_headers.get_run(connection, run_id)
    if header is None or header.status != RunStatus.RUNNING:
        raise InvalidInputError(
            f"评级批次 {run_id} 不在进行中 / rating run {run_id} is not running"
        )
    policy = loaded.policy
    if header.policy_sha256 != loaded.sha256:
        raise InvalidInputError(f"rating run {run_id} was begun with another policy file")
    base_id = run_headers.current_run_id(connection, policy.key)
    subject_ids: list[int] | None = None
    if (
        scope is not None
        and scope.subject_ids is not None
        and scope.base is not None
        and scope.base.id == base_id
        and scope.base.designation_keys == header.designation_keys  # the rows carried over
    ):
        rated = results.population(connection, policy.utility.value)
        subject_ids = sorted(scope.subject_ids & rated)
    kind = RunKind.FULL if subject_ids is None else RunKind.INCREMENTAL

    base = run_headers.get_run(connection, base_id) if base_id is not None else None
    with gc_paused():
        batches = (
            engine.stored_batches(connection, policy, header.as_of, subject_ids)
            if isinstance(engine, StoringEngine)
            else _batches(
                _stored(connection, engine.rate(connection, policy, header.as_of, subject_ids)),
                CHUNK,
            )
        )
        if getattr(engine, "reads_apart", False):
            batches = prefetched(batches)
        written, newcomers = _write_rows(connection, header, base, batches, progress, case)
    carried = 0
    if subject_ids is not None and base_id is not None:
        carried = results.carry_over(connection, base_id, run_id, policy.utility.value)
    # the base run's subjects that this run rated or carried over: when they are all of them
    # (a run over an unchanged population), no query needs to look for the ones left behind
    if base is not None and base.subjects > written + carried - newcomers:
        results.record_departures(connection, base.id, run_id, policy.key, header.as_of)
    counts = results.count_levels(connection, run_id)
    run_headers.finish_run(
        connection,
        run_id,
        status=RunStatus.COMPLETE.value,
        kind=kind.value,
        base_run_id=base_id,
        subjects=sum(counts.values()),
        rerated=written,
        changed=results.count_changes(connection, run_id),
        duration_ms=int((time.perf_counter() - started) * 1000),
        **{f"n_{level.value}": counts.get(level.value, 0) for level in Level},
    )
    done = run_headers.get_run(connection, run_id)
    assert done is not None
    return done


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _stored(connection: Connection, ratings: Iterable[SubjectRating]) -> Iterator[StoredRow]:
    """Ratings as stored rows, looking up the ids the engine did not give."""
    for batch in _batches(ratings, CHUNK):
        missing = [r.subject_code for r in batch if r.subject_id is None]
        ids = results.ids_of_codes(connection, missing) if missing else {}
        for rating in batch:
            sid = rating.subject_id if rating.subject_id is not None else ids[rating.subject_code]
            encoded = encode(rating)
            yield (
                sid,
                encoded.level,
                encoded.statuses,
                encoded.measures,
                encoded.evidence,
                encoded.designations,
            )


def _write_rows(
    connection: Connection,
    header: RunHeader,
    base: RunHeader | None,
    batches: Iterable[list[StoredRow]],
    progress: Progress | None,
    case: str | None = None,
) -> tuple[int, int]:
    """Write the rows, then a level change for each subject whose level differs from the base
    run's (or that the base run did not rate); how many rows, and how many of those subjects
    the base run did not rate."""
    written = 0
    for batch in batches:
        results.insert_results(connection, header.id, batch)
        written += len(batch)
        if progress is not None:
            progress(written)
    return written, _record_changes(connection, header, base, case)


def _record_changes(
    connection: Connection, header: RunHeader, base: RunHeader | None, case: str | None
) -> int:
    """Level changes of the subjects rated so far in the run, against the base run; how many of
    them the base run did not rate."""
    base_id = base.id if base is not None else None
    base_clauses = base.clause_ids if base is not None else ()
    causes: dict[tuple[str | None, str], str] = {}  # few distinct pairs among many subjects

    def cause_of(old: str | None, new: str) -> str:
        found = causes.get((old, new))
        if found is None:
            cause = change_cause(
                statuses_by_clause(base_clauses, old) if old is not None else None,
                statuses_by_clause(header.clause_ids, new),
            )
            found = replace(cause, case=case).to_json()
            causes[(old, new)] = found
        return found

    moves = results.level_moves(connection, header.id, base_id)
    for start in range(0, len(moves), CHUNK):
        results.insert_changes(
            connection,
            header.id,
            base_id,
            header.policy_key,
            header.as_of,
            [
                (sid, old_level, level, cause_of(old, new))
                for sid, old_level, level, old, new in moves[start : start + CHUNK]
            ],
        )
    return sum(1 for move in moves if move[1] is None)


def fail_run(connection: Connection, run_id: int, message: str) -> None:
    run_headers.finish_run(connection, run_id, status=RunStatus.FAILED.value, error=message[:4000])


# --------------------------------------------------------------------------------------------
# Dynamic re-rating: which subjects may have moved
# --------------------------------------------------------------------------------------------

# Margin under the watermark: SQLite stores timestamps to the second as text, PostgreSQL to the
# microsecond; rows stamped in the watermark's own second are taken as changed (a superset).
_WATERMARK_MARGIN = dt.timedelta(seconds=1)


def plan_rerate(connection: Connection, loaded: LoadedPolicy, as_of: dt.date) -> RerateScope:
    """The subjects a run of ``loaded`` at ``as_of`` must re-rate, given the current run.

    Everyone, when there is no current run or it used another policy file (version or
    content), saw an empty store, or did not store the policy's designations (a run saved
    before runs stored them). Otherwise the union of

    * data changes: subjects with a credit-file row (credit commitments included) updated at
      or after the current run's watermark (imports, corrections, repairs — anything that
      writes ``updated_at``, such as the set-aside marks of the dishonesty-record register);
    * time (only when ``as_of`` differs from the current run's), for the tests of the clauses
      and of the designations' requirements: subjects with a record whose date enters or
      leaves a window of the policy between the two dates, a bill falling due, a payment,
      report or account opening dated between them (or a payment whose day leaves a
      ``no_overdue_in_window`` window), a commitment made, lapsing or ended between them (when
      the policy reads commitments), or whose arrears age by a whole month. This is a
      conservative superset of the subjects whose rating can differ: a record counts in
      "within N years" at D iff D − N years < date ≤ D, so between dates lo < hi only records
      dated in (lo, hi] enter a window and only records dated in (lo − N years, hi − N years]
      leave one; arrears months change only if the oldest unpaid bill crosses a monthly
      anniversary (or payments or new due bills change it, caught above).

    Rows deleted from the credit file leave no ``updated_at`` behind and are not detected here;
    whatever deletes them must re-rate in full.
    """
    policy = loaded.policy
    base = run_headers.current_run(connection, policy.key)
    if base is None:
        return RerateScope(None, None, "no complete run yet: everyone is rated")
    if base.policy_sha256 != loaded.sha256:
        return RerateScope(base, None, "the policy file differs from the current run's")
    if base.watermark is None:
        return RerateScope(base, None, "the current run saw an empty store")
    if base.designation_keys != designation_keys(policy):
        return RerateScope(base, None, "the current run did not store the policy's designations")
    changed = changes.changed_subject_ids(connection, base.watermark - _WATERMARK_MARGIN)
    moved: set[int] = set()
    if as_of != base.as_of:
        moved = subjects_moved_by_time(connection, policy, base.as_of, as_of)
    reason = f"{len(changed)} changed since {base.watermark.isoformat()}"
    if as_of != base.as_of:
        reason += f", {len(moved)} moved by time {base.as_of} → {as_of}"
    return RerateScope(base, frozenset(changed | moved), reason)


def subjects_moved_by_time(
    connection: Connection, policy: Policy, one: dt.date, other: dt.date
) -> set[int]:
    """Subjects whose rating under ``policy`` (level, clauses and designations) may differ
    between two as-of dates with the same data (see :func:`plan_rerate`)."""
    lo, hi = sorted((one, other))

    def ranges(years: set[int]) -> list[tuple[dt.date, dt.date]]:
        return [(subtract_years(lo, n), subtract_years(hi, n)) for n in sorted(years)]

    moved = changes.date_moved_subject_ids(
        connection,
        policy.utility.value,
        (lo, hi),
        ranges(window_years(policy, designations=True)),
        ranges(overdue_window_years(policy, designations=True)),
        commitments=uses_commitments(policy, designations=True),
    )
    for subject_id, due in changes.oldest_unpaid_due(connection, policy.utility.value, hi).items():
        if whole_months_elapsed(due, lo) != whole_months_elapsed(due, hi):
            moved.add(subject_id)
    return moved


def rerate_subjects(
    connection: Connection,
    loaded: LoadedPolicy,
    subject_ids: Iterable[int],
    engine: BatchEngine,
    *,
    actor: str,
    case: str,
) -> RunHeader | None:
    """Re-rate a few subjects at once, in the caller's transaction, after a case changed what
    counts (a record repaired, corrected or removed); ``case`` is kept as the cause of their
    level changes. The run is as of the current run's date, so the rows it carries over for
    everybody else stay consistent; None when the policy has no current run yet.
    """
    base = run_headers.current_run(connection, loaded.policy.key)
    if base is None:
        return None
    run_id = begin_run(
        connection, loaded, base.as_of, engine=engine.name, actor=actor, kind=RunKind.INCREMENTAL
    )
    scope = RerateScope(base, frozenset(subject_ids), case)
    return write_run(connection, run_id, loaded, engine, scope=scope, case=case)
