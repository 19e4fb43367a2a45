"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile).

Hashing and verifying cost tens of milliseconds of CPU (argon2-cffi releases the GIL and runs
its lanes on several threads), so callers run them off the event loop (sync endpoints run in
the thread pool) and this module bounds how many run at once per process
(:func:`limit_concurrency`): a flood of logins then queues here instead of taking every core
from the requests of logged-in users.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the user does not exist, so a wrong user name costs as much time as a
# wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("utilcredit-no-such-user")

DEFAULT_CONCURRENCY = 1
_slots = threading.BoundedSemaphore(DEFAULT_CONCURRENCY)


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the hasher (tests use cheap parameters; hashes stay verifiable either way,
    since argon2 hashes carry their parameters)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("utilcredit-no-such-user")


def limit_concurrency(limit: int) -> None:
    """At most ``limit`` hashes or verifications at once in this process (the others wait)."""
    global _slots
    if limit < 1:
        raise ValueError("limit must be at least 1")
    _slots = threading.BoundedSemaphore(limit)


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    with _slots:
        try:
            return (
                _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
