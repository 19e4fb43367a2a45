"""The credit levels, best to worst, and how a clause id names its level (SPEC 2.2)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

V = TypeVar("V")


class Level(StrEnum):
    """Credit levels, best to worst (SPEC 2.2)."""

    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    BLACK = "black"

    @property
    def badness(self) -> int:
        """0 for green … 4 for black; a larger number is a worse level."""
        return _LEVEL_ORDER.index(self)

    @property
    def label_zh(self) -> str:
        return _LEVEL_LABELS_ZH[self]

    @property
    def is_trigger(self) -> bool:
        """Yellow, red and black clauses fire; green and blue clauses are requirements."""
        return self in _TRIGGER_LEVELS  # a set lookup: asked once per subject in batch runs


_LEVEL_ORDER = (Level.GREEN, Level.BLUE, Level.YELLOW, Level.RED, Level.BLACK)
_TRIGGER_LEVELS = frozenset({Level.YELLOW, Level.RED, Level.BLACK})
_LEVEL_LABELS_ZH = {
    Level.GREEN: "绿色",
    Level.BLUE: "蓝色",
    Level.YELLOW: "黄色",
    Level.RED: "红色",
    Level.BLACK: "黑色",
}
# The seeds number clauses per level; K (not B, taken by blue) marks black (DESIGN).
_LEVEL_PREFIX = {
    Level.GREEN: "G",
    Level.BLUE: "B",
    Level.YELLOW: "Y",
    Level.RED: "R",
    Level.BLACK: "K",
}
_PREFIX_LEVEL = {prefix: level for level, prefix in _LEVEL_PREFIX.items()}

LEVELS_WORST_FIRST: tuple[Level, ...] = tuple(reversed(_LEVEL_ORDER))


def in_level_order(by_level: Mapping[str, V]) -> dict[str, V]:
    """``by_level`` (keyed by level values) ordered best to worst (绿 蓝 黄 红 黑), whatever
    order it came in; keys that are not levels follow in their own order. Pages and charts
    iterate the dict as given, so a sort by name (black, blue, green …) never reaches them."""
    known = [level.value for level in _LEVEL_ORDER if level.value in by_level]
    others = [key for key in by_level if key not in known]
    return {key: by_level[key] for key in [*known, *others]}


def level_of_clause_id(clause_id: str) -> Level:
    return _PREFIX_LEVEL[clause_id[0]]
