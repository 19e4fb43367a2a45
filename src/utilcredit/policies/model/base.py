"""The base of every part of a policy: frozen, and strict about keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a policy file into a linter error, not a silent no-op.
    model_config = ConfigDict(frozen=True, extra="forbid")
