"""Reading rating runs: the current run of a policy, a run and its ratings, a subject's level
history, transitions between runs, and the pages the API and the console show. Nothing here
writes."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import Connection

from utilcredit.errors import NotFoundError
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_version
from utilcredit.rating.batch import SubjectRating
from utilcredit.rating.runs.model import (
    AreaCount,
    CurrentDesignation,
    LevelChange,
    LevelMove,
    RunHeader,
    RunStatus,
    Transitions,
    decode,
    designations_held,
)
from utilcredit.rating.runs.repository import levels, results, run_headers


def current_run(connection: Connection, policy_key: str) -> RunHeader | None:
    return run_headers.current_run(connection, policy_key)


def list_runs(
    connection: Connection, policy_key: str | None = None, limit: int = 50
) -> tuple[list[RunHeader], set[int]]:
    """Recent runs, newest first, and the ids among them that are current for their policy."""
    headers = run_headers.list_runs(connection, policy_key, limit)
    current = {
        run_id
        for key in {h.policy_key for h in headers}
        if (run_id := run_headers.current_run_id(connection, key)) is not None
    }
    return headers, current


def get_run(connection: Connection, run_id: int) -> RunHeader:
    header = run_headers.get_run(connection, run_id)
    if header is None:
        raise NotFoundError(f"没有评级批次 {run_id} / no rating run {run_id}")
    return header


def stored_rating(connection: Connection, header: RunHeader, code: str) -> SubjectRating | None:
    encoded = results.result_of(connection, header.id, code)
    if encoded is None:
        return None
    return decode(code, header.clause_ids, encoded, header.designation_keys)


def iter_ratings(connection: Connection, header: RunHeader) -> Iterator[SubjectRating]:
    for code, encoded in results.iter_results(connection, header.id):
        yield decode(code, header.clause_ids, encoded, header.designation_keys)


def history(connection: Connection, code: str, policy_key: str | None = None) -> list[LevelChange]:
    """The subject's level changes between consecutive complete runs, oldest first.

    Changes written by runs that never completed are left out (they are rolled back with the
    run, but a run marked failed after a partial write would otherwise show).
    """
    changes = levels.level_history(connection, code, policy_key)
    complete = {
        run_id
        for run_id in {c.run_id for c in changes}
        if (h := run_headers.get_run(connection, run_id)) and h.status == RunStatus.COMPLETE
    }
    return [c for c in changes if c.run_id in complete]


def transitions(connection: Connection, run_a: int, run_b: int, *, samples: int = 0) -> Transitions:
    """From-level × to-level counts between two stored runs (with sample codes per changed cell)."""
    get_run(connection, run_a)
    get_run(connection, run_b)
    raw = levels.transition_counts(connection, run_a, run_b)
    cells = {(_level(a), _level(b)): n for (a, b), n in raw.items()}
    found: dict[tuple[Level | None, Level | None], tuple[str, ...]] = {}
    if samples:
        for a, b in raw:
            if a != b:
                found[(_level(a), _level(b))] = tuple(
                    levels.transition_samples(connection, run_a, run_b, a, b, samples)
                )
    return Transitions(cells, found)


def _level(value: str | None) -> Level | None:
    return None if value is None else Level(value)


def _rank(value: str | None) -> int:
    """A level's place best to worst (green 0 … black 4); no level (-1) before all."""
    return -1 if value is None else Level(value).badness


# --------------------------------------------------------------------------------------------
# Reads for the API and the console (readers of some utilities, paged, newest first)
# --------------------------------------------------------------------------------------------

SCAN_LIMIT = 1000  # runs looked at per page request (newest first)


def visible_runs(
    connection: Connection, utilities: Collection[str], *, offset: int, limit: int
) -> list[RunHeader]:
    """Runs of the given utilities (values, e.g. ``water``), newest first, one page of them."""
    allowed = set(utilities)
    headers = run_headers.list_runs(connection, limit=min(SCAN_LIMIT, offset + limit) * 2)
    return [h for h in headers if h.utility in allowed][offset : offset + limit]


def current_designations(
    connection: Connection, subject_ids: Collection[int], utilities: Collection[str]
) -> dict[int, list[CurrentDesignation]]:
    """Per subject, the designations held (or unknown) in the current run of each policy of
    ``utilities`` (values, e.g. ``water``) that rated it, by policy key then in the policy's
    order; subjects with none are left out. Two indexed reads (runs, then results by key)."""
    runs = [h for h in run_headers.current_runs(connection, utilities) if h.designation_keys]
    if not runs or not subject_ids:
        return {}
    letters = results.designation_letters(connection, [h.id for h in runs], list(subject_ids))
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
    return levels.area_counts(connection, run_id)


def moves_into(connection: Connection, run_id: int) -> list[LevelMove]:
    """Subjects whose level changed from the run's base (else the latest earlier complete run
    of its policy) to this run, per from-level and to-level."""
    header = run_headers.get_run(connection, run_id)
    if header is None:
        return []
    earlier = [
        h.id
        for h in run_headers.list_runs(connection, header.policy_key, limit=50)
        if h.id < run_id and h.status == RunStatus.COMPLETE
    ]
    previous = header.base_run_id or (max(earlier) if earlier else None)
    if previous is None:
        return []
    return [
        LevelMove(before, after, count)
        for (before, after), count in sorted(
            levels.transition_counts(connection, previous, run_id).items(),
            # 绿 蓝 黄 红 黑 (never by the levels' names); a newcomer (no level before) first
            key=lambda item: (_rank(item[0][0]), _rank(item[0][1])),
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
