"""Every query of rating runs: headers, bulk writes of per-subject rows, history, transitions, and
the subject selections of dynamic re-rating. Nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.sql import Select

from utilcredit.customers.tables import (
    AccountRow,
    BillRow,
    CommitmentRow,
    CreditReportRow,
    IncidentRow,
    PaymentRow,
    ReminderRow,
    SubjectRow,
)
from utilcredit.importing.tables import ImportRunRow
from utilcredit.policies.model import Level
from utilcredit.rating.batch import StoredRow
from utilcredit.rating.runs.model import (
    AreaCount,
    Cause,
    EncodedRating,
    LevelChange,
    RunHeader,
    RunKind,
    RunStatus,
)
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow, RatingRunRow
from utilcredit.rating.sql import incremental

_IN_CHUNK = 900  # ids per IN (...) list: below SQLite's default variable limit

CREDIT_FILE_TABLES: tuple[Any, ...] = (
    SubjectRow,
    AccountRow,
    BillRow,
    PaymentRow,
    IncidentRow,
    ReminderRow,
    CreditReportRow,
    CommitmentRow,
)

# An import run still ``running`` this long after the newest change is taken as a dead process
# (killed mid-file; its rows were rolled back), not as an import about to commit.
STALE_IMPORT = dt.timedelta(days=1)


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive UTC (CURRENT_TIMESTAMP); PostgreSQL aware datetimes.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------
# Watermark
# --------------------------------------------------------------------------------------------


def data_watermark(connection: Connection) -> tuple[dt.datetime | None, int | None]:
    """(watermark, latest finished import run id) at this moment.

    The watermark is the instant before which every credit-file change is visible: the newest
    ``updated_at`` over the credit-file tables, moved back to the start of any import still in
    flight (on PostgreSQL ``now()`` is a transaction's start, so an import committing later can
    carry older timestamps than rows already visible).
    """
    newest: dt.datetime | None = None
    for table in CREDIT_FILE_TABLES:
        value = _as_aware(connection.execute(select(func.max(table.updated_at))).scalar())
        if value is not None and (newest is None or value > newest):
            newest = value
    import_run_id = connection.execute(
        select(func.max(ImportRunRow.id)).where(ImportRunRow.status == "done")
    ).scalar()
    if newest is not None:
        in_flight = _as_aware(
            connection.execute(
                select(func.min(ImportRunRow.started_at)).where(
                    ImportRunRow.status == "running",
                    ImportRunRow.started_at > newest - STALE_IMPORT,
                )
            ).scalar()
        )
        if in_flight is not None and in_flight < newest:
            newest = in_flight
    return newest, import_run_id


# --------------------------------------------------------------------------------------------
# Run headers
# --------------------------------------------------------------------------------------------


def insert_run(connection: Connection, **values: Any) -> int:
    result = connection.execute(
        insert(RatingRunRow)
        .values(status=RunStatus.RUNNING.value, **values)
        .returning(RatingRunRow.id)
    )
    return int(result.scalar_one())


def update_run(connection: Connection, run_id: int, **values: Any) -> None:
    connection.execute(update(RatingRunRow).where(RatingRunRow.id == run_id).values(**values))


def finish_run(connection: Connection, run_id: int, **values: Any) -> None:
    update_run(connection, run_id, finished_at=func.now(), **values)


def current_run_id(connection: Connection, policy_key: str) -> int | None:
    """The latest complete run of the policy: what every reader sees as current."""
    return connection.execute(
        select(func.max(RatingRunRow.id)).where(
            RatingRunRow.policy_key == policy_key,
            RatingRunRow.status == RunStatus.COMPLETE.value,
        )
    ).scalar()


_RUNS = select(*RatingRunRow.__table__.columns)


def _header(row: Any) -> RunHeader:
    return RunHeader(
        id=row.id,
        kind=RunKind(row.kind),
        status=RunStatus(row.status),
        policy_key=row.policy_key,
        policy_version=row.policy_version,
        policy_sha256=row.policy_sha256,
        utility=row.utility,
        as_of=row.as_of,
        engine=row.engine,
        clause_ids=tuple(row.clause_ids),
        designation_keys=tuple(row.designation_keys or ()),
        base_run_id=row.base_run_id,
        watermark=_as_aware(row.watermark),
        import_run_id=row.import_run_id,
        started_at=_as_aware(row.started_at),
        finished_at=_as_aware(row.finished_at),
        duration_ms=row.duration_ms,
        subjects=row.subjects or 0,
        rerated=row.rerated or 0,
        changed=row.changed or 0,
        level_counts={level.value: getattr(row, f"n_{level.value}") or 0 for level in Level},
        error=row.error,
    )


def current_runs(connection: Connection, utilities: Collection[str]) -> list[RunHeader]:
    """The current run (latest complete) of every policy of ``utilities`` that has one, by
    policy key."""
    latest = (
        select(func.max(RatingRunRow.id))
        .where(
            RatingRunRow.status == RunStatus.COMPLETE.value,
            RatingRunRow.utility.in_(sorted(utilities)),
        )
        .group_by(RatingRunRow.policy_key)
    )
    query = _RUNS.where(RatingRunRow.id.in_(latest)).order_by(RatingRunRow.policy_key)
    return [_header(row) for row in connection.execute(query)]


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


def get_run(connection: Connection, run_id: int) -> RunHeader | None:
    row = connection.execute(_RUNS.where(RatingRunRow.id == run_id)).first()
    return None if row is None else _header(row)


def list_runs(
    connection: Connection, policy_key: str | None = None, limit: int = 50
) -> list[RunHeader]:
    query = _RUNS.order_by(RatingRunRow.id.desc()).limit(limit)
    if policy_key is not None:
        query = query.where(RatingRunRow.policy_key == policy_key)
    return [_header(row) for row in connection.execute(query)]


# --------------------------------------------------------------------------------------------
# Subjects
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Per-subject rows (bulk, straight through the driver)
# --------------------------------------------------------------------------------------------


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
    sql = (
        "INSERT INTO rating_results (run_id, subject_id, level, statuses, measures, evidence, "
        f"designations) VALUES ({_marks(connection, 7)})"
    )
    _executemany(connection, sql, [(run_id, *row) for row in rows])


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


def carry_over(connection: Connection, base_run_id: int, run_id: int, utility: str) -> int:
    """Copy the base run's rows of subjects not re-rated in ``run_id`` and still rated (have an
    account of the utility); returns how many were copied."""
    base = RatingResultRow.__table__.alias("base")
    mine = RatingResultRow.__table__.alias("mine")
    query = select(
        literal(run_id),
        base.c.subject_id,
        base.c.level,
        base.c.statuses,
        base.c.measures,
        base.c.evidence,
        base.c.designations,
    ).where(
        base.c.run_id == base_run_id,
        ~exists().where(mine.c.run_id == run_id, mine.c.subject_id == base.c.subject_id),
        exists().where(AccountRow.subject_id == base.c.subject_id, AccountRow.utility == utility),
    )
    result = connection.execute(
        insert(RatingResultRow).from_select(
            [
                "run_id",
                "subject_id",
                "level",
                "statuses",
                "measures",
                "evidence",
                "designations",
            ],
            query,
        )
    )
    return max(result.rowcount, 0)


def record_departures(
    connection: Connection, base_run_id: int, run_id: int, policy_key: str, as_of: dt.date
) -> int:
    """Level changes ``level → None`` for subjects of the base run no longer rated."""
    base = RatingResultRow.__table__.alias("base")
    mine = RatingResultRow.__table__.alias("mine")
    query = select(
        literal(run_id),
        literal(base_run_id),
        base.c.subject_id,
        literal(policy_key),
        literal(as_of),
        base.c.level,
        literal(None),
        literal(None),
    ).where(
        base.c.run_id == base_run_id,
        ~exists().where(mine.c.run_id == run_id, mine.c.subject_id == base.c.subject_id),
    )
    result = connection.execute(
        insert(LevelChangeRow).from_select(
            [
                "run_id",
                "from_run_id",
                "subject_id",
                "policy_key",
                "as_of",
                "from_level",
                "to_level",
                "cause",
            ],
            query,
        )
    )
    return max(result.rowcount, 0)


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


def iter_results(
    connection: Connection, run_id: int, batch: int = 5000
) -> Iterator[tuple[str, EncodedRating]]:
    """``(subject code, stored row)`` of a run in subject id order, read in keyset pages."""
    after = -1
    while True:
        rows = list(
            connection.execute(
                select(
                    RatingResultRow.subject_id,
                    SubjectRow.code,
                    RatingResultRow.level,
                    RatingResultRow.statuses,
                    RatingResultRow.measures,
                    RatingResultRow.evidence,
                    RatingResultRow.designations,
                )
                .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
                .where(RatingResultRow.run_id == run_id, RatingResultRow.subject_id > after)
                .order_by(RatingResultRow.subject_id)
                .limit(batch)
            )
        )
        if not rows:
            return
        for r in rows:
            yield (
                r.code,
                EncodedRating(r.level, r.statuses, r.measures, r.evidence, r.designations),
            )
        after = rows[-1].subject_id


def result_of(connection: Connection, run_id: int, code: str) -> EncodedRating | None:
    row = connection.execute(
        select(
            RatingResultRow.level,
            RatingResultRow.statuses,
            RatingResultRow.measures,
            RatingResultRow.evidence,
            RatingResultRow.designations,
        )
        .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
        .where(RatingResultRow.run_id == run_id, SubjectRow.code == code)
    ).first()
    if row is None:
        return None
    return EncodedRating(row.level, row.statuses, row.measures, row.evidence, row.designations)


# --------------------------------------------------------------------------------------------
# History and transitions
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Dynamic re-rating: who may have moved
# --------------------------------------------------------------------------------------------


def changed_subject_ids(connection: Connection, since: dt.datetime) -> set[int]:
    """Subjects with any credit-file row updated at or after ``since`` (all utilities)."""
    parts = [
        select(SubjectRow.id).where(SubjectRow.updated_at >= since),
        select(AccountRow.subject_id).where(AccountRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .where(BillRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(BillRow, BillRow.account_id == AccountRow.id)
        .join(PaymentRow, PaymentRow.bill_id == BillRow.id)
        .where(PaymentRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(IncidentRow, IncidentRow.account_id == AccountRow.id)
        .where(IncidentRow.updated_at >= since),
        select(AccountRow.subject_id)
        .join(ReminderRow, ReminderRow.account_id == AccountRow.id)
        .where(ReminderRow.updated_at >= since),
        select(CreditReportRow.subject_id).where(CreditReportRow.updated_at >= since),
        select(CommitmentRow.subject_id).where(CommitmentRow.updated_at >= since),
    ]
    return set(connection.execute(union(*parts)).scalars())


def date_moved_subject_ids(
    connection: Connection,
    utility: str,
    entering: tuple[dt.date, dt.date],
    leaving: Sequence[tuple[dt.date, dt.date]],
    settlements_leaving: Sequence[tuple[dt.date, dt.date]] = (),
    *,
    commitments: bool = False,
) -> set[int]:
    """Subjects of a utility with a record whose date enters or leaves a window between two
    as-of dates (:func:`utilcredit.rating.sql.incremental.moved_by_dates`)."""
    query = incremental.moved_by_dates(
        utility, entering, leaving, settlements_leaving, commitments=commitments
    )
    return set(connection.execute(query).scalars())


def oldest_unpaid_due(connection: Connection, utility: str, at: dt.date) -> dict[int, dt.date]:
    """Per subject of a utility, the due date of its oldest bill overdue and unpaid at ``at``
    (:func:`utilcredit.rating.sql.incremental.oldest_unpaid_due`)."""
    query = incremental.oldest_unpaid_due(utility, at)
    return {int(row[0]): row[1] for row in connection.execute(query)}


def area_counts(connection: Connection, run_id: int) -> list[AreaCount]:
    """The run's subjects by area and level."""
    rows = connection.execute(
        select(SubjectRow.area, RatingResultRow.level, func.count())
        .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
        .where(RatingResultRow.run_id == run_id)
        .group_by(SubjectRow.area, RatingResultRow.level)
    )
    return [AreaCount(area, level, int(count)) for area, level, count in rows]
