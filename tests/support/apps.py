"""One application per store and console settings, reused by the tests of a worker.

Building the application costs seconds on a loaded machine (FastAPI builds every route's
parameter models, and the warm-up its routing state); paid by every page and API test, it was
about a third of the suite's time. What a test can change lives in the store (emptied before
every test by the ``engine`` fixture), in ``app.state`` or in the middleware, which
:func:`app_for` resets: the test's own settings (read per request), the public site's rate
limiter, and the middleware stack (Starlette builds it again on the next request: a fresh
request guard, whose semaphores may have bound the event loop of an earlier test). The console
settings are part of the key, since the guard takes its limits from them when the app is
built; so is the engine object, which the app holds.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from utilcredit.access import passwords
from utilcredit.config import Settings
from utilcredit.server import create_app

_APPS: dict[tuple[int, str], tuple[Engine, FastAPI]] = {}
_PER_APP_STATE = ("public_limiter",)  # made on first use (web/public.py)


def app_for(settings: Settings, engine: Engine) -> FastAPI:
    """The app over ``engine`` with ``settings`` (a cached one when the console settings match)."""
    key = (id(engine), settings.console.model_dump_json())
    cached = _APPS.get(key)
    if cached is None or cached[0] is not engine:
        app = create_app(settings, engine=engine)
        _APPS[key] = (engine, app)  # the engine is kept alive: its id is never reused
    else:
        app = cached[1]
        passwords.limit_concurrency(settings.console.password_check_concurrency)
    app.state.settings = settings
    for name in _PER_APP_STATE:
        if hasattr(app.state, name):
            delattr(app.state, name)
    app.middleware_stack = None
    return app
