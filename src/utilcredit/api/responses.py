"""Bodies serialised once, for the hot endpoints.

FastAPI's ``response_model`` path builds the model, validates it again on the way out and then
serialises it; for the live rating (a ~15 kB explanation of nested dicts, on every request)
that costs more than computing the rating. :func:`rating_json` writes the same document
straight to JSON bytes with ``pydantic_core.to_json`` (Rust, already a dependency through
Pydantic). The endpoint still documents :class:`~utilcredit.api.schemas.RatingOut` in the
OpenAPI schema, and a test checks that every body validates against it unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic_core import to_json

from utilcredit.api.schemas import OverrideOut
from utilcredit.creditfile.model import RatingView
from utilcredit.overrides.model import Override
from utilcredit.rating.runs.model import LevelChange


class JSONBytes(JSONResponse):
    """A body that is already JSON bytes (``application/json``, UTF-8), sent as is."""

    def render(self, content: Any) -> bytes:
        if not isinstance(content, bytes):
            raise TypeError("JSONBytes takes a body already serialised to JSON bytes")
        return content


def _override(override: Override | None) -> dict[str, Any] | None:
    if override is None:
        return None
    return OverrideOut.model_validate(override, from_attributes=True).model_dump(mode="json")


def _history(change: LevelChange) -> dict[str, Any]:
    """A :class:`~utilcredit.api.schemas.HistoryOut` document: the level reached and the
    clauses that began to fire (as ``utilcredit runs history`` shows them)."""
    return {
        "run_id": change.run_id,
        "policy_key": change.policy_key,
        "as_of": change.as_of,
        "level": change.to_level.value if change.to_level is not None else None,
        "fired": list(change.cause.fired),
    }


def rating_document(view: RatingView) -> dict[str, Any]:
    """The :class:`~utilcredit.api.schemas.RatingOut` document of a live rating."""
    loaded = view.policy
    return {
        "subject": view.subject_code,
        "policy": {
            "key": loaded.key,
            "version": loaded.version,
            "title": loaded.policy.title,
            "utility": loaded.policy.utility,
            "effective_from": loaded.policy.effective_from,
            "sha256": loaded.sha256,
        },
        "as_of": view.as_of,
        "computed_level": view.level.computed,
        "effective_level": view.level.effective,
        "override": _override(view.level.override),
        "explanation": view.explanation,
        "explanation_text": view.text,
        "history": [_history(entry) for entry in view.history],
        "next_change": view.next_change,
    }


def rating_json(view: RatingView) -> bytes:
    return to_json(rating_document(view))
