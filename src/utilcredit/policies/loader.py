"""Load policy files: shipped ones by key and date, or any file by path.

Shipped policies live in ``policies/files/<key>/<version>.yaml`` inside the package (read through
``importlib.resources`` so they work from a wheel). Every loaded policy carries the SHA-256 of the
exact file bytes, which a rating run stores so a past level can be reproduced (DESIGN).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import ValidationError

from utilcredit.policies.model.policy import Policy

_SHIPPED_PACKAGE = "utilcredit.policies"
_SHIPPED_FOLDER = "files"
POLICY_SUFFIXES = (".yaml", ".yml")


class PolicyError(Exception):
    """Base of policy loading errors."""


class PolicyFileError(PolicyError):
    """A policy file is not valid YAML or does not match the policy model."""


class PolicyNotFoundError(PolicyError, LookupError):
    """No shipped policy has that key (or none is effective at the date asked)."""


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    policy: Policy
    source: str  # file path, or "package:<key>/<version>.yaml" for shipped policies
    sha256: str  # of the file bytes

    @property
    def key(self) -> str:
        return self.policy.key

    @property
    def version(self) -> str:
        return self.policy.version


# PyYAML's safe loader on libyaml where the wheel has it (it does on the platforms we ship
# to): the same documents, a quarter of the time; every command parses the shipped policies.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_policy_bytes(data: bytes, source: str) -> LoadedPolicy:
    """Validate YAML bytes as a policy; raises :class:`PolicyFileError` with the reason.

    For messages with line numbers run :func:`utilcredit.policies.linter.check` instead.
    """
    try:
        raw = yaml.load(data, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise PolicyFileError(f"{source}: not valid YAML: {error}") from error
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as error:
        raise PolicyFileError(f"{source}: not a valid policy: {error}") from error
    return LoadedPolicy(policy=policy, source=source, sha256=content_hash(data))


def load_policy_file(path: Path) -> LoadedPolicy:
    return parse_policy_bytes(path.read_bytes(), str(path))


def shipped_policy_root() -> Traversable:
    return resources.files(_SHIPPED_PACKAGE).joinpath(_SHIPPED_FOLDER)


def shipped_policy_files() -> list[tuple[str, Traversable]]:
    """(``<key>/<file name>``, resource) of every shipped policy file, sorted by name."""
    found: list[tuple[str, Traversable]] = []
    for key_dir in shipped_policy_root().iterdir():
        if not key_dir.is_dir():
            continue
        for entry in key_dir.iterdir():
            if entry.is_file() and entry.name.endswith(POLICY_SUFFIXES):
                found.append((f"{key_dir.name}/{entry.name}", entry))
    return sorted(found, key=lambda item: item[0])


def list_policies() -> list[LoadedPolicy]:
    """Every shipped policy version, by key then effective date."""
    loaded = [
        parse_policy_bytes(resource.read_bytes(), f"package:{name}")
        for name, resource in shipped_policy_files()
    ]
    _check_file_names_match(loaded)
    return sorted(loaded, key=lambda lp: (lp.key, lp.policy.effective_from, lp.version))


def _check_file_names_match(loaded: list[LoadedPolicy]) -> None:
    # The folder and file name are how people find a policy; a mismatch would load the wrong rules.
    for item in loaded:
        expected = f"package:{item.key}/{item.version}"
        if not item.source.startswith(expected + "."):
            raise PolicyFileError(f"{item.source}: key/version inside the file say {expected}")


def load_policy(key: str, at: dt.date | None = None) -> LoadedPolicy:
    """The shipped version of ``key`` in force at ``at`` (the latest one if ``at`` is None)."""
    versions = [item for item in list_policies() if item.key == key]
    if not versions:
        known = ", ".join(sorted({item.key for item in list_policies()}))
        raise PolicyNotFoundError(f"no policy {key!r}; shipped policies: {known}")
    if at is not None:
        versions = [item for item in versions if item.policy.effective_from <= at]
        if not versions:
            raise PolicyNotFoundError(f"policy {key!r} has no version in force on {at}")
    return versions[-1]


def load_policy_ref(ref: str, at: dt.date | None = None) -> LoadedPolicy:
    """A policy given as a shipped key (``lianshui-water``) or a path to a YAML file."""
    path = Path(ref)
    if ref.endswith(POLICY_SUFFIXES) and path.is_file():
        return load_policy_file(path)
    return load_policy(ref, at)
