"""The batch rating contract shared by every engine (reference, DuckDB, SQLite, PostgreSQL).

A batch engine rates a population under one policy as of one date and yields one
:class:`SubjectRating` per subject: the level, each clause's status and measured value, the
evidence refs of fired clauses, and whether each of the policy's designations holds (held,
failed or unknown, as :func:`~utilcredit.rating.evaluator.evaluate_designation` decides). All
engines must yield identical ratings for the same store, policy and date (a differential
property test holds them to it); only speed differs.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import Connection

from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Policy
from utilcredit.rating.results import ClauseStatus, Evaluation

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ClauseSummary:
    clause_id: str
    level: Level
    status: ClauseStatus
    value: int | None  # count or arrears months; None where the test has no single measure
    evidence: tuple[
        str, ...
    ] = ()  # refs (bill_no, incident_no, report source@date) of fired clauses


@dataclass(frozen=True, slots=True)
class DesignationSummary:
    """Whether a designation (e.g. 守信用电主体) holds: held, failed or unknown."""

    key: str
    status: ClauseStatus


@dataclass(frozen=True, slots=True)
class SubjectRating:
    subject_code: str
    level: Level
    clauses: tuple[ClauseSummary, ...]  # in the policy's clause order
    designations: tuple[DesignationSummary, ...] = ()  # in the policy's designation order
    # The store's id of the subject where the engine read it (the SQL engines do). Not part of
    # the rating, so not compared.
    subject_id: int | None = field(default=None, compare=False)

    @property
    def fired(self) -> tuple[str, ...]:
        return tuple(c.clause_id for c in self.clauses if c.status == ClauseStatus.FIRED)

    @property
    def failed(self) -> tuple[str, ...]:
        """Requirements that do not hold: failed, or unknown for want of data."""
        return tuple(
            c.clause_id
            for c in self.clauses
            if c.status in (ClauseStatus.FAILED, ClauseStatus.UNKNOWN)
            and not c.clause_id.startswith(("Y", "R", "K"))
        )


STATUS_LETTER: dict[ClauseStatus, str] = {
    ClauseStatus.HELD: "H",
    ClauseStatus.FAILED: "X",
    ClauseStatus.FIRED: "F",
    ClauseStatus.CLEAR: "C",
    ClauseStatus.UNKNOWN: "U",
}


def clause_codes(clauses: Sequence[ClauseSummary]) -> tuple[str, str]:
    """``(statuses, measures)``: a status letter per clause, and the measured values comma
    separated (empty where a test has none) — how a run stores them."""
    statuses = "".join(STATUS_LETTER[c.status] for c in clauses)
    measures = ",".join("" if c.value is None else str(c.value) for c in clauses)
    return statuses, measures


def designation_codes(designations: Sequence[DesignationSummary]) -> str | None:
    """A status letter per designation (``H`` held, ``X`` failed, ``U`` unknown) in the
    policy's order — how a run stores them; None for a policy without designations."""
    return "".join(STATUS_LETTER[d.status] for d in designations) or None


def summarize(evaluation: Evaluation) -> SubjectRating:
    """The batch form of a reference evaluation (evidence kept for fired clauses only)."""
    return SubjectRating(
        evaluation.subject_code,
        evaluation.level,
        tuple(
            ClauseSummary(
                result.clause_id,
                result.level,
                result.status,
                result.value,
                tuple(e.ref for e in result.evidence)
                if result.status == ClauseStatus.FIRED
                else (),
            )
            for result in evaluation.clauses
        ),
        tuple(DesignationSummary(d.key, d.status) for d in evaluation.designations),
    )


# What a rating run stores per subject: (subject id, level, statuses, measures, evidence JSON,
# designation letters).
StoredRow = tuple[int, str, str, str, str | None, str | None]


_EVIDENCE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def evidence_json(clauses: Sequence[ClauseSummary]) -> str | None:
    """``{"Y2": ["B001", …]}`` of the clauses with evidence (the fired ones), or None."""
    return evidence_text({c.clause_id: list(c.evidence) for c in clauses if c.evidence})


def evidence_text(shown: dict[str, list[str]]) -> str | None:
    """The stored form of ``{clause id: evidence refs}`` (the clauses with evidence), or None."""
    return _EVIDENCE_JSON.encode(shown) if shown else None


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch streams: a run allocates millions of small
    acyclic objects, and each automatic collection walks the whole heap (measured at 1 M
    subjects: decoding and encoding took twice as long with it on). Reference counting still
    frees everything; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def prefetched(items: Iterator[_T], depth: int = 2) -> Generator[_T, None, None]:
    """``items``, produced by a thread of their own up to ``depth`` ahead, so that the
    consumer's writes (SQLite and PostgreSQL drivers release the GIL while a statement runs)
    overlap the producer's fetching and decoding. The producer's error is raised here; a
    consumer that stops early stops the producer (after the item it is making)."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        outcome: BaseException | None = None
        try:
            for item in items:
                if not put((True, item)):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            outcome = error
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put((False, outcome))

    producer = threading.Thread(target=produce, name="prefetch", daemon=True)
    producer.start()
    try:
        while True:
            more, value = queue.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        producer.join()


class BatchEngine(Protocol):
    """Rates a policy's population. An engine whose ``reads_apart`` is true reads the store
    through a source of its own (Spark) once its rows flow, and waits on it without the GIL,
    so the caller may write through its connection meanwhile (:func:`prefetched`)."""

    name: str

    def rate(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[SubjectRating]:
        """Rate the policy's population (or just ``subject_ids``), in subject id order."""
        ...


@runtime_checkable
class StoringEngine(BatchEngine, Protocol):
    """An engine that can also hand a run its rows as stored, in batches, without building
    ratings (the SQL engines: their query builds the stored columns, so most rows are stored as
    the query gives them)."""

    def stored_batches(
        self,
        connection: Connection,
        policy: Policy,
        as_of: dt.date,
        subject_ids: Sequence[int] | None = None,
    ) -> Iterator[list[StoredRow]]:
        """What :meth:`rate` gives, as :data:`StoredRow` (equal to encoding each rating)."""
        ...
