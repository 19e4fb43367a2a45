"""Static reasoning over clause tests: "does test A being true guarantee test B is true?"

Used by the linter to find shadowed clauses, gaps and unreachable levels without running any data.
The analysis is *sound but incomplete*: when it says A implies B, that holds for every credit file
whose records carry the attributes the filters read (amount, asset class, severity); when it
cannot prove an implication it says nothing.

Count-like tests are reduced to *atoms* ``measure ∈ [lo, hi]`` where the measure is a number
computed from the file (incidents of some kinds in a window with filters, late payments in a
window, arrears months, bills overdue at some moment of a window). If every record counted by
measure A is also counted by measure B, then A ≤ B always, which is what the implication rules
use. ``no_overdue_in_window`` is the atom "overdue bills in the window ∈ [0, 0]"; every late
payment in a window is a bill overdue in it (or the same reported incident), so late payments in
a window never outnumber the overdue bills of a window containing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from utilcredit.customers.model import IncidentKind, Severity
from utilcredit.policies.model.conditions import (
    AllOfTest,
    AmountBounds,
    AnyOfTest,
    ArrearsMonthsTest,
    AssetClassRange,
    ClauseTest,
    IncidentCountTest,
    LatePaymentCountTest,
    NoOverdueInWindowTest,
    Window,
)

# ------------------------------------------------------------------------------------------
# Measures and atoms
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """What a count-like test counts. ``family`` is incidents, late_payments, overdue_bills
    (bills overdue at some moment of the window, plus reported late payments in it) or
    arrears_months."""

    family: str
    window_years: int | None = None  # None: since opened (or not windowed, for arrears)
    kinds: frozenset[IncidentKind] = frozenset()
    amount: AmountBounds | None = None
    asset_class: AssetClassRange | None = None
    severity: Severity | None = None

    def describe(self) -> str:
        if self.family == "arrears_months":
            return "arrears months"
        window = "since opened" if self.window_years is None else f"within {self.window_years}y"
        if self.family == "late_payments":
            return f"late payments {window}"
        if self.family == "overdue_bills":
            return f"overdue bills {window}"
        filters = [
            f"amount {self.amount.describe_zh()}" if self.amount else "",
            f"asset {self.asset_class.describe_zh()}" if self.asset_class else "",
            f"severity {self.severity.value}" if self.severity else "",
        ]
        kinds = ",".join(sorted(k.value for k in self.kinds))
        extra = " ".join(f for f in filters if f)
        return f"incidents [{kinds}]{' ' + extra if extra else ''} {window}"

    def without(self, attribute: str) -> Measure:
        """The same measure with one filter dropped (to compare measures differing in one range)."""
        return Measure(
            self.family,
            self.window_years,
            self.kinds,
            None if attribute == "amount" else self.amount,
            None if attribute == "asset_class" else self.asset_class,
            None if attribute == "severity" else self.severity,
        )


@dataclass(frozen=True, slots=True)
class Atom:
    measure: Measure
    lo: int
    hi: int | None  # None: unbounded


def _window_years(window: Window) -> int | None:
    return None if window.since_opened else window.years


def atom_of(test: ClauseTest) -> Atom | None:
    """The atom of a count-like test, or None for other tests."""
    match test:
        case IncidentCountTest():
            measure = Measure(
                "incidents",
                _window_years(test.window),
                frozenset(test.kinds),
                test.amount,
                test.asset_class,
                test.severity,
            )
            return Atom(measure, test.count.min, test.count.max)
        case LatePaymentCountTest():
            return Atom(
                Measure("late_payments", _window_years(test.window)), test.count.min, test.count.max
            )
        case ArrearsMonthsTest():
            return Atom(Measure("arrears_months"), test.months.min, test.months.max)
        case NoOverdueInWindowTest():
            return Atom(Measure("overdue_bills", _window_years(test.window)), 0, 0)
        case _:
            return None


# ------------------------------------------------------------------------------------------
# Containment of measures ("every record A counts, B counts too")
# ------------------------------------------------------------------------------------------


def _window_within(inner: int | None, outer: int | None) -> bool:
    if outer is None:
        return True  # since opened contains every window
    return inner is not None and inner <= outer


def _lower_within(inner: tuple[Decimal, bool] | None, outer: tuple[Decimal, bool] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    if inner[0] != outer[0]:
        return inner[0] > outer[0]
    return outer[1] or not inner[1]  # same value: outer inclusive, or both exclusive


def _upper_within(inner: tuple[Decimal, bool] | None, outer: tuple[Decimal, bool] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    if inner[0] != outer[0]:
        return inner[0] < outer[0]
    return outer[1] or not inner[1]


def _amount_within(inner: AmountBounds | None, outer: AmountBounds | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    return _lower_within(inner.lower, outer.lower) and _upper_within(inner.upper, outer.upper)


def _asset_within(inner: AssetClassRange | None, outer: AssetClassRange | None) -> bool:
    if outer is None:
        return True
    if inner is None or inner.scale_key != outer.scale_key:
        return False
    low_ok = outer.min is None or (inner.min is not None and inner.min >= outer.min)
    high_ok = outer.max is None or (inner.max is not None and inner.max <= outer.max)
    return low_ok and high_ok


def measure_within(inner: Measure, outer: Measure) -> bool:
    """Every record counted by ``inner`` is counted by ``outer`` (so inner ≤ outer, always)."""
    if inner.family != outer.family:
        if (inner.family, outer.family) == ("late_payments", "overdue_bills"):
            # a bill late in window V (due in it, unsettled by its due date) was overdue in any
            # window containing V; reported late payments are counted by both alike
            return _window_within(inner.window_years, outer.window_years)
        if (inner.family, outer.family) == ("overdue_bills", "late_payments"):
            # with no window start, "overdue in the window" is "settled after the due date"
            return inner.window_years is None and outer.window_years is None
        return False
    if inner.family == "arrears_months":
        return True
    return (
        _window_within(inner.window_years, outer.window_years)
        and inner.kinds <= outer.kinds
        and _amount_within(inner.amount, outer.amount)
        and _asset_within(inner.asset_class, outer.asset_class)
        and (outer.severity is None or inner.severity == outer.severity)
    )


# ------------------------------------------------------------------------------------------
# Implication
# ------------------------------------------------------------------------------------------


def atom_implies(a: Atom, b: Atom) -> bool:
    """A true ⇒ B true, for every credit file."""
    a_in_b = measure_within(a.measure, b.measure)
    b_in_a = measure_within(b.measure, a.measure)
    if a_in_b and b_in_a:  # the same number
        return a.lo >= b.lo and (b.hi is None or (a.hi is not None and a.hi <= b.hi))
    if a_in_b:  # value_b ≥ value_a ≥ a.lo, and value_b may be arbitrarily larger
        return b.hi is None and a.lo >= b.lo
    if b_in_a:  # 0 ≤ value_b ≤ value_a ≤ a.hi
        return b.lo == 0 and a.hi is not None and (b.hi is None or a.hi <= b.hi)
    return False


def implies(a: ClauseTest, b: ClauseTest) -> bool:
    """Sufficient (sound, incomplete) check that test ``a`` true guarantees test ``b`` true."""
    if isinstance(a, AnyOfTest):
        return all(implies(part, b) for part in a.tests)
    if isinstance(b, AllOfTest):
        return all(implies(a, part) for part in b.tests)
    if isinstance(a, AllOfTest) and any(implies(part, b) for part in a.tests):
        return True
    if isinstance(b, AnyOfTest):
        return any(implies(a, part) for part in b.tests)
    atom_a, atom_b = atom_of(a), atom_of(b)
    if atom_a is not None and atom_b is not None:
        return atom_implies(atom_a, atom_b)
    return a == b


def is_tautology(test: ClauseTest) -> bool:
    """True for every credit file (a trigger like that would put everyone on its level)."""
    if isinstance(test, AnyOfTest):
        return any(is_tautology(part) for part in test.tests)
    if isinstance(test, AllOfTest):
        return all(is_tautology(part) for part in test.tests)
    atom = atom_of(test)
    return atom is not None and atom.lo == 0 and atom.hi is None


def branches(test: ClauseTest) -> list[ClauseTest]:
    """Alternatives of an any_of (the test itself otherwise)."""
    return list(test.tests) if isinstance(test, AnyOfTest) else [test]


def conjuncts(test: ClauseTest) -> list[ClauseTest]:
    """Parts of an all_of (the test itself otherwise)."""
    return list(test.tests) if isinstance(test, AllOfTest) else [test]


# ------------------------------------------------------------------------------------------
# Integer interval helpers (for gaps and overlaps)
# ------------------------------------------------------------------------------------------

Interval = tuple[int, int | None]  # inclusive; None = unbounded above


def intersect(a: Interval, b: Interval) -> Interval | None:
    lo = max(a[0], b[0])
    his = [h for h in (a[1], b[1]) if h is not None]
    hi = min(his) if his else None
    return None if hi is not None and lo > hi else (lo, hi)


def subtract(intervals: list[Interval], cut: Interval) -> list[Interval]:
    remaining: list[Interval] = []
    for lo, hi in intervals:
        if intersect((lo, hi), cut) is None:
            remaining.append((lo, hi))
            continue
        if cut[0] > lo:
            remaining.append((lo, cut[0] - 1))
        if cut[1] is not None and (hi is None or cut[1] < hi):
            remaining.append((cut[1] + 1, hi))
    return remaining


def complement(atom: Atom) -> list[Interval]:
    """Values of the measure for which the atom is false."""
    outside: list[Interval] = []
    if atom.lo > 0:
        outside.append((0, atom.lo - 1))
    if atom.hi is not None:
        outside.append((atom.hi + 1, None))
    return outside


def describe_intervals(intervals: list[Interval]) -> str:
    def one(interval: Interval) -> str:
        lo, hi = interval
        if hi is None:
            return f"≥ {lo}"
        return f"{lo}" if lo == hi else f"{lo}–{hi}"

    return ", ".join(one(i) for i in intervals)


def guaranteed_range(trigger: Atom, measure: Measure) -> Interval | None:
    """Values of ``measure`` at which ``trigger`` is sure to be true, if any can be stated."""
    same = measure_within(measure, trigger.measure) and measure_within(trigger.measure, measure)
    if same:
        return (trigger.lo, trigger.hi)
    if measure_within(measure, trigger.measure) and trigger.hi is None:
        return (trigger.lo, None)
    return None
