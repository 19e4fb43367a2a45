"""One page of a list: its items and whether more follow (no table is counted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    has_more: bool


def page_of(rows: Sequence[T], offset: int, limit: int) -> Page[T]:
    """A page from up to ``limit + 1`` rows (the extra one only says that more follow)."""
    return Page(list(rows[:limit]), offset, limit, len(rows) > limit)
