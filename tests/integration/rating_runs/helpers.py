"""Shared steps of the rating-run tests: save a run as the CLI does, and what the evaluator says."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from utilcredit.customers.repository import iter_credit_files
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.rating.batch import BatchEngine, SubjectRating, summarize
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.runs import reads, service
from utilcredit.rating.runs.model import RunHeader
from utilcredit.rating.runs.repository.changes import CREDIT_FILE_TABLES
from utilcredit.rating.sql.engines import ReferenceEngine


def save(
    engine: Engine,
    loaded: LoadedPolicy,
    as_of: dt.date,
    *,
    rerate: bool = False,
    batch: BatchEngine | None = None,
) -> RunHeader:
    """Begin (commit), then rate, write and complete (commit): the two transactions of a run."""
    with engine.begin() as connection:
        run_id = service.begin_run(connection, loaded, as_of, engine="reference", actor="test")
    with engine.begin() as connection:
        scope = service.plan_rerate(connection, loaded, as_of) if rerate else None
        return service.write_run(
            connection, run_id, loaded, batch or ReferenceEngine(), scope=scope
        )


def expected(engine: Engine, loaded: LoadedPolicy, as_of: dt.date) -> dict[str, SubjectRating]:
    """Every subject of the population rated afresh by the reference evaluator."""
    with engine.connect() as connection:
        return {
            f.subject.code: summarize(evaluate(f, loaded.policy, as_of))
            for f in iter_credit_files(connection, loaded.policy.utility)
        }


def stored(engine: Engine, run_id: int) -> dict[str, SubjectRating]:
    with engine.connect() as connection:
        header = reads.get_run(connection, run_id)
        return {r.subject_code: r for r in reads.iter_ratings(connection, header)}


def age_store(engine: Engine) -> int:
    """Date every credit-file row's ``updated_at`` back to 2026-01-01, as if imported long ago,
    except one water subject's row stamped 2026-06-01: the newest change, which sets the next run's
    watermark. Returns that subject's id.

    (Rows stamped in the watermark's own second count as changed for the next re-rating — SQLite
    timestamps are to the second — so with every row in one second everyone would be.)
    """
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"

        def stamp(text_form: str) -> object:  # SQLite keeps CURRENT_TIMESTAMP's text form
            return (
                dt.datetime.fromisoformat(text_form).replace(tzinfo=dt.UTC)
                if postgres
                else text_form
            )

        for table in CREDIT_FILE_TABLES:
            connection.execute(
                text(f"UPDATE {table.__tablename__} SET updated_at = :stamp"),
                {"stamp": stamp("2026-01-01 00:00:00")},
            )
        newest = int(
            connection.execute(
                text("SELECT min(subject_id) FROM accounts WHERE utility = 'water'")
            ).scalar_one()
        )
        connection.execute(
            text("UPDATE subjects SET updated_at = :stamp WHERE id = :id"),
            {"stamp": stamp("2026-06-01 00:00:00"), "id": newest},
        )
    return newest
