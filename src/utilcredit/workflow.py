"""Workflows as data: the allowed transitions of a case, and one check that refuses the rest.

A :class:`Machine` lists every ``(state, action) → state`` a case may take. Domains keep their
machines in their ``model.py``; their service applies a transition through one function that
checks it here, writes the new state with a compare-and-set on the old one, keeps the history
row and the audit entry, and refuses everything else. Nothing in this module touches storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from utilcredit.errors import InvalidInputError

S = TypeVar("S", bound=StrEnum)


class TransitionRefusedError(InvalidInputError):
    """An action the workflow does not allow from the case's current state."""

    code = "transition_refused"


@dataclass(frozen=True, slots=True)
class Transition(Generic[S]):
    action: str
    source: S
    target: S


class Machine(Generic[S]):
    """The transitions of one kind of case, with the Chinese names people see."""

    def __init__(
        self,
        name: str,
        transitions: Iterable[Transition[S]],
        labels: dict[S, str],
        action_labels: dict[str, str],
    ) -> None:
        self.name = name
        self.transitions = tuple(transitions)
        self.labels = labels
        self.action_labels = action_labels
        self._targets = {(t.source, t.action): t.target for t in self.transitions}
        if len(self._targets) != len(self.transitions):
            raise ValueError(f"{name}: an action leaves one state twice")

    def target(self, state: S, action: str) -> S:
        """The state ``action`` leads to from ``state``; refused when not listed."""
        found = self._targets.get((state, action))
        if found is None:
            allowed = "、".join(self.action_labels.get(a, a) for a in self.actions_from(state))
            raise TransitionRefusedError(
                f"{self.name}当前状态为「{self.labels.get(state, state)}」，不能"
                f"「{self.action_labels.get(action, action)}」"
                f"（可以：{allowed or '无'}） / {self.name}: cannot {action} from {state.value}"
            )
        return found

    def state(self, value: str) -> S:
        """The state stored as ``value`` (a status column holds the plain string)."""
        for state in self.states():
            if state.value == value:
                return state
        raise ValueError(f"{self.name}: no state {value}")

    def actions_from(self, state: S) -> tuple[str, ...]:
        return tuple(t.action for t in self.transitions if t.source == state)

    def states(self) -> frozenset[S]:
        return frozenset(
            {t.source for t in self.transitions} | {t.target for t in self.transitions}
        )
