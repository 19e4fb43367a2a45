"""Exact key structures for files of millions of rows, in a fraction of a ``dict``'s memory:
:class:`FirstRows` (the row each natural key of a file first appeared on, ~13–25 bytes a key)
and :class:`ParentIds` (every parent's id by natural key, ~55 bytes a key).

Duplicate keys within a file are rejected with the row that came first, so every key of the
file has to be remembered until its end. A ``dict`` of them cost ~136 bytes a key (the key
string, a row number object, the slot): 2.2 GB for the 16 million bills of a million subjects,
more while it resized. :class:`FirstRows` keeps instead

* an open-addressing table in two arrays: a 32-bit tag of the key's hash and the key's
  sequence number (8 bytes a slot, at most three quarters full, so ~8–16 bytes a key);
* the keys themselves with their rows, in the order they came, in compressed blocks of
  ``BLOCK`` keys (~5 bytes a key for billing numbers); the block being filled stays a list.

It stays exact: a tag that matches is only a candidate, and the key is read back from its
block and compared, so two keys sharing a hash never count as one. Blocks are decompressed
only for such a match — a duplicate, or a tag collision (about one key in 2³² per slot
probed) — and the last few decompressed are kept.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import accumulate, islice
from typing import Any, NamedTuple, Protocol

# Keys per compressed block: big enough to compress well, small enough to decompress in ~1 ms.
BLOCK = 16_384
_CACHED_BLOCKS = 4
_MIN_SLOTS = 1 << 10
_TAG_MASK = 0xFFFF_FFFF
_BUILD_CHUNK = 1 << 16  # parents appended at once while a ParentIds is built


# The hash of a key (a test makes every key collide through it).
_hash = hash


def _slots_for(keys: int) -> int:
    """A power of two at least twice ``keys``: the table starts at most half full."""
    slots = _MIN_SLOTS
    while slots < 2 * keys:
        slots *= 2
    return slots


class HotTable(NamedTuple):
    """:class:`FirstRows` as a loop works on it inline (see :meth:`FirstRows.hot`)."""

    tags: array[int]
    seqs: array[int]
    mask: int
    next_seq: int  # the sequence number of the next new key
    room: int  # keys until the loop must settle (a block is full, or the table)
    add_row: Callable[[int], None]
    add_key: Callable[[Any], None]
    hash_key: Callable[[Any], int]


class FirstRows:
    """Natural key → the row it first appeared on; the ``dict.setdefault`` of a file's keys.

    ``expected``: about how many keys will come (e.g. the file's estimated rows), so the
    table is sized once; it doubles (re-reading every key) if far more come.
    """

    __slots__ = (
        "_add_key",
        "_add_row",
        "_blocks",
        "_cache",
        "_count",
        "_flushed",
        "_keys",
        "_mask",
        "_room",
        "_rows",
        "_seqs",
        "_starts",
        "_tags",
    )

    def __init__(self, expected: int = 0) -> None:
        slots = _slots_for(expected)
        self._mask = slots - 1
        self._tags = array("I", [0]) * slots  # 0: empty slot
        self._seqs = array("I", [0]) * slots
        self._count = 0
        self._flushed = 0  # keys in compressed blocks; the others are in _rows/_keys
        self._blocks: list[bytes] = []
        self._starts: list[int] = []  # sequence number of each block's first key
        self._cache: dict[int, tuple[array[int], list[Any]]] = {}
        self._new_block()
        self._checkpoint()

    def __len__(self) -> int:
        return self._count

    def setdefault(self, key: Hashable, row: int, /) -> int:
        """The row ``key`` first appeared on; ``row`` (remembered) if it is new.

        The import's hot path (once a row): attributes read once, the block and the table
        checked by one countdown."""
        hashed = _hash(key)
        tag = (hashed >> 32) & _TAG_MASK or 1
        tags, mask = self._tags, self._mask
        slot = hashed & mask
        found = tags[slot]
        while found:
            if found == tag:
                first = self.first_row(self._seqs[slot], key)
                if first is not None:
                    return first
            slot = (slot + 1) & mask
            found = tags[slot]
        tags[slot] = tag
        count = self._count
        self._seqs[slot] = count
        self._count = count + 1
        self._add_row(row)
        self._add_key(key)
        self._room -= 1
        if not self._room:
            self._checkpoint()
        return row

    def hot(self) -> HotTable:
        """The table as the CSV import's generated loop works on it, inline (:mod:`fused`):
        it probes and inserts exactly as :meth:`setdefault` does, asks :meth:`first_row`
        about a tag that matches, and hands its count and room back through :meth:`settle`
        — when the room runs out, and when it returns."""
        return HotTable(
            self._tags,
            self._seqs,
            self._mask,
            self._count,
            self._room,
            self._add_row,
            self._add_key,
            _hash,
        )

    def settle(self, count: int, room: int) -> HotTable:
        """Take back the generated loop's count and room (checkpointing when the room ran
        out): the table to go on with."""
        self._count, self._room = count, room
        if not room:
            self._checkpoint()
        return self.hot()

    def _checkpoint(self) -> None:
        """A full block is compressed, a table three quarters full doubled; ``_room``: the
        keys until either is due again."""
        if len(self._keys) >= BLOCK:
            self._flush()
        if 4 * self._count > 3 * (self._mask + 1):
            self._grow()
        table_room = 3 * (self._mask + 1) // 4 - self._count + 1
        self._room = max(1, min(BLOCK - len(self._keys), table_room))

    def get(self, key: Hashable) -> int | None:
        """The row ``key`` first appeared on, or ``None`` if it has not come."""
        hashed = _hash(key)
        tag = (hashed >> 32) & _TAG_MASK or 1
        mask = self._mask
        slot = hashed & mask
        while found := self._tags[slot]:
            if found == tag:
                first = self.first_row(self._seqs[slot], key)
                if first is not None:
                    return first
            slot = (slot + 1) & mask
        return None

    def first_row(self, seq: int, key: Hashable) -> int | None:
        """The row of the ``seq``-th key if that key is ``key``, else ``None``."""
        if seq >= self._flushed:
            at = seq - self._flushed
            return self._rows[at] if self._keys[at] == key else None
        rows, keys, at = self._block_of(seq)
        return rows[at] if keys[at] == key else None

    def _block_of(self, seq: int) -> tuple[array[int], list[Any], int]:
        """The decompressed block holding the ``seq``-th key, and its place there."""
        index = bisect_right(self._starts, seq) - 1
        block = self._cache.get(index)
        if block is None:
            packed_rows, keys = pickle.loads(zlib.decompress(self._blocks[index]))
            block = (array("q", packed_rows), keys)
            if len(self._cache) >= _CACHED_BLOCKS:
                del self._cache[next(iter(self._cache))]  # the oldest decompressed
            self._cache[index] = block
        return block[0], block[1], seq - self._starts[index]

    def _new_block(self) -> None:
        self._rows: list[int] = []
        self._keys: list[Any] = []
        self._add_row, self._add_key = self._rows.append, self._keys.append

    def _flush(self) -> None:
        """Compress the keys not yet in a block into one."""
        payload = (array("q", self._rows).tobytes(), self._keys)
        self._blocks.append(zlib.compress(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL), 1))
        self._starts.append(self._flushed)
        self._flushed = self._count
        self._new_block()

    def _all_keys(self) -> Iterator[list[Any]]:
        """Every key so far in sequence order, a block at a time (one decompressed at once)."""
        for blob in self._blocks:
            yield pickle.loads(zlib.decompress(blob))[1]
        yield self._keys

    def _grow(self) -> None:
        """Double the table and insert every key again (rare: ``expected`` was far off)."""
        slots = 2 * (self._mask + 1)
        mask = self._mask = slots - 1
        tags = self._tags = array("I", [0]) * slots
        seqs = self._seqs = array("I", [0]) * slots
        seq = 0
        for keys in self._all_keys():
            for key in keys:
                hashed = _hash(key)
                slot = hashed & mask
                while tags[slot]:
                    slot = (slot + 1) & mask
                tags[slot] = (hashed >> 32) & _TAG_MASK or 1
                seqs[slot] = seq
                seq += 1


class Parents(Protocol):
    """Parent natural key → id as the import reads it: a ``dict``, or :class:`ParentIds`. A
    negative id marks a key known not to exist (or, within a scope, not to be visible)."""

    def get(self, key: Any, /) -> int | None: ...

    def __contains__(self, key: Any, /) -> bool: ...

    def __getitem__(self, key: Any, /) -> int: ...

    def update(self, pairs: Iterable[tuple[Any, int]], /) -> None: ...


class ParentIds:
    """Natural key → id of every row of a parent kind, exact, for millions of parents: the
    ``dict`` the import uses (``get``, ``in``, ``[]``, ``update``) in ~55 bytes a key.

    A file of payments names 16 million bills at a million subjects: as a ``dict`` their keys
    and ids held 2.2 GB, and a forked CSV worker held it again (reading an object writes its
    reference count, so each process ends up with its own copy of every page). Here the keys
    sit in one byte string (UTF-8, back to back) with their ids and offsets in arrays, found
    through an open-addressing table of hash tags; a tag that matches is confirmed by
    comparing the key's bytes. Nothing in those buffers is written after the build, so a
    forked worker shares them. Keys added later (:meth:`update`: the parents a batch looked
    up, or ``-1`` for a missing one) go to a plain ``dict`` beside them.
    """

    __slots__ = ("_added", "_arena", "_ids", "_index", "_mask", "_offsets", "_tags")

    def __init__(self, pairs: Iterable[tuple[str, int]], expected: int = 0) -> None:
        """``pairs``: every parent's key and id, read once; ``expected``: about how many."""
        slots = _slots_for(expected)
        self._mask = slots - 1
        self._tags = array("I", [0]) * slots
        self._index = array("I", [0]) * slots  # the key's position in _ids
        self._arena = bytearray()
        self._offsets = array("q", [0])  # key i is _arena[_offsets[i]:_offsets[i + 1]]
        self._ids = array("q")
        self._added: dict[Any, int] = {}
        rows = iter(pairs)
        while chunk := list(islice(rows, _BUILD_CHUNK)):
            self._add_chunk(chunk)

    def __len__(self) -> int:
        return len(self._ids) + len(self._added)

    def _add_chunk(self, chunk: list[tuple[str, int]]) -> None:
        """Append a chunk of parents: keys, offsets and ids in bulk, then their slots."""
        first = len(self._ids)
        while 4 * (first + len(chunk)) > 3 * (self._mask + 1):
            self._grow()
        keys = [key for key, _ in chunk]
        encoded = [key.encode("utf-8", "surrogatepass") for key in keys]
        self._ids.extend(row_id for _, row_id in chunk)
        self._offsets.extend(
            islice(accumulate(map(len, encoded), initial=len(self._arena)), 1, None)
        )
        self._arena += b"".join(encoded)
        self._place(keys, first)

    def _place(self, keys: Iterable[str], first: int) -> None:
        """Give the keys at positions ``first``, ``first + 1`` … their slots."""
        tags, index, mask = self._tags, self._index, self._mask
        for position, key in enumerate(keys, first):
            hashed = _hash(key)
            slot = hashed & mask
            while tags[slot]:
                slot = (slot + 1) & mask
            tags[slot] = (hashed >> 32) & _TAG_MASK or 1
            index[slot] = position

    def _grow(self) -> None:
        """Double the table (when ``expected`` was short): every key hashed again."""
        slots = 2 * (self._mask + 1)
        self._mask = slots - 1
        self._tags = array("I", [0]) * slots
        self._index = array("I", [0]) * slots
        arena, offsets = self._arena, self._offsets
        keys = (
            arena[offsets[i] : offsets[i + 1]].decode("utf-8", "surrogatepass")
            for i in range(len(self._ids))
        )
        self._place(keys, 0)

    def get(self, key: Any, /) -> int | None:
        """The id of ``key``, or ``None`` if it is not known. The import's hot path (once a
        row of a child file): the compact part first, the few keys added later after."""
        if type(key) is str:
            hashed = _hash(key)
            tag = (hashed >> 32) & _TAG_MASK or 1
            tags, mask = self._tags, self._mask
            slot = hashed & mask
            found = tags[slot]
            while found:
                if found == tag:
                    position = self._index[slot]
                    offsets = self._offsets
                    start, end = offsets[position], offsets[position + 1]
                    if self._arena[start:end] == key.encode("utf-8", "surrogatepass"):
                        return self._ids[position]
                slot = (slot + 1) & mask
                found = tags[slot]
        return self._added.get(key) if self._added else None

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: Any) -> int:
        row_id = self.get(key)
        if row_id is None:
            raise KeyError(key)
        return row_id

    def update(self, pairs: Iterable[tuple[Any, int]], /) -> None:
        """Add keys (or mark them missing with a negative id) after the build."""
        self._added.update(pairs)
