"""Rating runs and statistics (read through the rating runs service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from utilcredit.access.model import NotVisibleError
from utilcredit.api.schemas import (
    ERROR_RESPONSES,
    AreaCountOut,
    DistributionOut,
    RunDetailOut,
    RunOut,
    RunPage,
    TransitionOut,
)
from utilcredit.customers.model import Utility
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import Console, Db, Reader
from utilcredit.http.params import MAX_ID, AsOf, PagingDep
from utilcredit.localtime import today
from utilcredit.paging import page_of
from utilcredit.rating import service as rating
from utilcredit.rating.runs import reads as runs

router = APIRouter(tags=["rating runs"], responses=ERROR_RESPONSES)


@router.get("/rating-runs", response_model=RunPage, summary="评级运行 / rating runs")
def list_runs(connection: Db, principal: Reader, paging: PagingDep) -> RunPage:
    found = runs.visible_runs(
        connection,
        {u.value for u in principal.readable_utilities},
        offset=paging.offset,
        limit=paging.limit + 1,
    )
    page = page_of(found, paging.offset, paging.limit)
    return RunPage(
        items=[RunOut.model_validate(r, from_attributes=True) for r in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.get(
    "/rating-runs/{run_id}",
    response_model=RunDetailOut,
    summary="评级运行统计 / a run with its statistics and transitions",
)
def get_run(
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)], connection: Db, principal: Reader
) -> RunDetailOut:
    message = f"没有该评级运行：{run_id} / no rating run {run_id}"
    try:
        run = runs.get_run(connection, run_id)
    except NotFoundError:
        raise NotFoundError(message) from None
    if not principal.may_read_utility(Utility(run.utility)):
        # Another utility's run: "not found", so its existence does not leak (audited).
        raise NotVisibleError(message, entity="rating_run", entity_key=str(run_id))
    return RunDetailOut(
        run=RunOut.model_validate(run, from_attributes=True),
        by_area=[
            AreaCountOut.model_validate(a, from_attributes=True)
            for a in runs.area_counts(connection, run_id)
        ],
        transitions=[
            TransitionOut.model_validate(t, from_attributes=True)
            for t in runs.moves_into(connection, run_id)
        ],
    )


@router.get(
    "/stats/levels",
    response_model=list[DistributionOut],
    summary="等级分布（按供应类型、区域） / level distribution by utility and area",
)
def level_distribution(
    connection: Db, principal: Reader, console: Console, as_of: AsOf = None
) -> list[DistributionOut]:
    found = rating.distributions(connection, principal, as_of or today(), console)
    return [DistributionOut.model_validate(d, from_attributes=True) for d in found]
