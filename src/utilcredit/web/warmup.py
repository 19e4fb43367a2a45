"""Warm-up before the first user: what the first requests after a start would otherwise pay.

Measured on the demo store (bench/console_bench.py, "first after start"): the first request
after a start took 2–4 s and the first log-in ≈ 1 s more, so whoever logged in first after a
restart waited ≈ 3 s. Two lazy costs made it: FastAPI builds its per-route matching state for
every route (≈ 185 of them) when the first request is matched, and Jinja compiles each
template the first time it is rendered. :func:`warm_up` pays both at start-up, in the
server's lifespan, before the socket takes requests.
"""

from __future__ import annotations

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from utilcredit.web.rendering import TEMPLATES

# An anonymous page that needs no store and writes nothing: served in process once, it makes
# the framework build its routing state.
WARM_UP_PATH = "/login"


def compile_templates() -> int:
    """Compile every console template into Jinja's cache; the number compiled."""
    names = TEMPLATES.env.list_templates(extensions=["html"])
    for name in names:
        TEMPLATES.env.get_template(name)
    return len(names)


async def warm_up(app: ASGIApp) -> int:
    """Compile the templates (in a worker thread) and serve :data:`WARM_UP_PATH` once in
    process; the status of that request (200 when all went well)."""
    await run_in_threadpool(compile_templates)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.get(WARM_UP_PATH)
    return response.status_code
