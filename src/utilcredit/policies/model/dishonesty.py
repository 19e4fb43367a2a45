"""Dishonesty-record rules (失信记录认定; records/ derives candidates from them): ``dishonesty:``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from utilcredit.customers.model import IncidentKind, Severity
from utilcredit.policies.model.base import Frozen
from utilcredit.policies.model.conditions import AmountBounds


class DishonestyKind(StrEnum):
    """What a dishonesty record is about (SPEC 2.1 失信行为信息)."""

    ARREARS = "arrears"  # 欠费经催告后逾期仍未缴纳
    THEFT = "theft"
    VIOLATION = "violation"
    COMMITMENT_BREACH = "commitment_breach"
    GENERAL_DISHONESTY = "general_dishonesty"
    SERIOUS_DISHONESTY = "serious_dishonesty"
    FACILITY_DAMAGE = "facility_damage"


class DishonestyClass(StrEnum):
    """The national classes of dishonesty information (SPEC 3.6)."""

    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重


class ArrearsAfterDemandTest(Frozen):
    """Overdue bills demanded (催告) on an account and still unpaid more than N months later.

    The demand covers the account's bills overdue and unpaid on the day it was sent; the rule
    holds at D when D is after the demand day plus ``months_after`` calendar months (超过: the
    day itself is not enough) and those bills' amount still unpaid at D is at least the
    deployment's "large amount" (数额较大, ``Settings.records.large_arrears_yuan``).
    """

    type: Literal["arrears_after_demand"]
    months_after: int = Field(ge=1, le=60)


class IncidentRecordTest(Frozen):
    """One incident of the given kinds (optionally filtered by amount or severity)."""

    type: Literal["incident"]
    kinds: tuple[IncidentKind, ...] = Field(min_length=1)
    amount: AmountBounds | None = None
    severity: Severity | None = None


RecordTest = Annotated[ArrearsAfterDemandTest | IncidentRecordTest, Field(discriminator="type")]


class DishonestyRule(Frozen):
    """One rule of the seed that makes a dishonesty record, with its class."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^D[1-9][0-9]*$")
    kind: DishonestyKind
    record_class: DishonestyClass = Field(alias="class")
    text: str = Field(min_length=1, description="the seed's own sentence")
    seed_ref: str | None = None
    interpretation: str | None = None
    test: RecordTest
    exemptions: tuple[str, ...] = Field(
        default=(), description="keys of the policy's exemptions a reviewer may dismiss under"
    )


class Exemption(Frozen):
    """A case the seed says is not recorded; a reviewer dismisses a candidate under it."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)
    seed_ref: str | None = None


class DishonestyRules(Frozen):
    """Which behaviour becomes a dishonesty record under this policy (SPEC 3.4, 3.5)."""

    text: str = Field(min_length=1, description="the seed's sentence on dishonesty records")
    seed_ref: str | None = None
    interpretation: str | None = None
    lookback_years: int = Field(
        default=3, ge=1, le=10, description="causes older than this are not proposed"
    )
    rules: tuple[DishonestyRule, ...] = Field(min_length=1)
    exemptions: tuple[Exemption, ...] = ()

    @model_validator(mode="after")
    def _ids_and_exemptions_known(self) -> Self:
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("a dishonesty rule id is used twice")
        known = {exemption.key for exemption in self.exemptions}
        for rule in self.rules:
            unknown = set(rule.exemptions) - known
            if unknown:
                raise ValueError(f"rule {rule.id} names unknown exemptions {sorted(unknown)}")
        return self

    def rule(self, rule_id: str) -> DishonestyRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
