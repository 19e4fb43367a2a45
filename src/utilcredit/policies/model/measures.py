"""Measures: incentives and constraints per level or designation (守信激励 · 失信约束)."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from utilcredit.policies.model.base import Frozen
from utilcredit.policies.model.levels import Level


class MeasureKind(StrEnum):
    INCENTIVE = "incentive"  # 激励
    CONSTRAINT = "constraint"  # 约束


class Measure(Frozen):
    """One measure of the seed, for the levels or designations it names."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    kind: MeasureKind
    seed_ref: str | None = None
    text: str | None = Field(default=None, description="the seed's sentence")
    responsible: str | None = Field(default=None, description="负责单位, when the seed names it")
    levels: tuple[Level, ...] = ()
    designations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _applies_to_something(self) -> Self:
        if not self.levels and not self.designations:
            raise ValueError(f"measure {self.key} names no level and no designation")
        return self
