"""The compact key structures of the import (:mod:`utilcredit.importing.keys`) answer exactly
as the ``dict`` they replace: the first row of every key, every parent's id, keys that
share a hash (or a tag) never taken for one another, across compressed blocks and growth."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utilcredit.importing import keys
from utilcredit.importing.keys import FirstRows, ParentIds

# Few distinct keys, so that they repeat: plain codes, composite keys, non-ASCII text.
key_values = st.one_of(
    st.integers(0, 60).map(lambda i: f"B{i:04d}"),
    st.tuples(st.sampled_from(["S1", "S2"]), st.sampled_from(["src", "来源"]), st.just("2026")),
    st.text(max_size=3),
)


@pytest.fixture(params=["real hash", "every key collides"])
def hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "every key collides":  # one slot, one tag: only the key tells them apart
        monkeypatch.setattr(keys, "_hash", lambda _key: 0x1234_5678_0000_0007)
    return str(request.param)


@pytest.fixture(params=[3, keys.BLOCK])
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(keys, "BLOCK", request.param)  # 3: most keys sit in compressed blocks
    return int(request.param)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(key_values, max_size=120), st.integers(0, 200))
def test_first_rows_is_dict_setdefault(
    hashing: str, block: int, seq: list[Any], expected: int
) -> None:
    first_rows, reference = FirstRows(expected), dict[Any, int]()
    for row, key in enumerate(seq, start=2):
        assert first_rows.setdefault(key, row) == reference.setdefault(key, row), (key, row)
    assert len(first_rows) == len(reference)
    for key, row in reference.items():
        assert first_rows.get(key) == row
    assert first_rows.get("never seen") is None
    assert first_rows.get(("S1", "src", "1999")) is None


@pytest.mark.parametrize("block", [100, keys.BLOCK])
def test_first_rows_grows_past_its_expected_size(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(keys, "BLOCK", block)  # the table fills up before or after a block
    first_rows = FirstRows(expected=10)  # the table starts at 1,024 slots
    for row in range(5000):
        assert first_rows.setdefault(f"K{row}", row) == row
    for row in range(0, 5000, 7):
        assert first_rows.setdefault(f"K{row}", 99_999) == row
        assert first_rows.get(f"K{row}") == row
    assert len(first_rows) == 5000


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.text(max_size=6), st.integers(1, 2**40), max_size=80),
    st.lists(st.text(max_size=6), max_size=40),
    st.integers(0, 100),
)
def test_parent_ids_is_the_dict_of_its_rows(
    hashing: str, parents: dict[str, int], asked: list[str], expected: int
) -> None:
    compact = ParentIds(parents.items(), expected)
    assert len(compact) == len(parents)
    for key in [*parents, *asked]:
        assert compact.get(key) == parents.get(key)
        assert (key in compact) == (key in parents)
    missing = [key for key in asked if key not in parents]
    compact.update((key, -1) for key in missing)  # what a batch's look-up adds
    for key in missing:
        assert compact[key] == -1
    with pytest.raises(KeyError):
        compact["\x00 never a key"]


def test_parent_ids_grow_and_take_any_text(monkeypatch: pytest.MonkeyPatch) -> None:
    parents = {f"账户{i}-\udcff" if i % 97 == 0 else f"A{i:07d}": i for i in range(1, 6000)}
    compact = ParentIds(parents.items(), expected=3)  # grows several times while it is built
    assert all(compact[key] == row_id for key, row_id in parents.items())
    assert compact.get("A0000000") is None and compact.get(12) is None
