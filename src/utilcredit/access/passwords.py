"""Password hashing with argon2id at the OWASP Password Storage Cheat Sheet's parameters.

The cheat sheet (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html,
section "Argon2id") asks for argon2id with "a minimum configuration of 19 MiB of memory, an
iteration count of 2, and 1 degree of parallelism", and lists equivalent trade-offs of memory
for iterations (all with one degree of parallelism): m=47104 (46 MiB) t=1, m=19456 (19 MiB)
t=2, m=12288 (12 MiB) t=3, m=9216 (9 MiB) t=4, m=7168 (7 MiB) t=5. We use the one its
summary recommends, 19 MiB, t=2, p=1 (:data:`PARAMETERS`); :func:`meets_owasp_floor` is the
check that a change of parameters never goes below all of the listed configurations.

Why not argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, t=3, p=4), used before:
a log-in then cost ≈ 120–140 ms of wall time and ≈ 200 ms of CPU on a two-core server (four
lanes), and several times that while other requests ran — most of a log-in's time. At
19 MiB, t=2, p=1 a verification costs ≈ 20 ms on one core. Hashes made with the old
parameters still verify (argon2 hashes carry their parameters) and :func:`needs_rehash` flags
them, so ``access.service.authenticate`` stores a new hash at the user's next log-in.

Hashing and verifying cost milliseconds of CPU, so callers run them off the event loop (sync
endpoints run in the thread pool) and this module bounds how many run at once per process
(:func:`limit_concurrency`): a flood of logins then queues here instead of taking every core
from the requests of logged-in users.
"""

from __future__ import annotations

import threading

from argon2 import DEFAULT_RANDOM_SALT_LENGTH, Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# (memory in KiB, iterations) of the cheat sheet's equivalent configurations, parallelism 1.
OWASP_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
)

PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=DEFAULT_RANDOM_SALT_LENGTH,
    hash_len=32,
    time_cost=2,
    memory_cost=19_456,
    parallelism=1,
)


def meets_owasp_floor(parameters: Parameters) -> bool:
    """Argon2id at or above one of the cheat sheet's configurations (memory and iterations)."""
    return (
        parameters.type is Type.ID
        and parameters.parallelism >= 1
        and any(
            parameters.memory_cost >= memory and parameters.time_cost >= iterations
            for memory, iterations in OWASP_MINIMUMS
        )
    )


def product_hasher() -> PasswordHasher:
    """The hasher the product uses (tests swap in cheaper ones with :func:`use_hasher`)."""
    return PasswordHasher.from_parameters(PARAMETERS)


_hasher = product_hasher()

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
