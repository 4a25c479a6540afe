"""What an evidence kind is: a gate model, a details model and one pure check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from gatekeeper.models.base import Strict
from gatekeeper.models.gates import EvidenceGate
from gatekeeper.models.records import EvidenceManifest


class NoDetails(Strict):
    """Kinds whose manifest carries everything in its attachment."""


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence manifest, its validated details and the attachments beside it.

    As read: `problems` says what is wrong with its attachments (missing, changed). Once
    it counts (binding, signer and attachments verified): `person` is its proven signer.
    """

    path: str
    manifest: EvidenceManifest
    details: Strict
    attachments: Mapping[str, bytes]
    person: str = ""
    problems: tuple[str, ...] = ()
    roles: frozenset[str] | None = None  # made after the tag: its signer's roles that day


@dataclass(frozen=True)
class CheckContext:
    """What a kind's check may look at besides the items."""

    reference_time: datetime
    roles_of: Callable[[str], frozenset[str]]

    def holds(self, item: EvidenceItem) -> frozenset[str]:
        """The roles the item's signer holds for it (made after the tag: that day's)."""
        return item.roles if item.roles is not None else self.roles_of(item.person)


Check = Callable[[Any, list[EvidenceItem], CheckContext], list[str]]
# The facts of a passing gate (first line: the record that counts); None: every item counts.
Describe = Callable[[Any, list[EvidenceItem], CheckContext], list[str]]


def _details_as_given(sets: Mapping[str, str]) -> dict[str, Any]:
    return dict(sets)


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of evidence. `check` returns failure reasons; no reasons means the gate passes."""

    name: str
    gate_model: type[EvidenceGate]
    details_model: type[Strict]
    check: Check
    attachment_suffix: str | None = None  # the file `gate attach` requires, e.g. ".xml"
    details_from_cli: Callable[[Mapping[str, str]], dict[str, Any]] = field(
        default=_details_as_given
    )
    describe: Describe | None = None
    # At attach time: why one new item would fail a gate of this kind (None: not vetted).
    vet: Check | None = None
    example: Callable[[Any], str] = field(default=lambda gate: "[FILE] [--set key=value ...]")
    # One example per thing still missing, given the check's reasons (None: nothing yet):
    # a backup names each target not yet backed up (default: `example`, once).
    examples: Callable[[Any, list[str] | None], list[str]] | None = None
    many: bool = False  # `gate attach` takes several files (or a folder) as one record
    stage: Literal["pre-tag", "post-release"] = "pre-tag"  # when such records are made
    marks: str | None = None  # the release stage a record of this kind marks, e.g. "launched"
    # Attach-time checks of the files (exit 2), returning details they add to the manifest.
    accept: Callable[[Mapping[str, bytes], Mapping[str, str]], dict[str, Any]] | None = None
    # Files a tool writes beside its reports that are none (Failsafe's run summary): a
    # folder given to `gate attach` stands for its other files.
    not_reports: frozenset[str] = frozenset()


def attach_commands(tag: str, gate: EvidenceGate, problems: list[str] | None = None) -> list[str]:
    """`gate attach TAG KIND ...`, with the kind's own example of what to give: one per
    thing `problems` (the check's reasons; None: nothing attached yet) says is missing."""
    from gatekeeper.evidence import kind_named

    kind = kind_named(gate.kind)
    found = kind.examples(gate, problems) if kind.examples else [kind.example(gate)]
    return [f"gate attach {tag} {gate.kind} {example}" for example in found]


def newest(items: list[EvidenceItem]) -> EvidenceItem:
    """The most recent item by its recorded time."""
    return max(items, key=lambda item: item.manifest.at)


def by_roles_reasons(
    by_roles: list[str], items: list[EvidenceItem], ctx: CheckContext
) -> list[str]:
    """Reasons the items fail a `by_roles` restriction (empty when one item qualifies)."""
    if not by_roles or any(ctx.holds(item) & set(by_roles) for item in items):
        return []
    people = ", ".join(sorted({item.person for item in items}))
    return [f"recorded by {people}, but only {', '.join(by_roles)} may publish it"]
