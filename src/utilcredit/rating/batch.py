"""The batch rating contract shared by every engine (reference, DuckDB, SQLite, PostgreSQL).

A batch engine rates a population under one policy as of one date and yields one
:class:`SubjectRating` per subject: the level, each clause's status and measured value, and the
evidence refs of fired clauses. All engines must yield identical ratings for the same store,
policy and date (a differential property test holds them to it); only speed differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection

from utilcredit.policies.model import Level, Policy
from utilcredit.rating.results import ClauseStatus, Evaluation


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
class SubjectRating:
    subject_code: str
    level: Level
    clauses: tuple[ClauseSummary, ...]  # in the policy's clause order

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
    )


class BatchEngine(Protocol):
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
