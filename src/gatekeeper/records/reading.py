"""A release's records as they are at one revision, parsed strictly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from gatekeeper.errors import InputError, RecordError, UnsafePathError
from gatekeeper.models.tomlfile import parse_toml, validation_lines
from gatekeeper.records.layout import ReleaseLayout, classify

if TYPE_CHECKING:
    from pydantic import BaseModel

    from gatekeeper.evidence.base import EvidenceItem
    from gatekeeper.models.base import Strict
    from gatekeeper.models.records import EmergencyDeclaration, Request, Signoff
    from gatekeeper.repo import GitRepo, TreeEntry

M = TypeVar("M", bound="BaseModel")
MAX_RELEASE_BYTES = 64 * 1024 * 1024  # all distinct files of one release folder together
HINT = "fix the record (see `gate schema request|approval|evidence`) and commit the fix"


def new_tag_command(tag: str) -> str:
    """How a release whose committed records cannot be read goes on: a committed record is
    never fixed (an edit fails the release for good), and gate writes nothing more into a
    folder it cannot read."""
    return f'gate request NEW_TAG --title ... --summary "replaces {tag}"'


@dataclass(frozen=True)
class RecordFile:
    """One file of the release folder: its git blob id and sha256."""

    path: str
    blob: str
    sha256: str


@dataclass(frozen=True)
class ReleaseRecords:
    """Everything under `releases/<tag>/` at `commit`."""

    layout: ReleaseLayout
    commit: str
    request: Request | None = None
    request_sha256: str | None = None
    signoffs: tuple[tuple[str, Signoff], ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    emergencies: tuple[tuple[str, EmergencyDeclaration], ...] = ()
    files: tuple[RecordFile, ...] = field(default=())

    @property
    def tag(self) -> str:
        """The release."""
        return self.layout.tag

    @property
    def folder(self) -> str:
        """The release folder."""
        return self.layout.folder

    @property
    def request_path(self) -> str:
        """Where the request lives."""
        return self.layout.request


def parse_record(model: type[M], data: bytes, path: str) -> M:
    """Parse and validate one record file; exit 2 naming each bad field. Parsed once per
    content in a process (records are immutable; the models are never changed)."""
    return cast(M, _parsed(model, data, path))


@lru_cache(maxsize=16384)
def _parsed(model: type[M], data: bytes, path: str) -> M:
    from pydantic import ValidationError

    doc = parse_toml(data, path)
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        lines = validation_lines(path, exc)
        raise RecordError(lines[0], hint=HINT, lines=lines) from None


def read_release(repo: GitRepo, commit: str, releases: str, tag: str) -> ReleaseRecords:
    """Read one release folder from git objects: one subtree, whatever the repo's size.
    What a folder's tree holds is read once a process (a release at HEAD and at its tag
    is often the same tree)."""
    layout = ReleaseLayout(releases, tag)
    tree = repo.tree_id(commit, layout.folder)
    key = ("release", releases, tag, tree or "")
    kept: ReleaseRecords | None = repo.memo.get(key)
    if kept is None:
        kept = _read_release(repo, commit, layout)
        repo.memo[key] = kept
    return kept if kept.commit == commit else replace(kept, commit=commit)


def read_ahead(repo: GitRepo, releases: str, folders: list[tuple[str, str]]) -> None:
    """Read (and keep, per folder tree) the records of each (commit, tag) while git walks
    history for something else; what cannot be read is left for its own check to report."""
    from gatekeeper.errors import GateError

    for commit, tag in folders:
        try:
            read_release(repo, commit, releases, tag)
        except GateError:
            continue


def _read_release(repo: GitRepo, commit: str, layout: ReleaseLayout) -> ReleaseRecords:
    entries = repo.ls_tree(commit, layout.folder)
    _within_budget(entries, layout.folder)
    # Each blob read (and hashed) once, however many paths; symlinks, submodules and big
    # files refused before anything is read.
    by_blob = repo.read_blobs(entries)
    digests = {sha: hashlib.sha256(data).hexdigest() for sha, data in by_blob.items()}
    blobs = {e.path: by_blob[e.sha] for e in entries}
    files = tuple(RecordFile(e.path, e.sha, digests[e.sha]) for e in entries)
    try:
        parsed = records_from_blobs(layout, commit, blobs)
    except InputError as exc:  # committed: it stays as it is, whatever is typed now
        hint = (
            "a committed record stays as it is (records are append-only): release under a "
            f"new tag (`{new_tag_command(layout.tag)}`)"
        )
        raise RecordError(exc.message, hint=hint, lines=exc.lines) from None
    return replace(parsed, files=files)


def _within_budget(entries: list[TreeEntry], folder: str) -> None:
    """A release folder may hold at most MAX_RELEASE_BYTES of distinct content, known
    from the tree before anything is read."""
    sizes = {e.sha: e.size or 0 for e in entries}
    total = sum(sizes.values())
    if total > MAX_RELEASE_BYTES:
        raise UnsafePathError(
            f"{folder}/: {total} bytes of distinct files; expected at most {MAX_RELEASE_BYTES}",
            hint="keep large artefacts outside git and record their digest instead",
        )


def records_from_blobs(
    layout: ReleaseLayout, commit: str, blobs: dict[str, bytes]
) -> ReleaseRecords:
    """Parse a release's files (path -> content) into records."""
    from gatekeeper.models.records import EmergencyDeclaration, Request, Signoff

    request = request_sha = None
    signoffs = []
    evidence = []
    emergencies = []
    for path in sorted(blobs):
        kind = layout.kind_of(path)
        data = blobs[path]
        if kind == "request":
            request = parse_record(Request, data, path)
            request_sha = hashlib.sha256(data).hexdigest()
        elif kind == "approval":
            signoffs.append((path, parse_record(Signoff, data, path)))
        elif kind == "evidence":
            evidence.append(parse_evidence(path, data, blobs))
        elif kind == "emergency":
            emergencies.append((path, parse_record(EmergencyDeclaration, data, path)))
    return ReleaseRecords(
        layout,
        commit,
        request,
        request_sha,
        tuple(signoffs),
        tuple(evidence),
        tuple(emergencies),
    )


def parse_evidence(path: str, data: bytes, blobs: dict[str, bytes]) -> EvidenceItem:
    from gatekeeper.evidence import kind_named
    from gatekeeper.evidence.base import EvidenceItem
    from gatekeeper.models.records import EvidenceManifest

    manifest = parse_record(EvidenceManifest, data, path)
    details = _details(kind_named(manifest.kind).details_model, manifest.details, path)
    base = path.rsplit("/", 1)[0]
    attachments: dict[str, bytes] = {}
    problems = []
    for attachment in manifest.attachments:
        content = blobs.get(f"{base}/{attachment.path}")
        if content is None:
            problems.append(f"attachment {attachment.path} is missing")
        elif hashlib.sha256(content).hexdigest() != attachment.sha256:
            problems.append(f"attachment {attachment.path} changed after it was recorded")
        else:
            attachments[attachment.path] = content
    return EvidenceItem(path, manifest, details, attachments, problems=tuple(problems))


def _details(model: type[Strict], details: dict[str, Any], path: str) -> Strict:
    from pydantic import ValidationError

    try:
        return model.model_validate(details)
    except ValidationError as exc:
        lines = [
            line.replace(f"{path}: ", f"{path}: details.", 1)
            for line in validation_lines(path, exc)
        ]
        raise RecordError(lines[0], hint=HINT, lines=lines) from None


def release_tags(repo: GitRepo, commit: str, releases: str) -> list[str]:
    """Names of every release folder (those holding a request) at `commit`."""
    found = (classify(path, releases) for path in repo.paths(commit, releases))
    return sorted(r.tag for r in found if r is not None and r.kind == "request")


def missing_request(repo: GitRepo, commit: str, layout: ReleaseLayout) -> str:
    """Why there is no request, said usefully: a release of a similar name at `commit`, or
    the branches that do hold this release's request (the wrong branch, or not pulled)."""
    from gatekeeper.models.tomlfile import did_you_mean

    said = f"no request for '{layout.tag}' at {commit[:12]}"
    similar = did_you_mean(layout.tag, release_tags(repo, commit, layout.releases))
    if similar:
        return said + similar
    holding = repo.refs_holding(layout.request)
    if holding:
        shown = ", ".join(holding[:3]) + (" ..." if len(holding) > 3 else "")
        return f"{said}; it is on {shown}: switch to that branch, or merge it"
    return f"{said}; it was never filed here (`git fetch` if a colleague filed it)"
