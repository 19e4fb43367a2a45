"""Rating use cases over the store (read-only: nothing here writes or commits): rating one
subject or a population, and the dashboard's level distributions."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal, require
from utilcredit.config import ConsoleSettings
from utilcredit.customers import repository as credit_files
from utilcredit.customers.model import UTILITY_ZH, CreditFile
from utilcredit.errors import NotFoundError
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.model.levels import in_level_order
from utilcredit.policies.model.policy import Policy
from utilcredit.policies.service import policy_at
from utilcredit.rating.evaluator import evaluate
from utilcredit.rating.next_change import NextChange, next_change
from utilcredit.rating.results import Evaluation
from utilcredit.rating.runs import reads as runs


def rate_population(connection: Connection, policy: Policy, as_of: dt.date) -> Iterator[Evaluation]:
    """Every subject with an account of the policy's utility, rated as of ``as_of``."""
    for credit_file in credit_files.iter_credit_files(connection, policy.utility):
        yield evaluate(credit_file, policy, as_of)


def rate_subject(connection: Connection, code: str, policy: Policy, as_of: dt.date) -> Evaluation:
    return evaluate(_credit_file(connection, code, policy), policy, as_of)


def explain_subject(
    connection: Connection, code: str, policy: Policy, as_of: dt.date
) -> tuple[Evaluation, NextChange]:
    """The evaluation, and when the level will improve if nothing new happens."""
    credit_file = _credit_file(connection, code, policy)
    evaluation = evaluate(credit_file, policy, as_of)
    return evaluation, next_change(credit_file, policy, as_of, evaluation)


def _credit_file(connection: Connection, code: str, policy: Policy) -> CreditFile:
    credit_file = credit_files.get_credit_file(connection, code, policy.utility)
    if credit_file is None:
        raise NotFoundError(f"没有该主体：{code} / no subject with code {code}")
    if not credit_file.accounts:
        raise NotFoundError(
            f"{code} 没有{UTILITY_ZH[policy.utility]}账户，不属于 {policy.key} 的评价对象"
            f" / {code} has no {policy.utility.value} account, so {policy.key} does not rate it"
        )
    return credit_file


@dataclass(frozen=True, slots=True)
class Distribution:
    utility: str
    policy_key: str
    as_of: dt.date
    source: str  # "run:<id>", "live" or "too_large"
    subjects: int
    by_level: dict[str, int]
    by_area: dict[str, dict[str, int]]

    def __post_init__(self) -> None:
        # Levels best to worst (绿 蓝 黄 红 黑) for every reader, whatever the source's order.
        object.__setattr__(self, "by_level", in_level_order(self.by_level))
        ordered = {area: in_level_order(counts) for area, counts in self.by_area.items()}
        object.__setattr__(self, "by_area", ordered)


_cache: dict[tuple[str, str, dt.date], tuple[float, Distribution]] = {}
_cache_lock = threading.Lock()
CACHE_SECONDS = 60.0


def _live_distribution(
    connection: Connection, loaded: LoadedPolicy, as_of: dt.date, limit: int
) -> Distribution:
    utility = loaded.policy.utility
    key = (loaded.key, loaded.version, as_of)
    with _cache_lock:
        cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    population = credit_files.count_subjects_of(connection, utility)
    if population > limit:
        return Distribution(utility.value, loaded.key, as_of, "too_large", population, {}, {})
    by_level: Counter[str] = Counter()
    by_area: dict[str, Counter[str]] = {}
    for credit in credit_files.iter_credit_files(connection, utility):
        level = evaluate(credit, loaded.policy, as_of).level.value
        area = credit.subject.area or (credit.accounts[0].area if credit.accounts else None) or "—"
        by_level[level] += 1
        by_area.setdefault(area, Counter())[level] += 1
    result = Distribution(
        utility.value,
        loaded.key,
        as_of,
        "live",
        population,
        dict(by_level),
        {area: dict(counts) for area, counts in sorted(by_area.items())},
    )
    with _cache_lock:
        _cache[key] = (time.monotonic(), result)
    return result


def distributions(
    connection: Connection, principal: Principal, as_of: dt.date, console: ConsoleSettings
) -> list[Distribution]:
    """Level distribution per readable utility (its configured policy): from the policy's
    current rating run (its latest complete one) when it has one, else computed live for
    populations up to the configured size.

    The run's header holds the level counts and one grouped query gives the areas, so the
    dashboard costs a few indexed reads however many runs there are; a run that is still
    running or failed is never shown (its counts are partial or none)."""
    require(principal, Permission.READ, entity="statistics")
    found: list[Distribution] = []
    for utility in sorted(principal.readable_utilities):
        key = console.default_policies.get(utility.value)
        if not key:
            continue
        run = runs.current_run(connection, key)
        if run is not None and run.utility == utility.value:
            by_area: dict[str, dict[str, int]] = {}
            for item in runs.area_counts(connection, run.id):
                by_area.setdefault(item.area or "—", {})[item.level] = item.count
            found.append(
                Distribution(
                    utility.value,
                    key,
                    run.as_of,
                    f"run:{run.id}",
                    run.subjects,
                    dict(run.level_counts),
                    by_area,
                )
            )
            continue
        loaded = policy_at(key, as_of)
        found.append(_live_distribution(connection, loaded, as_of, console.live_stats_max_subjects))
    return found
