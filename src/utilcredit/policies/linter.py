"""Policy linter: schema errors with line numbers, then sound checks of the rules themselves.

``check(path)`` returns findings, each with a severity:

* **error** — the file cannot be used (YAML or schema error, unknown incident kind, empty bounds,
  a trigger that fires for everyone);
* **warning** — the file loads but a rule will not do what it seems to (a clause shadowed by a
  worse one, a gap that falls to the fallback level, an unreachable level, a filter on an
  attribute the incident kind never carries);
* **info** — worth knowing (ranges of two levels overlap, so the worse level wins there; an
  alternative inside a clause is implied by another one).

The rule checks use :mod:`utilcredit.policies.analysis`, which reasons over the general clause
types (interval containment on the same measure), never over clause ids or city names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from utilcredit.customers.model import IncidentKind, Utility
from utilcredit.policies.analysis import (
    Atom,
    Interval,
    atom_of,
    branches,
    complement,
    conjuncts,
    describe_intervals,
    guaranteed_range,
    implies,
    intersect,
    is_tautology,
    measure_within,
    subtract,
)
from utilcredit.policies.model.conditions import REPORT_TEST_TYPES, ClauseTest, IncidentCountTest
from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.policy import Clause, Policy, iter_tests


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    code: str
    message: str
    source: str
    line: int | None = None
    clause_id: str | None = None

    def format(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        clause = f" [{self.clause_id}]" if self.clause_id else ""
        return f"{where}: {self.severity.value} {self.code}{clause}: {self.message}"


Loc = tuple[int | str, ...]


# ------------------------------------------------------------------------------------------
# Line numbers: walk the composed YAML node tree along a pydantic error location
# ------------------------------------------------------------------------------------------


def _child(node: yaml.Node, step: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                found: yaml.Node = value
                return found
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        child: yaml.Node = node.value[step]
        return child
    return None


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the deepest YAML node reachable along ``loc``.

    Steps that are not YAML keys (pydantic adds the union tag, e.g. ``incident_count``) are
    skipped; a missing key stops at its parent mapping, which is where the fix goes.
    """
    if root is None:
        return None
    node = root
    for step in loc:
        child = _child(node, step)
        if child is not None:
            node = child
    return int(node.start_mark.line) + 1


# ------------------------------------------------------------------------------------------
# Schema stage
# ------------------------------------------------------------------------------------------

_KNOWN_KINDS = ", ".join(kind.value for kind in IncidentKind)


def _schema_finding(error: ErrorDetails, root: yaml.Node | None, source: str) -> Finding:
    loc: Loc = tuple(error["loc"])
    where = ".".join(str(step) for step in loc)
    if error["type"] == "enum" and "kinds" in loc:
        message = (
            f"unknown incident kind {error['input']!r} at {where}; known kinds: {_KNOWN_KINDS}"
        )
        return Finding(Severity.ERROR, "unknown-kind", message, source, line_of(root, loc))
    message = f"{where}: {error['msg']}" if where else error["msg"]
    return Finding(Severity.ERROR, "schema", message, source, line_of(root, loc))


def _parse(data: bytes, source: str) -> tuple[yaml.Node | None, object, list[Finding]]:
    try:
        root = yaml.compose(data, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(data)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        return None, None, [Finding(Severity.ERROR, "yaml", str(error.problem), source, line)]
    except yaml.YAMLError as error:
        return None, None, [Finding(Severity.ERROR, "yaml", str(error), source)]
    return root, raw, []


# ------------------------------------------------------------------------------------------
# Rule stage
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    policy: Policy
    root: yaml.Node | None
    source: str

    def clause_loc(self, clause: Clause) -> Loc:
        return ("clauses", self.policy.clauses.index(clause))

    def finding(
        self,
        severity: Severity,
        code: str,
        message: str,
        clause: Clause | None = None,
        extra_loc: Loc = (),
    ) -> Finding:
        loc = (*self.clause_loc(clause), *extra_loc) if clause is not None else ()
        line = line_of(self.root, loc) if clause is not None else None
        return Finding(severity, code, message, self.source, line, clause.id if clause else None)


def _worse_triggers(policy: Policy, clause: Clause) -> list[Clause]:
    return [
        other
        for other in policy.clauses
        if other.level.is_trigger and other.level.badness > clause.level.badness
    ]


def _check_tautologies(ctx: _Context) -> Iterator[Finding]:
    for clause in ctx.policy.clauses:
        if clause.level.is_trigger and is_tautology(clause.test):
            yield ctx.finding(
                Severity.ERROR,
                "always-fires",
                f"fires for every customer (bounds start at 0 with no maximum); "
                f"everyone would be {clause.level.value}",
                clause,
            )


def _check_shadowed(ctx: _Context) -> Iterator[Finding]:
    for clause in ctx.policy.clauses:
        if not clause.level.is_trigger:
            continue
        for worse in _worse_triggers(ctx.policy, clause):
            if implies(clause.test, worse.test):
                yield ctx.finding(
                    Severity.WARNING,
                    "shadowed",
                    f"whenever {clause.id} fires, {worse.id} ({worse.level.value}) fires too, so "
                    f"{clause.id} never decides the level",
                    clause,
                )
                break


def _atoms_with_paths(test: ClauseTest) -> list[tuple[Atom, Loc]]:
    """Atoms of a test and their location below the clause's ``test`` key (any_of branches only)."""
    found: list[tuple[Atom, Loc]] = []
    for index, branch in enumerate(branches(test)):
        atom = atom_of(branch)
        if atom is not None:
            found.append((atom, ("test", "tests", index) if len(branches(test)) > 1 else ("test",)))
    return found


def _overlap(a: Atom, b: Atom) -> str | None:
    """Describe where two atoms are both true, when they count the same thing (up to one range)."""
    same = measure_within(a.measure, b.measure) and measure_within(b.measure, a.measure)
    counts = intersect((a.lo, a.hi), (b.lo, b.hi))
    if counts is None:
        return None
    if same:
        return f"{a.measure.describe()} {describe_intervals([counts])}"
    for attribute in ("amount", "asset_class"):
        a_rest, b_rest = a.measure.without(attribute), b.measure.without(attribute)
        if a_rest == b_rest and a.measure != b.measure:
            shared = _shared_range(a, b, attribute)
            if shared is not None:
                return (
                    f"{a_rest.describe()} {describe_intervals([counts])} with {attribute} {shared}"
                )
    return None


def _shared_range(a: Atom, b: Atom, attribute: str) -> str | None:
    if attribute == "asset_class":
        ra, rb = a.measure.asset_class, b.measure.asset_class
        if ra is None or rb is None or ra.scale_key != rb.scale_key:
            return None
        lows = [v for v in (ra.min, rb.min) if v is not None]
        highs = [v for v in (ra.max, rb.max) if v is not None]
        low, high = (max(lows) if lows else None), (min(highs) if highs else None)
        if low is not None and high is not None and low > high:
            return None
        if low is not None and low == high:
            return f"{ra.scale}{low}"
        return f"{ra.scale}{low if low is not None else ''}–{high if high is not None else ''}"
    aa, ab = a.measure.amount, b.measure.amount
    if aa is None or ab is None:
        return None
    probes = [v[0] for v in (aa.lower, aa.upper, ab.lower, ab.upper) if v is not None]
    shared = sorted({p for p in probes if aa.contains(p) and ab.contains(p)})
    return f"{shared[0]}" if shared else None


def _check_overlaps(ctx: _Context) -> Iterator[Finding]:
    for clause in ctx.policy.clauses:
        if not clause.level.is_trigger or implies_any_worse(ctx.policy, clause):
            continue  # fully shadowed clauses are reported as such
        for worse in _worse_triggers(ctx.policy, clause):
            for atom, path in _atoms_with_paths(clause.test):
                for other, _ in _atoms_with_paths(worse.test):
                    where = _overlap(atom, other)
                    if where is not None:
                        yield ctx.finding(
                            Severity.INFO,
                            "overlap",
                            f"overlaps {worse.id} ({worse.level.value}) at {where}; "
                            f"the worse level wins there",
                            clause,
                            path,
                        )


def implies_any_worse(policy: Policy, clause: Clause) -> bool:
    return any(implies(clause.test, worse.test) for worse in _worse_triggers(policy, clause))


def _check_redundant_branches(ctx: _Context) -> Iterator[Finding]:
    for clause in ctx.policy.clauses:
        alternatives = branches(clause.test)
        for j, branch in enumerate(alternatives):
            for i, other in enumerate(alternatives):
                if i != j and implies(branch, other) and not (implies(other, branch) and j < i):
                    yield ctx.finding(
                        Severity.INFO,
                        "redundant-branch",
                        f"alternative {j + 1} is implied by alternative {i + 1} of the same clause",
                        clause,
                        ("test", "tests", j),
                    )
                    break


def _trustworthy_level(policy: Policy) -> Level | None:
    """The last level a customer can reach without any trigger: blue, else green."""
    for level in (Level.BLUE, Level.GREEN):
        if level in policy.levels and policy.clauses_of(level):
            return level
    return None


def _guaranteed_cover(policy: Policy, measure_atom: Atom) -> list[Interval]:
    covered: list[Interval] = []
    for trigger in policy.clauses:
        if not trigger.level.is_trigger:
            continue
        for branch in branches(trigger.test):
            atom = atom_of(branch)
            if atom is None:
                continue
            interval = guaranteed_range(atom, measure_atom.measure)
            if interval is not None:
                covered.append(interval)
    return covered


def _check_gaps(ctx: _Context) -> Iterator[Finding]:
    level = _trustworthy_level(ctx.policy)
    if level is None:
        return
    fallback = ctx.policy.fallback_level.value
    for clause in ctx.policy.clauses_of(level):
        for part in conjuncts(clause.test):
            atom = atom_of(part)
            if atom is None:
                if part.type in REPORT_TEST_TYPES:
                    yield ctx.finding(
                        Severity.WARNING,
                        "gap",
                        f"when the trusted report is missing or shows dishonesty, {clause.id} does "
                        f"not hold and no trigger clause fires: the customer falls to the fallback "
                        f"level ({fallback})",
                        clause,
                    )
                continue
            uncovered = complement(atom)
            for cut in _guaranteed_cover(ctx.policy, atom):
                uncovered = subtract(uncovered, cut)
            if uncovered:
                yield ctx.finding(
                    Severity.WARNING,
                    "gap",
                    f"{clause.id} fails when {atom.measure.describe()} is "
                    f"{describe_intervals(uncovered)}, and no trigger clause is sure to fire "
                    f"there: the customer falls to the fallback level ({fallback})",
                    clause,
                )


def _check_unreachable(ctx: _Context) -> Iterator[Finding]:
    policy = ctx.policy
    for level in policy.levels:
        clauses = policy.clauses_of(level)
        if level.is_trigger and not clauses:
            yield ctx.finding(
                Severity.WARNING, "unreachable", f"level {level.value} has no clauses"
            )
        elif level.is_trigger and all(implies_any_worse(policy, c) for c in clauses):
            yield ctx.finding(
                Severity.WARNING,
                "unreachable",
                f"every {level.value} clause is shadowed by a worse level: "
                f"{level.value} is never the result",
            )
    green, blue = policy.clauses_of(Level.GREEN), policy.clauses_of(Level.BLUE)
    if Level.GREEN in policy.levels and not green:
        yield ctx.finding(
            Severity.WARNING,
            "unreachable",
            "green has no clauses, so it always holds and blue is never the result",
        )
    elif Level.BLUE in policy.levels and green and blue:
        blue_all = [part for clause in blue for part in conjuncts(clause.test)]
        if all(any(implies(b, g.test) for b in blue_all) for g in green):
            yield ctx.finding(
                Severity.WARNING,
                "unreachable",
                "whenever every blue clause holds every green clause holds too: "
                "blue is never the result",
            )


# SPEC 5.3: which incident kinds carry which attributes; a filter on any other kind never matches.
_KINDS_WITH_ATTRIBUTE: dict[str, frozenset[IncidentKind]] = {
    "amount": frozenset({IncidentKind.THEFT, IncidentKind.VIOLATION}),
    "asset_class": frozenset({IncidentKind.OUTAGE_CAUSED}),
    "severity": frozenset({IncidentKind.FACILITY_DAMAGE}),
}
_SCALES_BY_UTILITY = {Utility.WATER: frozenset({"dn"}), Utility.POWER: frozenset({"kv"})}


def _all_tests(policy: Policy) -> Iterator[tuple[Clause, ClauseTest]]:
    for clause in policy.clauses:
        for test in iter_tests(clause.test):
            yield clause, test


def _check_filters(ctx: _Context) -> Iterator[Finding]:
    for clause, test in _all_tests(ctx.policy):
        if not isinstance(test, IncidentCountTest):
            continue
        for attribute, carriers in _KINDS_WITH_ATTRIBUTE.items():
            if getattr(test, attribute) is not None and not set(test.kinds) <= carriers:
                odd = ", ".join(k.value for k in test.kinds if k not in carriers)
                yield ctx.finding(
                    Severity.WARNING,
                    "filter-kind",
                    f"filters on {attribute}, which incidents of kind {odd} do not "
                    f"carry (SPEC 5.3): those never count",
                    clause,
                )
        scale = test.asset_class.scale_key if test.asset_class else None
        if scale is not None and scale not in _SCALES_BY_UTILITY[ctx.policy.utility]:
            yield ctx.finding(
                Severity.WARNING,
                "asset-scale",
                f"asset class scale {test.asset_class.scale if test.asset_class else ''}"
                f" is unusual for a {ctx.policy.utility.value} utility",
                clause,
            )


def _check_file_name(ctx: _Context, path: Path | None) -> Iterator[Finding]:
    if path is None:
        return
    if path.stem != ctx.policy.version or path.parent.name != ctx.policy.key:
        yield ctx.finding(
            Severity.WARNING,
            "file-name",
            f"file should be named {ctx.policy.key}/{ctx.policy.version}.yaml "
            f"so the loader and people find it",
        )


def check_policy(
    policy: Policy, source: str, root: yaml.Node | None = None, path: Path | None = None
) -> list[Finding]:
    """Rule checks of an already valid policy."""
    ctx = _Context(policy, root, source)
    checks = (
        _check_tautologies(ctx),
        _check_shadowed(ctx),
        _check_overlaps(ctx),
        _check_redundant_branches(ctx),
        _check_gaps(ctx),
        _check_unreachable(ctx),
        _check_filters(ctx),
        _check_file_name(ctx, path),
    )
    return [finding for check in checks for finding in check]


def check_bytes(data: bytes, source: str, path: Path | None = None) -> list[Finding]:
    root, raw, findings = _parse(data, source)
    if findings:
        return findings
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as error:
        return [_schema_finding(detail, root, source) for detail in error.errors()]
    return check_policy(policy, source, root, path)


def check(path: Path) -> list[Finding]:
    """Lint one policy file."""
    return check_bytes(path.read_bytes(), str(path), path)
