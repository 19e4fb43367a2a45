"""Three-valued logic in SQL: the truth of a test as an integer 1 / 0 / NULL (unknown) expression.

:data:`Tri` is the type of such an expression; the helpers decide count bounds on it and combine
the parts of ``any_of`` and ``all_of`` tests as the reference evaluator does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, null, or_
from sqlalchemy.sql.elements import ColumnElement

from utilcredit.policies.model.conditions import CountBounds

Tri = ColumnElement[Any]  # an integer 1 / 0 / NULL (unknown) expression


def tri_bounds(bounds: CountBounds, definite: Tri, undecided: Tri) -> Tri:
    """:func:`~utilcredit.rating.evaluator._bounds_truth` for a count in [definite, +undecided]."""
    highest = definite + undecided
    inside: list[ColumnElement[bool]] = [definite >= bounds.min]
    outside: list[ColumnElement[bool]] = [highest < bounds.min]
    if bounds.max is not None:
        inside.append(highest <= bounds.max)
        outside.append(definite > bounds.max)
    return case((and_(*inside), 1), (or_(*outside), 0), else_=null())


def tri_contains(bounds: CountBounds, value: Tri) -> Tri:
    conditions: list[ColumnElement[bool]] = [value >= bounds.min]
    if bounds.max is not None:
        conditions.append(value <= bounds.max)
    return case((and_(*conditions), 1), else_=0)


def tri_any(parts: list[Tri]) -> Tri:
    return case(
        (or_(*(p == 1 for p in parts)), 1),
        (or_(*(p.is_(None) for p in parts)), null()),
        else_=0,
    )


def tri_all(parts: list[Tri]) -> Tri:
    return case(
        (or_(*(p == 0 for p in parts)), 0),
        (or_(*(p.is_(None) for p in parts)), null()),
        else_=1,
    )
