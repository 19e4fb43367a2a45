"""Which measures of a policy apply to a subject, and why (SPEC 2.6; pure).

A measure applies when the subject's level is one it names or a designation it names holds;
the basis says which (``level:green``, ``designation:trustworthy_subject``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from utilcredit.policies.model.levels import Level
from utilcredit.policies.model.measures import MeasureKind
from utilcredit.policies.model.policy import Policy

KIND_ZH = {MeasureKind.INCENTIVE: "守信激励", MeasureKind.CONSTRAINT: "失信约束"}


@dataclass(frozen=True, slots=True)
class Entitlement:
    measure_key: str
    title: str
    kind: MeasureKind
    basis: str  # "level:<level>" or "designation:<key>"
    basis_zh: str  # "绿色" or "守信用电主体"
    seed_ref: str | None
    responsible: str | None
    text: str | None


def measures_applying(
    policy: Policy, level: Level, designations_held: Collection[str]
) -> list[Entitlement]:
    titles = {d.key: d.title for d in policy.designations}
    found: list[Entitlement] = []
    for measure in policy.measures:
        if level in measure.levels:
            basis, basis_zh = f"level:{level.value}", f"信用等级{level.label_zh}"
        else:
            held = [key for key in measure.designations if key in designations_held]
            if not held:
                continue
            basis, basis_zh = f"designation:{held[0]}", titles[held[0]]
        found.append(
            Entitlement(
                measure.key,
                measure.title,
                measure.kind,
                basis,
                basis_zh,
                measure.seed_ref,
                measure.responsible,
                measure.text,
            )
        )
    return found
