"""Rating policies and their published criteria."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from utilcredit.api.schemas import ERROR_RESPONSES, PolicyDetailOut, PolicyOut
from utilcredit.http.deps import Reader
from utilcredit.http.params import AsOf
from utilcredit.policies.loader import LoadedPolicy
from utilcredit.policies.render import RenderFormat, render
from utilcredit.policies.service import policy_at, shipped

router = APIRouter(prefix="/policies", tags=["policies"], responses=ERROR_RESPONSES)

PolicyKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9\-]+$")]


class CriteriaFormat(StrEnum):
    HTML = "html"
    MARKDOWN = "md"


def policy_out(loaded: LoadedPolicy) -> PolicyOut:
    policy = loaded.policy
    return PolicyOut(
        key=policy.key,
        version=policy.version,
        title=policy.title,
        utility=policy.utility,
        effective_from=policy.effective_from,
        sha256=loaded.sha256,
        issuer=policy.issuer,
        levels=list(policy.levels),
        fallback_level=policy.fallback_level,
        clauses=len(policy.clauses),
    )


@router.get("", response_model=list[PolicyOut], summary="评级政策 / every shipped policy version")
def list_all(principal: Reader) -> list[PolicyOut]:
    return [policy_out(item) for item in shipped()]


@router.get("/{key}", response_model=PolicyDetailOut)
def get_policy(key: PolicyKey, principal: Reader, at: AsOf = None) -> PolicyDetailOut:
    loaded = policy_at(key, at, field="key")
    return PolicyDetailOut(summary=policy_out(loaded), policy=loaded.policy.model_dump(mode="json"))


@router.get(
    "/{key}/criteria",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "text/markdown": {}}}},
    summary="公示标准 / the published criteria document",
)
def criteria(
    key: PolicyKey,
    principal: Reader,
    at: AsOf = None,
    format: Annotated[CriteriaFormat, Query(description="html or md")] = CriteriaFormat.HTML,
) -> Response:
    loaded = policy_at(key, at, field="key")
    fmt = RenderFormat.HTML if format == CriteriaFormat.HTML else RenderFormat.MARKDOWN
    media = "text/html" if fmt == RenderFormat.HTML else "text/markdown"
    return Response(render(loaded.policy, fmt), media_type=f"{media}; charset=utf-8")
