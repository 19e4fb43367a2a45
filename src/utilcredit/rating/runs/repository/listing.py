"""Lists of subjects with their saved levels: the customer list (filters, sorting, count), a
run's subjects, and the subjects that moved between two runs. Takes a Connection; never
commits.

A subject's level here is its level in the current (latest complete) run of each policy the
list covers: what every reader sees as saved, not a live rating. A subject rated under two
policies (water and power) has two levels; the list filters on either and sorts on the worse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    exists,
    func,
    select,
)

from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.identifiers import subject_ref
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import RunHeader, RunStatus
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow, RatingRunRow

Rows: TypeAlias = "Select[*tuple[Any, ...]]"  # a query of subjects' columns

# Levels as numbers, best (0) to worst (4): sorting by level sorts 绿 蓝 黄 红 黑, never by name.
BADNESS = {level.value: level.badness for level in Level}
EXPORT_CHUNK = 1000  # rows read at a time while an export streams


class SortKey(StrEnum):
    CODE = "code"
    NAME = "name"
    LEVEL = "level"  # the worse saved level, 绿 … 黑
    CHANGED = "changed"  # the latest level change


@dataclass(frozen=True, slots=True)
class SubjectFilter:
    """What a list keeps. ``match`` is the text search's condition (``customers.pages``)."""

    match: ColumnElement[bool] | None = None
    levels: frozenset[str] = frozenset()
    area: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class SavedLevel:
    """A subject's level in one policy's current run."""

    policy_key: str
    utility: str
    level: str
    run_id: int


@dataclass(frozen=True, slots=True)
class ListedSubject:
    id: int
    code: str
    kind: str
    name: str
    area: str | None
    utilities: tuple[str, ...]
    levels: tuple[SavedLevel, ...]
    changed_on: dt.date | None

    @property
    def ref(self) -> str:
        """What URLs name the subject by (``id-<n>`` for a natural person)."""
        return subject_ref(self.id, self.code, self.kind)


def _badness(level: Any) -> Any:
    return case(BADNESS, value=level)


def _visible(utilities: Collection[str]) -> ColumnElement[bool]:
    return exists().where(
        AccountRow.subject_id == SubjectRow.id, AccountRow.utility.in_(sorted(utilities))
    )


def _base_query(run_ids: Sequence[int], utilities: Collection[str], chosen: SubjectFilter) -> Rows:
    """The subjects the list keeps, unsorted: what it counts."""
    query: Rows = select(
        SubjectRow.id, SubjectRow.code, SubjectRow.kind, SubjectRow.name, SubjectRow.area
    ).where(_visible(utilities))
    return _filtered(query, list(run_ids), chosen)


def _worst(run_ids: Sequence[int]) -> Any:
    """Per subject, its worse level in the runs as a number (for sorting by level)."""
    return (
        select(
            RatingResultRow.subject_id.label("subject_id"),
            func.max(_badness(RatingResultRow.level)).label("badness"),
        )
        .where(RatingResultRow.run_id.in_(list(run_ids)))
        .group_by(RatingResultRow.subject_id)
        .subquery("worst")
    )


def _changed(runs: Sequence[RunHeader], subject_ids: Sequence[int] | None = None) -> Rows:
    """Per subject, the date of its latest level change in the complete runs of the runs'
    policies (departures left out): all subjects, or ``subject_ids``."""
    complete = select(RatingRunRow.id).where(
        RatingRunRow.status == RunStatus.COMPLETE.value,
        RatingRunRow.policy_key.in_(sorted({r.policy_key for r in runs})),
    )
    query: Rows = select(
        LevelChangeRow.subject_id.label("subject_id"),
        func.max(LevelChangeRow.as_of).label("changed_on"),
    ).where(LevelChangeRow.run_id.in_(complete), LevelChangeRow.to_level.is_not(None))
    if subject_ids is not None:
        query = query.where(LevelChangeRow.subject_id.in_(list(subject_ids)))
    return query.group_by(LevelChangeRow.subject_id)


def _list_query(
    runs: Sequence[RunHeader], utilities: Collection[str], chosen: SubjectFilter, sort: SortKey
) -> Rows:
    """The list in its order. Only a sort by level or by change joins the per-subject
    aggregates over the runs' results: the code and name sorts read the subjects alone.
    Unrated and unchanged subjects go last (``IS NULL`` first: the same on SQLite and
    PostgreSQL), then the code keeps the order stable for paging."""
    run_ids = [r.id for r in runs]
    query = _base_query(run_ids, utilities, chosen)
    if sort is SortKey.LEVEL:
        worst = _worst(run_ids)
        query = query.outerjoin(worst, worst.c.subject_id == SubjectRow.id)
        return query.order_by(worst.c.badness.is_(None), worst.c.badness, SubjectRow.code)
    if sort is SortKey.CHANGED:
        changed = _changed(runs).subquery("changed")
        query = query.outerjoin(changed, changed.c.subject_id == SubjectRow.id)
        on = changed.c.changed_on
        return query.order_by(on.is_(None), on.desc(), SubjectRow.code)
    if sort is SortKey.NAME:
        return query.order_by(SubjectRow.name, SubjectRow.code)
    return query.order_by(SubjectRow.code)


def _filtered(query: Rows, run_ids: list[int], chosen: SubjectFilter) -> Rows:
    if chosen.match is not None:
        query = query.where(chosen.match)
    if chosen.levels:
        at_level = select(RatingResultRow.subject_id).where(
            RatingResultRow.run_id.in_(run_ids),
            RatingResultRow.level.in_(sorted(chosen.levels)),
        )
        query = query.where(SubjectRow.id.in_(at_level))
    if chosen.area:
        query = query.where(SubjectRow.area == chosen.area)
    if chosen.kind:
        query = query.where(SubjectRow.kind == chosen.kind)
    return query


def list_subjects(
    connection: Connection,
    runs: Sequence[RunHeader],
    utilities: Collection[str],
    chosen: SubjectFilter,
    sort: SortKey,
    *,
    offset: int,
    limit: int,
) -> tuple[list[ListedSubject], int]:
    """One page of the subjects of ``utilities`` (values) that ``chosen`` keeps, with their
    levels in ``runs`` (current runs), and how many there are in all."""
    query = _list_query(runs, utilities, chosen, sort)
    counted = _base_query([r.id for r in runs], utilities, chosen).subquery()
    total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
    rows = list(connection.execute(query.offset(offset).limit(limit)))
    return _listed(connection, rows, runs, utilities), int(total)


def iter_subjects(
    connection: Connection,
    runs: Sequence[RunHeader],
    utilities: Collection[str],
    chosen: SubjectFilter,
    sort: SortKey,
) -> Iterator[ListedSubject]:
    """Every subject :func:`list_subjects` would page through, read in chunks (an export)."""
    query = _list_query(runs, utilities, chosen, sort)
    result = connection.execution_options(yield_per=EXPORT_CHUNK).execute(query)
    for rows in result.partitions():
        yield from _listed(connection, list(rows), runs, utilities)


def _listed(
    connection: Connection,
    rows: Sequence[Any],
    runs: Sequence[RunHeader],
    utilities: Collection[str],
) -> list[ListedSubject]:
    ids = [row.id for row in rows]
    levels = saved_levels(connection, ids, runs)
    utilities_of = _utilities_of(connection, ids, utilities)
    changed: dict[int, dt.date] = (
        {r.subject_id: r.changed_on for r in connection.execute(_changed(runs, ids))}
        if ids and runs
        else {}
    )
    return [
        ListedSubject(
            row.id,
            row.code,
            row.kind,
            row.name,
            row.area,
            utilities_of.get(row.id, ()),
            tuple(levels.get(row.id, ())),
            changed.get(row.id),
        )
        for row in rows
    ]


def saved_levels(
    connection: Connection, subject_ids: Sequence[int], runs: Sequence[RunHeader]
) -> dict[int, list[SavedLevel]]:
    """Per subject, its level in each of ``runs``, in the order of ``runs``."""
    if not subject_ids or not runs:
        return {}
    by_id = {r.id: r for r in runs}
    found: dict[tuple[int, int], str] = {
        (subject_id, run_id): level
        for subject_id, run_id, level in connection.execute(
            select(RatingResultRow.subject_id, RatingResultRow.run_id, RatingResultRow.level).where(
                RatingResultRow.run_id.in_(list(by_id)),
                RatingResultRow.subject_id.in_(list(subject_ids)),
            )
        )
    }
    levels: dict[int, list[SavedLevel]] = {}
    for subject_id in subject_ids:
        for run in runs:
            level = found.get((subject_id, run.id))
            if level is not None:
                levels.setdefault(subject_id, []).append(
                    SavedLevel(run.policy_key, run.utility, level, run.id)
                )
    return levels


def _utilities_of(
    connection: Connection, subject_ids: Sequence[int], utilities: Collection[str]
) -> dict[int, tuple[str, ...]]:
    if not subject_ids:
        return {}
    found: dict[int, set[str]] = {}
    for subject_id, utility in connection.execute(
        select(AccountRow.subject_id, AccountRow.utility).where(
            AccountRow.subject_id.in_(list(subject_ids)),
            AccountRow.utility.in_(sorted(utilities)),
        )
    ):
        found.setdefault(subject_id, set()).add(utility)
    return {key: tuple(sorted(value)) for key, value in found.items()}


def list_areas(connection: Connection, utilities: Collection[str]) -> list[str]:
    """The areas of the subjects of ``utilities`` (values), for a filter's choices."""
    query = (
        select(SubjectRow.area)
        .where(SubjectRow.area.is_not(None), _visible(utilities))
        .distinct()
        .order_by(SubjectRow.area)
    )
    return [area for area in connection.execute(query).scalars() if area]


# ---- a run's subjects, and the subjects that moved between two runs -------------------------


@dataclass(frozen=True, slots=True)
class RunSubject:
    id: int
    code: str
    kind: str
    name: str
    area: str | None
    level: str | None  # in the run (the later one of a comparison); None: not rated in it
    before: str | None = None  # in the earlier run of a comparison

    @property
    def ref(self) -> str:
        return subject_ref(self.id, self.code, self.kind)


def run_subjects(
    connection: Connection, run_id: int, level: str | None, *, offset: int, limit: int
) -> tuple[list[RunSubject], int]:
    """One page of the run's subjects (at ``level`` if given), by code, and their number."""
    conditions = [RatingResultRow.run_id == run_id]
    if level is not None:
        conditions.append(RatingResultRow.level == level)
    total = connection.execute(
        select(func.count()).select_from(RatingResultRow).where(*conditions)
    ).scalar_one()
    query = (
        select(
            SubjectRow.id,
            SubjectRow.code,
            SubjectRow.kind,
            SubjectRow.name,
            SubjectRow.area,
            RatingResultRow.level,
        )
        .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
        .where(*conditions)
        .order_by(SubjectRow.code)
        .offset(offset)
        .limit(limit)
    )
    found = [
        RunSubject(r.id, r.code, r.kind, r.name, r.area, r.level) for r in connection.execute(query)
    ]
    return found, int(total)


def moved_subjects(
    connection: Connection,
    run_a: int,
    run_b: int,
    before: str | None,
    after: str | None,
    *,
    offset: int,
    limit: int,
) -> tuple[list[RunSubject], int]:
    """One page of the subjects at ``before`` in run ``run_a`` and at ``after`` in ``run_b``
    (``None``: not rated in that run), by code, and their number."""
    a = RatingResultRow.__table__.alias("a")
    b = RatingResultRow.__table__.alias("b")
    joined = SubjectRow.__table__.outerjoin(
        a, and_(a.c.subject_id == SubjectRow.id, a.c.run_id == run_a)
    ).outerjoin(b, and_(b.c.subject_id == SubjectRow.id, b.c.run_id == run_b))
    conditions = [
        a.c.level.is_(None) if before is None else a.c.level == before,
        b.c.level.is_(None) if after is None else b.c.level == after,
        # rated in at least one of them (both None would list every other subject)
        (a.c.subject_id.is_not(None)) | (b.c.subject_id.is_not(None)),
    ]
    total = connection.execute(
        select(func.count()).select_from(joined).where(*conditions)
    ).scalar_one()
    query = (
        select(
            SubjectRow.id,
            SubjectRow.code,
            SubjectRow.kind,
            SubjectRow.name,
            SubjectRow.area,
            b.c.level.label("after"),
            a.c.level.label("before"),
        )
        .select_from(joined)
        .where(*conditions)
        .order_by(SubjectRow.code)
        .offset(offset)
        .limit(limit)
    )
    found = [
        RunSubject(r.id, r.code, r.kind, r.name, r.area, r.after, r.before)
        for r in connection.execute(query)
    ]
    return found, int(total)
