"""The password hasher's parameters stay at or above the OWASP Password Storage Cheat Sheet's
argon2id floor, and hashes made with earlier parameters still verify and are flagged for
rehashing."""

from __future__ import annotations

import dataclasses

import pytest
from argon2 import Parameters, PasswordHasher, Type, extract_parameters
from argon2.exceptions import VerifyMismatchError

from utilcredit.access import passwords

# argon2-cffi's defaults, which the product used before it was tuned to the cheat sheet.
OLD = PasswordHasher(memory_cost=65_536, time_cost=3, parallelism=4)


def test_the_product_parameters_meet_the_owasp_floor() -> None:
    assert passwords.meets_owasp_floor(passwords.PARAMETERS)
    product = passwords.product_hasher()
    assert (product.memory_cost, product.time_cost, product.parallelism, product.type) == (
        passwords.PARAMETERS.memory_cost,
        passwords.PARAMETERS.time_cost,
        passwords.PARAMETERS.parallelism,
        Type.ID,
    )
    # And what it writes says so: the hash carries its own parameters.
    assert passwords.meets_owasp_floor(extract_parameters(product.hash("correct-horse-9")))


@pytest.mark.parametrize(
    "weaker",
    [
        dataclasses.replace(passwords.PARAMETERS, memory_cost=19_455),  # a KiB under 19 MiB
        dataclasses.replace(passwords.PARAMETERS, time_cost=1),  # 19 MiB needs two passes
        # below the lowest memory listed, whatever the passes
        dataclasses.replace(passwords.PARAMETERS, memory_cost=7_167, time_cost=10),
        dataclasses.replace(passwords.PARAMETERS, type=Type.I),  # not argon2id
        dataclasses.replace(passwords.PARAMETERS, type=Type.D),
    ],
)
def test_weaker_parameters_fail_the_floor(weaker: Parameters) -> None:
    assert not passwords.meets_owasp_floor(weaker)


@pytest.mark.parametrize(("memory", "iterations"), passwords.OWASP_MINIMUMS)
def test_every_listed_configuration_meets_the_floor(memory: int, iterations: int) -> None:
    assert passwords.meets_owasp_floor(
        dataclasses.replace(passwords.PARAMETERS, memory_cost=memory, time_cost=iterations)
    )


def test_an_old_parameter_hash_verifies_and_is_flagged_for_rehash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "_hasher", passwords.product_hasher())
    old = OLD.hash("correct-horse-9")
    assert "m=65536,t=3,p=4" in old
    assert passwords.verify_password(old, "correct-horse-9")
    assert not passwords.verify_password(old, "correct-horse-8")
    assert passwords.needs_rehash(old)
    fresh = passwords.hash_password("correct-horse-9")
    assert not passwords.needs_rehash(fresh)
    assert passwords.verify_password(fresh, "correct-horse-9")
    with pytest.raises(VerifyMismatchError):
        passwords.product_hasher().verify(fresh, "correct-horse-8")
