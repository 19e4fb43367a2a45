"""The history of rating runs: a subject's level changes, the transitions between two runs
(counts and sample subjects), and a run's subjects by area. Takes a Connection; never
commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, exists, func, select
from sqlalchemy.sql import Select

from utilcredit.customers.tables import SubjectRow
from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import AreaCount, Cause, LevelChange
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow


def level_history(
    connection: Connection, code: str, policy_key: str | None = None
) -> list[LevelChange]:
    query = (
        select(*LevelChangeRow.__table__.columns, SubjectRow.code.label("subject_code"))
        .join(SubjectRow, SubjectRow.id == LevelChangeRow.subject_id)
        .where(SubjectRow.code == code)
        .order_by(LevelChangeRow.policy_key, LevelChangeRow.run_id)
    )
    if policy_key is not None:
        query = query.where(LevelChangeRow.policy_key == policy_key)
    return [
        LevelChange(
            subject_code=row.subject_code,
            policy_key=row.policy_key,
            run_id=row.run_id,
            from_run_id=row.from_run_id,
            as_of=row.as_of,
            from_level=Level(row.from_level) if row.from_level else None,
            to_level=Level(row.to_level) if row.to_level else None,
            cause=Cause.from_json(row.cause),
        )
        for row in connection.execute(query)
    ]


def transition_counts(
    connection: Connection, run_a: int, run_b: int
) -> dict[tuple[str | None, str | None], int]:
    a = RatingResultRow.__table__.alias("a")
    b = RatingResultRow.__table__.alias("b")
    cells: dict[tuple[str | None, str | None], int] = {}
    both = (
        select(a.c.level, b.c.level, func.count())
        .select_from(a.join(b, and_(b.c.subject_id == a.c.subject_id, b.c.run_id == run_b)))
        .where(a.c.run_id == run_a)
        .group_by(a.c.level, b.c.level)
    )
    for before, after, n in connection.execute(both):
        cells[(before, after)] = int(n)
    for side, other, run, other_run in ((a, b, run_a, run_b), (b, a, run_b, run_a)):
        only = (
            select(side.c.level, func.count())
            .where(
                side.c.run_id == run,
                ~exists().where(
                    other.c.run_id == other_run, other.c.subject_id == side.c.subject_id
                ),
            )
            .group_by(side.c.level)
        )
        for level, n in connection.execute(only):
            key = (level, None) if side is a else (None, level)
            cells[key] = int(n)
    return cells


def transition_samples(
    connection: Connection,
    run_a: int,
    run_b: int,
    before: str | None,
    after: str | None,
    limit: int,
) -> list[str]:
    a = RatingResultRow.__table__.alias("a")
    b = RatingResultRow.__table__.alias("b")
    if before is not None and after is not None:
        query: Select[Any] = (
            select(SubjectRow.code)
            .select_from(a.join(b, and_(b.c.subject_id == a.c.subject_id, b.c.run_id == run_b)))
            .join(SubjectRow, SubjectRow.id == a.c.subject_id)
            .where(a.c.run_id == run_a, a.c.level == before, b.c.level == after)
            .order_by(a.c.subject_id)
        )
    else:
        side, other, run, other_run, level = (
            (a, b, run_a, run_b, before) if after is None else (b, a, run_b, run_a, after)
        )
        query = (
            select(SubjectRow.code)
            .select_from(side.join(SubjectRow, SubjectRow.id == side.c.subject_id))
            .where(
                side.c.run_id == run,
                side.c.level == level,
                ~exists().where(
                    other.c.run_id == other_run, other.c.subject_id == side.c.subject_id
                ),
            )
            .order_by(side.c.subject_id)
        )
    return list(connection.execute(query.limit(limit)).scalars())


def area_counts(connection: Connection, run_id: int) -> list[AreaCount]:
    """The run's subjects by area and level."""
    rows = connection.execute(
        select(SubjectRow.area, RatingResultRow.level, func.count())
        .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
        .where(RatingResultRow.run_id == run_id)
        .group_by(SubjectRow.area, RatingResultRow.level)
    )
    return [AreaCount(area, level, int(count)) for area, level, count in rows]
