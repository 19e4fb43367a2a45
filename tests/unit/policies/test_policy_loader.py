"""Loading shipped policies and files."""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path

import pytest

from utilcredit.policies.loader import (
    PolicyFileError,
    PolicyNotFoundError,
    list_policies,
    load_policy,
    load_policy_file,
    load_policy_ref,
)
from utilcredit.policies.model.levels import Level

SHIPPED = {"lianshui-water", "shaoguan-water", "suizhou-water", "huaiyin-power", "zhanjiang-power"}


def test_all_five_policies_ship_inside_the_package() -> None:
    root = resources.files("utilcredit.policies").joinpath("files")
    assert {entry.name for entry in root.iterdir() if entry.is_dir()} >= SHIPPED
    assert {lp.key for lp in list_policies()} == SHIPPED


def test_hash_is_of_the_file_bytes() -> None:
    loaded = load_policy("suizhou-water")
    data = resources.files("utilcredit.policies").joinpath("files/suizhou-water/2023.1.yaml")
    assert loaded.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()


def test_version_in_force_at_a_date() -> None:
    assert load_policy("huaiyin-power", dt.date(2021, 9, 23)).version == "2021.1"
    with pytest.raises(PolicyNotFoundError):
        load_policy("huaiyin-power", dt.date(2021, 9, 22))
    with pytest.raises(PolicyNotFoundError, match="lianshui-water"):
        load_policy("no-such-policy")


def test_suizhou_has_no_black_level() -> None:
    policy = load_policy("suizhou-water").policy
    assert Level.BLACK not in policy.levels
    assert not [c for c in policy.clauses if c.id.startswith("K")]


def test_load_by_path_and_reject_invalid(tmp_path: Path) -> None:
    source = resources.files("utilcredit.policies").joinpath("files/lianshui-water/2022.1.yaml")
    good = tmp_path / "copy.yaml"
    good.write_bytes(source.read_bytes())
    assert load_policy_file(good).policy.key == "lianshui-water"
    assert load_policy_ref(str(good)).sha256 == load_policy("lianshui-water").sha256
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: x\n", encoding="utf-8")
    with pytest.raises(PolicyFileError):
        load_policy_file(bad)
