"""The live-rating benchmark's minimal HTTP client reads whole answers, reuses connections,
reopens one the server closed while idle, and refuses answers it cannot frame."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _bench_module() -> ModuleType:
    # Loaded by path: bench/ is a folder of scripts (mypy checks them as top-level modules).
    path = Path(__file__).resolve().parents[2] / "bench" / "api_bench.py"
    spec = importlib.util.spec_from_file_location("api_bench_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_bench = _bench_module()
KeepAlive = _bench.KeepAlive
_parse_head = _bench._parse_head


def test_head_gives_status_length_and_close() -> None:
    head = b"HTTP/1.1 404 Not Found\r\ncontent-length: 12\r\nConnection: close\r\n\r\n"
    assert _parse_head(head) == (404, 12, True)
    assert _parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == (200, 0, False)
    with pytest.raises(ValueError, match="Content-Length"):
        _parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")


async def _serve(close_after: int) -> tuple[asyncio.Server, list[int]]:
    """Answers ``/n`` with ``n`` bytes; closes each connection after ``close_after`` answers."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        for _ in range(close_after):
            request = await reader.readuntil(b"\r\n\r\n")
            size = int(request.split(b" ")[1].lstrip(b"/"))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), connections


async def _exchange(close_after: int, sizes: list[int]) -> tuple[list[int], int]:
    server, connections = await _serve(close_after)
    port = server.sockets[0].getsockname()[1]
    client = KeepAlive("127.0.0.1", port, {"Authorization": "Bearer t"}, limit=4)
    bodies = []
    for size in sizes:
        status, body = await client.get(f"/{size}")
        assert status == 200
        bodies.append(len(body))
        await asyncio.sleep(0.01)  # let a server-side close arrive before the next request
    client.close()
    server.close()
    await server.wait_closed()
    return bodies, len(connections)


def test_sequential_gets_share_one_kept_alive_connection() -> None:
    bodies, opened = asyncio.run(_exchange(close_after=10, sizes=[5, 20_000, 0]))
    assert bodies == [5, 20_000, 0] and opened == 1


def test_a_connection_the_server_closed_is_reopened() -> None:
    bodies, opened = asyncio.run(_exchange(close_after=1, sizes=[3, 4, 5]))
    assert bodies == [3, 4, 5] and opened == 3
