"""The shipped policies as use cases: parsed once per process (package data never changes)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from utilcredit.errors import FieldInvalidError
from utilcredit.policies.loader import LoadedPolicy, list_policies


@cache
def shipped() -> tuple[LoadedPolicy, ...]:
    return tuple(list_policies())


def policy_keys() -> list[str]:
    return sorted({item.key for item in shipped()})


def policy_at(key: str, at: dt.date | None, *, field: str = "policy") -> LoadedPolicy:
    """The shipped version of ``key`` in force at ``at`` (latest if ``None``); never a file path."""
    versions = [item for item in shipped() if item.key == key]
    if not versions:
        raise FieldInvalidError(
            field,
            f"没有该评级政策：{key}（可选 {', '.join(policy_keys())}） / "
            f"no policy {key!r}; shipped: {', '.join(policy_keys())}",
        )
    if at is not None:
        versions = [item for item in versions if item.policy.effective_from <= at]
        if not versions:
            raise FieldInvalidError(
                field, f"{key} 在 {at} 尚未生效 / policy {key} has no version in force on {at}"
            )
    return versions[-1]


def policy_version(key: str, version: str) -> LoadedPolicy | None:
    for item in shipped():
        if item.key == key and item.version == version:
            return item
    return None
