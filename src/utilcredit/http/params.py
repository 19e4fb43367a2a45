"""Request parameters shared by the API routers and the console pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query

from utilcredit.config import Settings
from utilcredit.identifiers import MaskingRule

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; refuse it as invalid input
MAX_OFFSET = 1_000_000
MAX_ID = 2**31 - 1  # surrogate keys are 32-bit INTEGER columns on PostgreSQL


@dataclass(frozen=True, slots=True)
class Paging:
    offset: int
    limit: int


async def paging(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=200, description="rows per page")] = 20,
) -> Paging:
    return Paging(offset, limit)


PagingDep = Annotated[Paging, Depends(paging)]

SubjectCode = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=r"^([0-9A-Za-z]+|id-[0-9]{1,10})$",
        description="统一社会信用代码、证件号码或主体引用 id-<n> / USCC, ID number, "
        "or the subject reference id-<n> (natural persons are linked by it)",
    ),
]
AsOf = Annotated[
    dt.date | None,
    Query(description="评价日期 / as-of date (default: today, Asia/Shanghai)"),
]


def masking(settings: Settings) -> MaskingRule:
    return MaskingRule(keep_head=settings.mask_keep_head, keep_tail=settings.mask_keep_tail)
