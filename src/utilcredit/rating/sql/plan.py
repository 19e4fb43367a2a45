"""The leaves of a compiled policy: its distinct non-composite tests, numbered.

A :class:`Plan` gives each distinct leaf test of the policy's clauses and designation
requirements (:data:`LeafTest`; equal tests share one :class:`Leaf`) the number under which the
query computes its truth, value and evidence, and :meth:`Plan.of` finds the leaf of a test of
the policy again when the rows are decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from utilcredit.policies.model.conditions import AllOfTest, AnyOfTest, ClauseTest, LeafTest
from utilcredit.policies.model.policy import iter_tests


@dataclass
class Leaf:
    number: int
    test: LeafTest
    in_trigger: bool = False  # under some trigger clause: its evidence may be shown


@dataclass
class Plan:
    leaves: list[Leaf] = field(default_factory=list)
    by_key: dict[str, Leaf] = field(default_factory=dict)  # equal tests share one leaf
    by_object: dict[int, Leaf] = field(default_factory=dict)  # id(test) → leaf, for speed

    def leaf(self, test: LeafTest, in_trigger: bool) -> Leaf:
        key = test.model_dump_json()
        found = self.by_key.get(key)
        if found is None:
            found = Leaf(len(self.leaves), test)
            self.leaves.append(found)
            self.by_key[key] = found
        found.in_trigger = found.in_trigger or in_trigger
        self.by_object[id(test)] = found
        return found

    def of(self, test: ClauseTest) -> Leaf:
        """The leaf of a (non-composite) test of the compiled policy."""
        return self.by_object[id(test)]


def leaves_of(test: ClauseTest) -> list[LeafTest]:
    return [t for t in iter_tests(test) if not isinstance(t, AnyOfTest | AllOfTest)]
