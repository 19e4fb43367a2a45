"""Console page of the pilot zones (试点区域) of the policies with credit-based applications:
admins of a policy's utility list, add and edit them. What the counter pages share is
``web/counter.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.access.visibility import require_utility_write
from utilcredit.applications import zones as application_zones
from utilcredit.http.deps import Admin, Db
from utilcredit.http.params import MAX_ID, NO_NUL
from utilcredit.policies.service import policy_at, shipped
from utilcredit.web.counter import DONE, Short, application_policies, render_page, zones_of
from utilcredit.web.steps import Refusal, attempt, form_state, status_of

router = APIRouter(include_in_schema=False)


def _zones_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    *,
    done: str = "",
    refusal: Refusal | None = None,
    edit: int | None = None,
) -> HTMLResponse:
    policies = application_policies(principal, writable=True)
    zones = zones_of(connection, policies)
    editing = next((z for z in zones if z.id == edit), None)
    return render_page(
        request,
        "zones.html",
        {
            "policies": policies,
            "zones": zones,
            "editing": editing,
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/admin/zones")
def zones_page(
    request: Request,
    connection: Db,
    principal: Admin,
    done: Annotated[str, Query(max_length=32)] = "",
    edit: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    return _zones_response(request, connection, principal, done=done, edit=edit)


@router.post("/admin/zones")
def set_zone(
    request: Request,
    connection: Db,
    principal: Admin,
    policy: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    district: Short = "",
    park: Short = "",
    area_code: Annotated[str, Form(max_length=32, pattern=NO_NUL)] = "",
    active: Annotated[str, Form(max_length=8)] = "",
    note: Short = "",
) -> Response:
    values = {
        "policy": policy,
        "district": district,
        "park": park,
        "area_code": area_code,
        "active": active,
        "note": note,
    }
    refusal: Refusal | None = None
    if policy not in {p.key for p in shipped()}:
        refusal = Refusal("zone", f"请选择政策：{policy} / choose a policy", "policy", values)
    else:
        # A zone belongs to a policy, so to its utility: only that utility's admins edit it.
        utility = policy_at(policy, None).policy.utility
        require_utility_write(principal, utility, entity="zone", key=policy)
        outcome = attempt(
            connection,
            "zone",
            values,
            lambda: application_zones.set_zone(
                connection,
                principal,
                application_zones.ZoneEdit(
                    policy_key=policy,
                    district=district,
                    park=park,
                    area_code=area_code.strip() or None,
                    active=active == "true",
                    note=note.strip() or None,
                ),
            ),
        )
        refusal = outcome if isinstance(outcome, Refusal) else None
    if refusal is not None:
        return _zones_response(request, connection, principal, refusal=refusal)
    return RedirectResponse("/admin/zones?done=zone", status_code=303)
