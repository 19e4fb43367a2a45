"""The per-subject rows of rating runs: written in bulk straight through the driver, carried
over from a base run, compared with it, counted and read back. Takes a Connection; never
commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, literal, null, or_, select

from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.rating.batch import StoredRow
from utilcredit.rating.runs.model import EncodedRating
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow

_IN_CHUNK = 900  # ids per IN (...) list: below SQLite's default variable limit


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- subjects and their rows ----------------------------------------------------------------


def designation_letters(
    connection: Connection, run_ids: Sequence[int], subject_ids: Sequence[int]
) -> dict[tuple[int, int], str]:
    """``(run id, subject id) → designation letters`` of those subjects in those runs (by the
    results' primary key)."""
    found: dict[tuple[int, int], str] = {}
    wanted = sorted(set(subject_ids))
    for chunk in _chunks(wanted):
        rows = connection.execute(
            select(
                RatingResultRow.run_id, RatingResultRow.subject_id, RatingResultRow.designations
            ).where(
                RatingResultRow.run_id.in_(sorted(set(run_ids))),
                RatingResultRow.subject_id.in_(chunk),
                RatingResultRow.designations.is_not(None),
            )
        )
        found.update(((run_id, sid), letters) for run_id, sid, letters in rows if letters)
    return found


def first_subject_at(connection: Connection, run_id: int, levels: Sequence[str]) -> str | None:
    """The code of the first subject (by id) the run put at one of ``levels``."""
    query = (
        select(SubjectRow.code)
        .join(RatingResultRow, RatingResultRow.subject_id == SubjectRow.id)
        .where(RatingResultRow.run_id == run_id, RatingResultRow.level.in_(levels))
        .order_by(RatingResultRow.subject_id)
        .limit(1)
    )
    return connection.execute(query).scalar()


def ids_of_codes(connection: Connection, codes: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(codes))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = connection.execute(
            select(SubjectRow.code, SubjectRow.id).where(SubjectRow.code.in_(chunk))
        )
        found.update((code, subject_id) for code, subject_id in rows)
    return found


def population(connection: Connection, utility: str) -> set[int]:
    query = select(AccountRow.subject_id).where(AccountRow.utility == utility).distinct()
    return set(connection.execute(query).scalars())


# ---- bulk writes, straight through the driver ----------------------------------------------


def _marks(connection: Connection, count: int) -> str:
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    return ", ".join([mark] * count)


def _executemany(connection: Connection, sql: str, params: Sequence[Sequence[Any]]) -> None:
    if not params:
        return
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def insert_results(connection: Connection, run_id: int, rows: Sequence[StoredRow]) -> None:
    """Rows ``(subject_id, level, statuses, measures, evidence, designations)`` of one run."""
    # the run id written in (an integer of ours), so the rows are bound as the engine gave them
    sql = (
        "INSERT INTO rating_results (run_id, subject_id, level, statuses, measures, evidence, "
        f"designations) VALUES ({int(run_id)}, {_marks(connection, 6)})"
    )
    _executemany(connection, sql, rows)


def insert_changes(
    connection: Connection,
    run_id: int,
    from_run_id: int | None,
    policy_key: str,
    as_of: dt.date,
    rows: Sequence[tuple[int, str | None, str | None, str]],
) -> None:
    """Level changes ``(subject_id, from_level, to_level, cause JSON)`` of one run."""
    sql = (
        "INSERT INTO level_changes (run_id, from_run_id, subject_id, policy_key, as_of, "
        f"from_level, to_level, cause) VALUES ({_marks(connection, 8)})"
    )
    day = as_of.isoformat()
    _executemany(
        connection,
        sql,
        [
            (run_id, from_run_id, sid, policy_key, day, old, new, cause)
            for sid, old, new, cause in rows
        ],
    )


def level_moves(
    connection: Connection, run_id: int, base_run_id: int | None
) -> list[tuple[int, str | None, str, str | None, str]]:
    """``(subject_id, base level, level, base statuses, statuses)`` of the run's rows whose level
    differs from the base run's, or that the base run did not rate (all of them without a base)."""
    mine = RatingResultRow.__table__.alias("mine")
    if base_run_id is None:
        query = select(mine.c.subject_id, null(), mine.c.level, null(), mine.c.statuses)
    else:
        base = RatingResultRow.__table__.alias("base")
        query = (
            select(mine.c.subject_id, base.c.level, mine.c.level, base.c.statuses, mine.c.statuses)
            .outerjoin_from(
                mine,
                base,
                and_(base.c.run_id == base_run_id, base.c.subject_id == mine.c.subject_id),
            )
            .where(or_(base.c.level.is_(None), base.c.level != mine.c.level))
        )
    query = query.where(mine.c.run_id == run_id)
    return [tuple(row) for row in connection.execute(query.order_by(mine.c.subject_id))]


# The columns of a stored rating (:class:`EncodedRating`), after the run and subject ids.
_RATING = ("level", "statuses", "measures", "evidence", "designations")


def _left_behind(run_id: int, base_run_id: int) -> tuple[Any, list[Any]]:
    """The base run's results (aliased ``base``) and the condition on them: rows of subjects
    that ``run_id`` did not rate."""
    base = RatingResultRow.__table__.alias("base")
    mine = RatingResultRow.__table__.alias("mine")
    return base, [
        base.c.run_id == base_run_id,
        ~exists().where(mine.c.run_id == run_id, mine.c.subject_id == base.c.subject_id),
    ]


def _copy(connection: Connection, table: Any, columns: Sequence[str], query: Any) -> int:
    """``INSERT INTO table (columns) SELECT …``; how many rows it wrote."""
    result = connection.execute(insert(table).from_select(list(columns), query))
    return max(result.rowcount, 0)


def carry_over(connection: Connection, base_run_id: int, run_id: int, utility: str) -> int:
    """Copy the base run's rows of subjects not re-rated in ``run_id`` and still rated (have an
    account of the utility); returns how many were copied."""
    base, left_behind = _left_behind(run_id, base_run_id)
    query = select(literal(run_id), base.c.subject_id, *(base.c[name] for name in _RATING)).where(
        *left_behind,
        exists().where(AccountRow.subject_id == base.c.subject_id, AccountRow.utility == utility),
    )
    return _copy(connection, RatingResultRow, ["run_id", "subject_id", *_RATING], query)


def record_departures(
    connection: Connection, base_run_id: int, run_id: int, policy_key: str, as_of: dt.date
) -> int:
    """Level changes ``level → None`` for subjects of the base run no longer rated."""
    base, left_behind = _left_behind(run_id, base_run_id)
    query = select(
        literal(run_id),
        literal(base_run_id),
        base.c.subject_id,
        literal(policy_key),
        literal(as_of),
        base.c.level,
        literal(None),
        literal(None),
    ).where(*left_behind)
    columns = [
        "run_id",
        "from_run_id",
        "subject_id",
        "policy_key",
        "as_of",
        "from_level",
        "to_level",
        "cause",
    ]
    return _copy(connection, LevelChangeRow, columns, query)


def count_levels(connection: Connection, run_id: int) -> dict[str, int]:
    rows = connection.execute(
        select(RatingResultRow.level, func.count())
        .where(RatingResultRow.run_id == run_id)
        .group_by(RatingResultRow.level)
    )
    return {level: int(n) for level, n in rows}


def count_changes(connection: Connection, run_id: int) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                LevelChangeRow.run_id == run_id, LevelChangeRow.from_level.is_not(None)
            )
        ).scalar_one()
    )


_STORED = [getattr(RatingResultRow, name) for name in _RATING]


def iter_results(
    connection: Connection, run_id: int, batch: int = 5000
) -> Iterator[tuple[str, EncodedRating]]:
    """``(subject code, stored row)`` of a run in subject id order, read in keyset pages."""
    after = -1
    while True:
        rows = list(
            connection.execute(
                select(RatingResultRow.subject_id, SubjectRow.code, *_STORED)
                .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
                .where(RatingResultRow.run_id == run_id, RatingResultRow.subject_id > after)
                .order_by(RatingResultRow.subject_id)
                .limit(batch)
            )
        )
        if not rows:
            return
        for row in rows:
            yield row.code, EncodedRating(*row[2:])
        after = rows[-1].subject_id


def result_of(connection: Connection, run_id: int, code: str) -> EncodedRating | None:
    row = connection.execute(
        select(*_STORED)
        .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
        .where(RatingResultRow.run_id == run_id, SubjectRow.code == code)
    ).first()
    return None if row is None else EncodedRating(*row)
