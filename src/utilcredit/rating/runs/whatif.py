"""What-if: a draft policy against the production one, rated in memory only (nothing is
written, so production ratings and runs are untouched)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Connection

from utilcredit.errors import InvalidInputError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import Level
from utilcredit.rating.batch import BatchEngine
from utilcredit.rating.runs.model import ClauseFrequency, TransitionTally, WhatIf, level_counts
from utilcredit.rating.runs.repository import results

CHUNK = 2000  # subjects rated under both policies at once: bounded memory at any population


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
    ids = sorted(results.population(connection, baseline.policy.utility.value))
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
