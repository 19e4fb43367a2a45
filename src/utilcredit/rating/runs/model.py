"""Pure types and rules of rating runs (DESIGN "Rating runs are records").

A run rates one policy's population as of one date and is stored as a header (as-of date, policy
key, version and content hash, data watermark, counts per level, duration, status) plus one
compact row per subject. Readers see only the latest *complete* run of a policy as current, so
a run is visible completely or not at all.

The per-subject row is compact because a provincial run holds a million subjects:

* ``statuses``: one letter per clause in the run's clause order (``H`` held, ``X`` failed,
  ``F`` fired, ``C`` clear, ``U`` unknown), e.g. ``HHXUHHUCCFCC…``;
* ``measures``: the clauses' measured values, comma separated, empty where a test has none;
* ``evidence``: JSON ``{"Y2": ["B001", "B002"]}`` of fired clauses' evidence refs, or NULL;
* ``designations``: one letter per designation of the policy in the run's designation order
  (``H`` held, ``X`` failed, ``U`` unknown), e.g. ``HU``; NULL for a policy without any. A
  column of the subject's row rather than a row per (run, subject, designation): one more short
  string in the same bulk insert costs nothing measurable at a million subjects, where a second
  table would mean a second bulk insert as large (and a second index) — see
  ``rating/runs/tables.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from utilcredit.policies.model.levels import Level, level_of_clause_id
from utilcredit.rating.batch import (
    STATUS_LETTER,
    ClauseSummary,
    DesignationSummary,
    SubjectRating,
    clause_codes,
    designation_codes,
    evidence_json,
)
from utilcredit.rating.results import ClauseStatus


class RunStatus(StrEnum):
    RUNNING = "running"  # being written, or the process died (never becomes current)
    COMPLETE = "complete"  # every subject written; the latest one per policy is current
    FAILED = "failed"  # an error stopped it; nothing of it is current


class RunKind(StrEnum):
    FULL = "full"  # the whole population rated
    INCREMENTAL = "incremental"  # only affected subjects re-rated, the rest carried over


_LETTER_STATUS = {letter: status for status, letter in STATUS_LETTER.items()}


@dataclass(frozen=True, slots=True)
class EncodedRating:
    """One subject's stored row (without run and subject ids)."""

    level: str
    statuses: str
    measures: str
    evidence: str | None
    designations: str | None = None  # a letter per designation (runs.model module docstring)


def encode(rating: SubjectRating) -> EncodedRating:
    statuses, measures = clause_codes(rating.clauses)
    # at green or blue nothing fired, so nothing has evidence
    evidence = evidence_json(rating.clauses) if rating.level.is_trigger else None
    designations = designation_codes(rating.designations)
    return EncodedRating(rating.level.value, statuses, measures, evidence, designations)


def decode_designations(
    designation_keys: Sequence[str], letters: str | None
) -> tuple[DesignationSummary, ...]:
    """The stored letters of a run's designations (``designation_keys``, the run's order)."""
    if len(letters or "") != len(designation_keys):
        raise ValueError("stored designations do not match the run's designations")
    return tuple(
        DesignationSummary(key, _LETTER_STATUS[letter])
        for key, letter in zip(designation_keys, letters or "", strict=True)
    )


def designations_held(
    designation_keys: Sequence[str], letters: str | None
) -> list[tuple[str, ClauseStatus]]:
    """``(key, status)`` of the designations that hold or are unknown (failed ones left out);
    none when the letters do not match the keys."""
    if len(letters or "") != len(designation_keys):
        return []
    return [
        (d.key, d.status)
        for d in decode_designations(designation_keys, letters)
        if d.status != ClauseStatus.FAILED
    ]


def decode(
    subject_code: str,
    clause_ids: Sequence[str],
    encoded: EncodedRating,
    designation_keys: Sequence[str] = (),
) -> SubjectRating:
    values = encoded.measures.split(",") if clause_ids else []
    evidence: dict[str, list[str]] = json.loads(encoded.evidence) if encoded.evidence else {}
    if len(encoded.statuses) != len(clause_ids) or len(values) != len(clause_ids):
        raise ValueError(f"stored rating of {subject_code} does not match the run's clauses")
    return SubjectRating(
        subject_code,
        Level(encoded.level),
        tuple(
            ClauseSummary(
                clause_id,
                level_of_clause_id(clause_id),
                _LETTER_STATUS[letter],
                int(value) if value else None,
                tuple(evidence.get(clause_id, ())),
            )
            for clause_id, letter, value in zip(clause_ids, encoded.statuses, values, strict=True)
        ),
        decode_designations(designation_keys, encoded.designations),
    )


def statuses_by_clause(clause_ids: Sequence[str], statuses: str) -> dict[str, str]:
    return dict(zip(clause_ids, statuses, strict=True))


# --------------------------------------------------------------------------------------------
# Level changes: why a subject's level moved between two consecutive runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cause:
    """Clauses whose status moved between two runs; what explains a level change.

    ``fired`` began to fire, ``cleared`` stopped firing, ``unmet`` requirements stopped holding
    (failed or unknown), ``met`` requirements began to hold.
    """

    fired: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    unmet: tuple[str, ...] = ()
    met: tuple[str, ...] = ()
    # The case that made the re-rating (a repair approved, an objection decided), in Chinese;
    # None for scheduled runs, whose changes the clauses alone explain.
    case: str | None = None

    def to_json(self) -> str:
        data: dict[str, list[str] | str] = {k: list(v) for k, v in self._items() if v}
        if self.case:
            data["case"] = self.case
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> Cause:
        data: dict[str, Any] = json.loads(text) if text else {}
        case = data.pop("case", None)
        return cls(**{k: tuple(v) for k, v in data.items()}, case=case)

    def _items(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            ("fired", self.fired),
            ("cleared", self.cleared),
            ("unmet", self.unmet),
            ("met", self.met),
        ]

    def describe_zh(self) -> str:
        labels = {"fired": "新触发", "cleared": "不再触发", "unmet": "不再满足", "met": "转为满足"}
        parts = [f"{labels[k]} {'、'.join(v)}" for k, v in self._items() if v]
        if self.case:
            parts.insert(0, self.case)
        return "；".join(parts) or "—"


def change_cause(before: Mapping[str, str] | None, after: Mapping[str, str] | None) -> Cause:
    """Compare clause status letters (clause id → letter) of one subject in two runs.

    A subject new to the population (``before`` None) is caused by what fires or fails now;
    one that left (``after`` None) has no cause beyond leaving.
    """
    old = before or {}
    new = after or {}

    def was(clause_id: str, letters: str, side: Mapping[str, str]) -> bool:
        return side.get(clause_id, "-") in letters  # "-" (absent) is in no letter set

    ids = list(dict.fromkeys([*new, *old]))
    return Cause(
        fired=tuple(i for i in ids if was(i, "F", new) and not was(i, "F", old)),
        cleared=tuple(i for i in ids if was(i, "F", old) and not was(i, "F", new) and i in new),
        unmet=tuple(i for i in ids if was(i, "XU", new) and not was(i, "XU", old)),
        met=tuple(i for i in ids if was(i, "H", new) and not was(i, "H", old) and i in old),
    )


@dataclass(frozen=True, slots=True)
class LevelChange:
    """One subject's level moving between two consecutive complete runs of a policy.

    ``from_level`` None: first rated (or back in the population); ``to_level`` None: left it.
    """

    subject_code: str
    policy_key: str
    run_id: int
    from_run_id: int | None
    as_of: dt.date
    from_level: Level | None
    to_level: Level | None
    cause: Cause


# --------------------------------------------------------------------------------------------
# Run headers, transitions, what-if
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunHeader:
    id: int
    kind: RunKind
    status: RunStatus
    policy_key: str
    policy_version: str
    policy_sha256: str
    utility: str
    as_of: dt.date
    engine: str
    clause_ids: tuple[str, ...]
    base_run_id: int | None
    watermark: dt.datetime | None
    import_run_id: int | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_ms: int | None
    subjects: int
    rerated: int
    changed: int
    level_counts: dict[str, int]
    error: str | None = None
    designation_keys: tuple[str, ...] = ()  # the order of the per-subject designation letters


def level_counts(levels: Iterable[Level | str]) -> dict[str, int]:
    tally = Counter(Level(level).value for level in levels)
    return {level.value: tally.get(level.value, 0) for level in Level}


CellKey = tuple[Level | None, Level | None]


@dataclass(frozen=True, slots=True)
class Transitions:
    """From-level × to-level counts between two ratings of a population.

    ``None`` on a side: the subject is rated only on the other side (joined or left).
    """

    cells: dict[CellKey, int]
    samples: dict[CellKey, tuple[str, ...]] = field(default_factory=dict)

    def count(self, before: Level | None, after: Level | None) -> int:
        return self.cells.get((before, after), 0)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.cells.items() if a != b)


class TransitionTally:
    """Accumulates transitions one subject at a time, keeping the first ``samples`` per cell."""

    def __init__(self, samples: int = 0) -> None:
        self._cells: Counter[CellKey] = Counter()
        self._samples: dict[CellKey, list[str]] = {}
        self._keep = samples

    def add(self, code: str, before: Level | None, after: Level | None) -> None:
        key = (before, after)
        self._cells[key] += 1
        if before != after and self._keep:
            kept = self._samples.setdefault(key, [])
            if len(kept) < self._keep:
                kept.append(code)

    def result(self) -> Transitions:
        return Transitions(dict(self._cells), {k: tuple(v) for k, v in self._samples.items()})


@dataclass(frozen=True, slots=True)
class ClauseFrequency:
    clause_id: str
    baseline: int | None  # None: the clause is not in the baseline policy
    draft: int | None  # None: not in the draft policy


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Result of rating the population under a draft policy next to the production one."""

    draft_key: str
    draft_version: str
    draft_sha256: str
    baseline_key: str
    baseline_version: str
    as_of: dt.date
    subjects: int
    transitions: Transitions
    clause_frequency: tuple[ClauseFrequency, ...]
    baseline_counts: dict[str, int]
    draft_counts: dict[str, int]


# --------------------------------------------------------------------------------------------
# A subject's current designations, as readers are shown them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CurrentDesignation:
    """A designation the latest complete run of a policy found held (or could not decide:
    ``unknown``, e.g. no credit report to read) for a subject."""

    key: str
    title: str  # the policy's name for it, e.g. 守信用电主体
    status: ClauseStatus  # held or unknown (failed ones are not shown)
    policy_key: str
    as_of: dt.date  # the run's
    run_id: int


# --------------------------------------------------------------------------------------------
# Run statistics read by the API and the console
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaCount:
    """Subjects of a run at one level in one area (``area`` None: none recorded)."""

    area: str | None
    level: str
    count: int


@dataclass(frozen=True, slots=True)
class LevelMove:
    """Subjects that moved from one level to another between two runs (``from_level`` None:
    first rated)."""

    from_level: str | None
    to_level: str
    count: int
