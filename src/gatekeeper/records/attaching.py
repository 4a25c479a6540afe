"""`gate attach`: evidence and its files, pinned by the sha256 of the blobs git stores."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import InputError
from gatekeeper.records.refusals import refuse_kind, vet_evidence
from gatekeeper.records.session import requested
from gatekeeper.records.writing import Written, dump, staged, stamp, write

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from gatekeeper.evidence.base import EvidenceKind
    from gatekeeper.models.base import Strict
    from gatekeeper.records.session import Session


def attach(
    s: Session,
    tag: str,
    kind: str,
    source: Path | Sequence[Path] | None,
    sets: dict[str, str],
    *,
    commit: bool = True,
    force: bool = False,
) -> Written:
    """Copy `source` (for a test report: several files, or a folder's *.xml) beside a new
    evidence manifest of `kind`, each pinned by the sha256 of the blob git stores for it,
    so line-ending settings and filters cannot make it look changed later."""
    from gatekeeper.evidence import intake, kind_named
    from gatekeeper.models.records import EvidenceManifest

    refuse_kind(s, kind)
    spec = kind_named(kind)
    records, request = requested(s, tag)
    details = _details(spec.details_model, spec.details_from_cli(sets), kind)
    sources = intake.sources_for(spec, tag, source)
    intake.accept(spec, {src.origin: src.data for src in sources}, {})  # refuse before writing
    base = records.layout.record("evidence", f"{kind}-{stamp(s.now)}-{s.person}")
    stem, names = intake.free_names(s.repo.root, base, sources, spec.attachment_suffix)
    folder = stem.rsplit("/", 1)[0]
    files = {f"{folder}/{name}": src.data for name, src in zip(names, sources, strict=True)}
    with staged(s.repo, files) as stored:
        blobs = {name: stored[f"{folder}/{name}"] for name in names}
        labels = {name: src.label for name, src in zip(names, sources, strict=True)}
        details |= intake.accept(spec, blobs, labels)  # as git stores them, e.g. behind a filter
        doc = {
            "schema": 1,
            "release": tag,
            "kind": kind,
            "person": s.person,
            "candidate": request.candidate,
            "request_sha256": records.request_sha256,
            "at": s.now,
            "attachments": [_pin(name, blobs[name]) for name in names],
            "details": details,
        }
        files[stem] = dump(EvidenceManifest, doc, stem, s.record_key)
        _vetted(s, spec, stem, files[stem], blobs, force=force)
        message = f"gate: attach {kind} to {tag}"
        return write(s.repo, files, message, commit=commit, signing_key=s.commit_key)


def _vetted(
    s: Session, spec: EvidenceKind, path: str, data: bytes, blobs: dict[str, bytes], *, force: bool
) -> None:
    """Refuse evidence that would fail the policy's gate of its kind, unless `force`."""
    from gatekeeper.records.reading import parse_evidence

    item = replace(parse_evidence(path, data, {}), attachments=blobs, person=s.person)
    problems = vet_evidence(s, spec, item)
    if problems and not force:
        raise InputError(
            f"{path}: would not count: {problems[0]}",
            lines=[f"{path}: would not count: {p}" for p in problems],
            hint="nothing was written; fix it, or record it anyway with --force "
            "(it will not count)",
        )


def _pin(name: str, stored: bytes) -> dict[str, Any]:
    return {"path": name, "sha256": hashlib.sha256(stored).hexdigest(), "size": len(stored)}


def _details(model: type[Strict], given: dict[str, Any], kind: str) -> dict[str, Any]:
    from pydantic import ValidationError

    from gatekeeper.models.tomlfile import format_loc

    try:
        details = model.model_validate(given, strict=False)
    except ValidationError as exc:
        lines = [f"--set {format_loc(e['loc'])}: {e['msg']} (kind {kind})" for e in exc.errors()]
        raise InputError(
            lines[0], lines=lines, hint=f"`gate schema evidence` lists {kind}'s fields"
        ) from None
    return details.model_dump(mode="python", exclude_defaults=False)
