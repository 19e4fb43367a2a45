"""Where things are served: the REST API under ``/api/`` (its OpenAPI document with it), the
API docs page at ``/docs``, static files under ``/static/``, and console pages everywhere else.
"""

from __future__ import annotations

API_PREFIX = "/api"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = "/docs"
STATIC_PREFIX = "/static"

# Reachable without logging in: they share a small pool of their own (``anonymous_slots``).
PUBLIC_PATHS = frozenset({"/login", DOCS_URL, OPENAPI_URL, f"{API_PREFIX}/auth/token"})
# The public disclosure site (公示, docs/disclosure.md): no login, read-only, rate-limited.
PUBLIC_SITE = "/public"
PUBLIC_PREFIXES = ("/lang/", f"{PUBLIC_SITE}/")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    """An API path: answered in JSON, errors included (console pages get HTML)."""
    return path.startswith(f"{API_PREFIX}/") or path == API_PREFIX
