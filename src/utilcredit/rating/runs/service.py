"""Rating-run use cases. Nothing here commits: the caller owns the transactions.

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
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from typing import TypeVar

from sqlalchemy import Connection

from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model import Level, Policy
from utilcredit.policies.service import policy_version
from utilcredit.rating.batch import (
    BatchEngine,
    StoredRow,
    StoringEngine,
    SubjectRating,
    gc_paused,
)
from utilcredit.rating.dates import subtract_years, whole_months_elapsed
from utilcredit.rating.next_change import overdue_window_years, uses_commitments, window_years
from utilcredit.rating.runs import repository
from utilcredit.rating.runs.model import (
    AreaCount,
    ClauseFrequency,
    CurrentDesignation,
    LevelChange,
    LevelMove,
    RunHeader,
    RunKind,
    RunStatus,
    Transitions,
    TransitionTally,
    WhatIf,
    change_cause,
    decode,
    designations_held,
    encode,
    level_counts,
    statuses_by_clause,
)

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
    watermark, import_run_id = repository.data_watermark(connection)
    return repository.insert_run(
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
    header = repository.get_run(connection, run_id)
    if header is None or header.status != RunStatus.RUNNING:
        raise InvalidInputError(
            f"评级批次 {run_id} 不在进行中 / rating run {run_id} is not running"
        )
    policy = loaded.policy
    if header.policy_sha256 != loaded.sha256:
        raise InvalidInputError(f"rating run {run_id} was begun with another policy file")
    base_id = repository.current_run_id(connection, policy.key)
    subject_ids: list[int] | None = None
    if (
        scope is not None
        and scope.subject_ids is not None
        and scope.base is not None
        and scope.base.id == base_id
        and scope.base.designation_keys == header.designation_keys  # the rows carried over
    ):
        rated = repository.population(connection, policy.utility.value)
        subject_ids = sorted(scope.subject_ids & rated)
    kind = RunKind.FULL if subject_ids is None else RunKind.INCREMENTAL

    base = repository.get_run(connection, base_id) if base_id is not None else None
    with gc_paused():
        rows = (
            engine.rate_stored(connection, policy, header.as_of, subject_ids)
            if isinstance(engine, StoringEngine)
            else _stored(connection, engine.rate(connection, policy, header.as_of, subject_ids))
        )
        written = _write_rows(connection, header, base, rows, progress, case)
    if subject_ids is not None and base_id is not None:
        repository.carry_over(connection, base_id, run_id, policy.utility.value)
    if base_id is not None:
        repository.record_departures(connection, base_id, run_id, policy.key, header.as_of)
    counts = repository.count_levels(connection, run_id)
    repository.finish_run(
        connection,
        run_id,
        status=RunStatus.COMPLETE.value,
        kind=kind.value,
        base_run_id=base_id,
        subjects=sum(counts.values()),
        rerated=written,
        changed=repository.count_changes(connection, run_id),
        duration_ms=int((time.perf_counter() - started) * 1000),
        **{f"n_{level.value}": counts.get(level.value, 0) for level in Level},
    )
    done = repository.get_run(connection, run_id)
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
        ids = repository.ids_of_codes(connection, missing) if missing else {}
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
    rows: Iterable[StoredRow],
    progress: Progress | None,
    case: str | None = None,
) -> int:
    """Write ``rows``, then a level change for each subject whose level differs from the base
    run's (or that the base run did not rate)."""
    written = 0
    for batch in _batches(rows, CHUNK):
        repository.insert_results(connection, header.id, batch)
        written += len(batch)
        if progress is not None:
            progress(written)
    _record_changes(connection, header, base, case)
    return written


def _record_changes(
    connection: Connection, header: RunHeader, base: RunHeader | None, case: str | None
) -> None:
    """Level changes of the subjects rated so far in the run, against the base run."""
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

    moves = repository.level_moves(connection, header.id, base_id)
    for start in range(0, len(moves), CHUNK):
        repository.insert_changes(
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


def fail_run(connection: Connection, run_id: int, message: str) -> None:
    repository.finish_run(connection, run_id, status=RunStatus.FAILED.value, error=message[:4000])


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
    base_id = repository.current_run_id(connection, policy.key)
    base = repository.get_run(connection, base_id) if base_id is not None else None
    if base is None:
        return RerateScope(None, None, "no complete run yet: everyone is rated")
    if base.policy_sha256 != loaded.sha256:
        return RerateScope(base, None, "the policy file differs from the current run's")
    if base.watermark is None:
        return RerateScope(base, None, "the current run saw an empty store")
    if base.designation_keys != designation_keys(policy):
        return RerateScope(base, None, "the current run did not store the policy's designations")
    changed = repository.changed_subject_ids(connection, base.watermark - _WATERMARK_MARGIN)
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

    moved = repository.date_moved_subject_ids(
        connection,
        policy.utility.value,
        (lo, hi),
        ranges(window_years(policy, designations=True)),
        ranges(overdue_window_years(policy, designations=True)),
        commitments=uses_commitments(policy, designations=True),
    )
    for subject_id, due in repository.oldest_unpaid_due(
        connection, policy.utility.value, hi
    ).items():
        if whole_months_elapsed(due, lo) != whole_months_elapsed(due, hi):
            moved.add(subject_id)
    return moved


# --------------------------------------------------------------------------------------------
# Reading runs
# --------------------------------------------------------------------------------------------


def current_run(connection: Connection, policy_key: str) -> RunHeader | None:
    run_id = repository.current_run_id(connection, policy_key)
    return None if run_id is None else repository.get_run(connection, run_id)


def list_runs(
    connection: Connection, policy_key: str | None = None, limit: int = 50
) -> tuple[list[RunHeader], set[int]]:
    """Recent runs, newest first, and the ids among them that are current for their policy."""
    headers = repository.list_runs(connection, policy_key, limit)
    current = {
        run_id
        for key in {h.policy_key for h in headers}
        if (run_id := repository.current_run_id(connection, key)) is not None
    }
    return headers, current


def get_run(connection: Connection, run_id: int) -> RunHeader:
    header = repository.get_run(connection, run_id)
    if header is None:
        raise NotFoundError(f"没有评级批次 {run_id} / no rating run {run_id}")
    return header


def stored_rating(connection: Connection, header: RunHeader, code: str) -> SubjectRating | None:
    encoded = repository.result_of(connection, header.id, code)
    if encoded is None:
        return None
    return decode(code, header.clause_ids, encoded, header.designation_keys)


def iter_ratings(connection: Connection, header: RunHeader) -> Iterator[SubjectRating]:
    for code, encoded in repository.iter_results(connection, header.id):
        yield decode(code, header.clause_ids, encoded, header.designation_keys)


def history(connection: Connection, code: str, policy_key: str | None = None) -> list[LevelChange]:
    """The subject's level changes between consecutive complete runs, oldest first.

    Changes written by runs that never completed are left out (they are rolled back with the
    run, but a run marked failed after a partial write would otherwise show).
    """
    changes = repository.level_history(connection, code, policy_key)
    complete = {
        run_id
        for run_id in {c.run_id for c in changes}
        if (h := repository.get_run(connection, run_id)) and h.status == RunStatus.COMPLETE
    }
    return [c for c in changes if c.run_id in complete]


def transitions(connection: Connection, run_a: int, run_b: int, *, samples: int = 0) -> Transitions:
    """From-level × to-level counts between two stored runs (with sample codes per changed cell)."""
    get_run(connection, run_a)
    get_run(connection, run_b)
    raw = repository.transition_counts(connection, run_a, run_b)
    cells = {(_level(a), _level(b)): n for (a, b), n in raw.items()}
    found: dict[tuple[Level | None, Level | None], tuple[str, ...]] = {}
    if samples:
        for a, b in raw:
            if a != b:
                found[(_level(a), _level(b))] = tuple(
                    repository.transition_samples(connection, run_a, run_b, a, b, samples)
                )
    return Transitions(cells, found)


def _level(value: str | None) -> Level | None:
    return None if value is None else Level(value)


# --------------------------------------------------------------------------------------------
# Reads for the API and the console (readers of some utilities, paged, newest first)
# --------------------------------------------------------------------------------------------

SCAN_LIMIT = 1000  # runs looked at per page request (newest first)


def visible_runs(
    connection: Connection, utilities: Collection[str], *, offset: int, limit: int
) -> list[RunHeader]:
    """Runs of the given utilities (values, e.g. ``water``), newest first, one page of them."""
    allowed = set(utilities)
    headers = repository.list_runs(connection, limit=min(SCAN_LIMIT, offset + limit) * 2)
    return [h for h in headers if h.utility in allowed][offset : offset + limit]


def current_designations(
    connection: Connection, subject_ids: Collection[int], utilities: Collection[str]
) -> dict[int, list[CurrentDesignation]]:
    """Per subject, the designations held (or unknown) in the current run of each policy of
    ``utilities`` (values, e.g. ``water``) that rated it, by policy key then in the policy's
    order; subjects with none are left out. Two indexed reads (runs, then results by key)."""
    runs = [h for h in repository.current_runs(connection, utilities) if h.designation_keys]
    if not runs or not subject_ids:
        return {}
    letters = repository.designation_letters(connection, [h.id for h in runs], list(subject_ids))
    found: dict[int, list[CurrentDesignation]] = {}
    for header in runs:
        titles = _designation_titles(header)
        for subject_id in sorted(subject_ids):
            stored = letters.get((header.id, subject_id))
            for key, status in designations_held(header.designation_keys, stored):
                found.setdefault(subject_id, []).append(
                    CurrentDesignation(
                        key,
                        titles.get(key, key),
                        status,
                        header.policy_key,
                        header.as_of,
                        header.id,
                    )
                )
    return found


def _designation_titles(header: RunHeader) -> dict[str, str]:
    """The designations' titles in the run's policy file (that version, as shipped)."""
    loaded = policy_version(header.policy_key, header.policy_version)
    return {} if loaded is None else {d.key: d.title for d in loaded.policy.designations}


def area_counts(connection: Connection, run_id: int) -> list[AreaCount]:
    return repository.area_counts(connection, run_id)


def moves_into(connection: Connection, run_id: int) -> list[LevelMove]:
    """Subjects whose level changed from the run's base (else the latest earlier complete run
    of its policy) to this run, per from-level and to-level."""
    header = repository.get_run(connection, run_id)
    if header is None:
        return []
    earlier = [
        h.id
        for h in repository.list_runs(connection, header.policy_key, limit=50)
        if h.id < run_id and h.status == RunStatus.COMPLETE
    ]
    previous = header.base_run_id or (max(earlier) if earlier else None)
    if previous is None:
        return []
    return [
        LevelMove(before, after, count)
        for (before, after), count in sorted(
            repository.transition_counts(connection, previous, run_id).items(),
            key=lambda item: (str(item[0][0]), str(item[0][1])),
        )
        if after is not None and before != after
    ]


def recent_levels(
    connection: Connection, code: str, policy_key: str, limit: int
) -> list[LevelChange]:
    """The subject's newest ``limit`` level changes under the policy (newest first), as
    :func:`history` has them — with the clauses that moved — leaving out departures."""
    changes = [c for c in history(connection, code, policy_key) if c.to_level is not None]
    return changes[::-1][:limit]


# --------------------------------------------------------------------------------------------
# What-if: a draft policy against the production one, in memory only
# --------------------------------------------------------------------------------------------


def simulate(
    connection: Connection,
    draft: LoadedPolicy,
    baseline: LoadedPolicy,
    as_of: dt.date,
    engine: BatchEngine,
    *,
    samples: int = 5,
    chunk: int = CHUNK,
) -> WhatIf:
    """Rate the population under ``draft`` and ``baseline`` at ``as_of`` and compare them.

    Read only: nothing is written, so production ratings and runs are untouched. Both sides are
    rated from the same store at the same date, so every difference is the policy's. The
    population is rated in chunks of subject ids (bounded memory at any population size).
    """
    if draft.policy.utility != baseline.policy.utility:
        raise InvalidInputError(
            f"草案政策评价{draft.policy.utility.value}，基准政策评价{baseline.policy.utility.value}"
            f" / the draft rates {draft.policy.utility.value} customers, the baseline"
            f" {baseline.policy.utility.value}"
        )
    tally = TransitionTally(samples)
    fired_base: dict[str, int] = {c.id: 0 for c in baseline.policy.clauses}
    fired_draft: dict[str, int] = {c.id: 0 for c in draft.policy.clauses}
    base_levels: Counter[Level] = Counter()
    draft_levels: Counter[Level] = Counter()
    ids = sorted(repository.population(connection, baseline.policy.utility.value))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        before = {r.subject_code: r for r in engine.rate(connection, baseline.policy, as_of, part)}
        for after in engine.rate(connection, draft.policy, as_of, part):
            old = before.pop(after.subject_code, None)
            tally.add(after.subject_code, old.level if old else None, after.level)
            draft_levels[after.level] += 1
            for clause_id in after.fired:
                fired_draft[clause_id] += 1
            if old is not None:
                base_levels[old.level] += 1
                for clause_id in old.fired:
                    fired_base[clause_id] += 1
        for old in before.values():
            tally.add(old.subject_code, old.level, None)
            base_levels[old.level] += 1
            for clause_id in old.fired:
                fired_base[clause_id] += 1
    clause_ids = list(dict.fromkeys([*fired_base, *fired_draft]))
    return WhatIf(
        draft_key=draft.policy.key,
        draft_version=draft.policy.version,
        draft_sha256=draft.sha256,
        baseline_key=baseline.policy.key,
        baseline_version=baseline.policy.version,
        as_of=as_of,
        subjects=len(ids),
        transitions=tally.result(),
        clause_frequency=tuple(
            ClauseFrequency(cid, fired_base.get(cid), fired_draft.get(cid)) for cid in clause_ids
        ),
        baseline_counts=level_counts(base_levels.elements()),
        draft_counts=level_counts(draft_levels.elements()),
    )


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
    base_id = repository.current_run_id(connection, loaded.policy.key)
    base = repository.get_run(connection, base_id) if base_id is not None else None
    if base is None:
        return None
    run_id = begin_run(
        connection, loaded, base.as_of, engine=engine.name, actor=actor, kind=RunKind.INCREMENTAL
    )
    scope = RerateScope(base, frozenset(subject_ids), case)
    return write_run(connection, run_id, loaded, engine, scope=scope, case=case)
