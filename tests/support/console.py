"""The console through a TestClient as a logged-in user would reach it: the log-in form with
its double-submit token, then the session cookie and the pages' CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.e2e.api.world import PASSWORD

CSRF = re.compile(r'data-csrf="([^"]+)"')


def post_login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    """Submit the log-in form as a browser does (its CSRF cookie first); the response."""
    client.get("/login")
    response: Response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies.get("uc_login_csrf") or "",
            "next": "/",
        },
        follow_redirects=False,
    )
    return response


def submit_login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log ``client`` in through the form (its cookies then carry the session)."""
    response = post_login(client, username, password)
    assert response.status_code == 303, response.text


def page_csrf(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token, as every console page carries it."""
    found = CSRF.search(client.get(path).text)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


@dataclass
class Session:
    """A logged-in browser stand-in: the session cookie and the pages' CSRF token."""

    client: TestClient
    csrf: str

    def get(self, url: str, **kwargs: Any) -> Response:
        response: Response = self.client.get(url, **kwargs)
        return response

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Response:
        form = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
        response: Response = self.client.post(url, data=form, follow_redirects=False, **kwargs)
        return response


def log_in(
    app: FastAPI, username: str, lang: str | None = None, *, password: str = PASSWORD
) -> Session:
    """A new client of ``app`` logged in as ``username``, in ``lang`` when given."""
    client = TestClient(app, raise_server_exceptions=False)
    if lang:
        client.cookies.set("lang", lang)
    submit_login(client, username, password)
    return Session(client, page_csrf(client))
