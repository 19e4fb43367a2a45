"""HTTP clients to outside systems (the SMS and WeChat gateways, the public credit platform):
one keep-alive ``httpx`` client per configured endpoint, with its bearer token, refusing
redirects (a token must not follow one elsewhere), the token kept out of ``repr`` (and so out
of logs), closed when done (``with Client(...) as client``)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx


class BearerClient:
    def __init__(self, url: str, token: str | None, *, timeout: float, base_url: str = "") -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # keep-alive: a batch every few hundred milliseconds should not pay a TCP handshake
        self._client = httpx.Client(
            base_url=base_url, timeout=timeout, headers=headers, follow_redirects=False
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
