"""The registry of evidence kinds. Adding a kind is adding a module and one entry here.

A kind's module is imported when the kind is first looked up, so a check imports the
kinds its policy names and no other (their models and checks cost start-up time).
Names alone (`name in KINDS`, `sorted(KINDS)`) import nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.evidence.base import EvidenceKind

# Each built-in kind and the module of gatekeeper.evidence defining it (as `KIND`, or in
# `KINDS`), in the order `gate schema` lists them.
_MODULES: dict[str, str] = {
    "test-report": "test_report",
    "backup": "backup",
    "env-check": "env_check",
    "launch-notice": "launch_notice",
    "perf-test": "outcome",
    "post-check": "outcome",
    "rollback": "outcome",
    "notice-sent": "notice_sent",
}


class _Kinds(Mapping[str, "EvidenceKind"]):
    """The built-in kinds by name; a kind's module is imported on first access."""

    def __init__(self) -> None:
        self._loaded: dict[str, EvidenceKind] = {}

    def __getitem__(self, name: str) -> EvidenceKind:
        if name not in self._loaded:
            self._loaded[name] = _load(name, _MODULES[name])
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in _MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


def _load(name: str, module: str) -> EvidenceKind:
    found = import_module(f"gatekeeper.evidence.{module}")
    kinds: tuple[EvidenceKind, ...] = getattr(found, "KINDS", None) or (found.KIND,)
    for kind in kinds:
        if kind.name == name:
            return kind
    raise LookupError(f"gatekeeper.evidence.{module} defines no kind {name!r}")


KINDS: Mapping[str, EvidenceKind] = _Kinds()


def kind_named(name: str) -> EvidenceKind:
    """The built-in kind `name`, or the custom kind for names a policy invents."""
    if name in KINDS:
        return KINDS[name]
    from gatekeeper.evidence import custom

    return custom.KIND
