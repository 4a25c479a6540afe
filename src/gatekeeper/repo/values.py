"""Small frozen value objects the git adapter hands to the rest of gatekeeper."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TreeEntry:
    """One file of a tree: mode, object type, blob id, size in bytes, path."""

    mode: str
    type: str
    sha: str
    size: int | None
    path: str


@dataclass(frozen=True)
class TagInfo:
    """What `refs/tags/<name>` is: annotated or not, the name inside it, where it peels to."""

    ref: str
    object_sha: str
    annotated: bool
    name_in_object: str | None
    commit: str | None
    tagger_email: str | None
    tagged_at: datetime | None
    signed: bool
    target_type: str = "commit"  # what the tag object points at (a release needs a commit)


@dataclass(frozen=True)
class Change:
    """One path changed by one commit (`A`dded, `M`odified, `D`eleted...)."""

    commit: str
    author_email: str
    authored_at: datetime
    status: str
    path: str
    blob: str = ""  # the content after the change (zeros for a deletion)
    merge: bool = False  # the change is a merge's difference to its first parent
    # The mode after the change, as git printed it (read when history is, not cached).
    mode: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class CommitInfo:
    """A commit read from its raw object: who, when, and its signature if any."""

    sha: str
    parents: tuple[str, ...]
    author_email: str
    committed_at: datetime | None
    signature: str | None  # the armored `gpgsig` header, if the commit is signed
    payload: bytes  # what the signature covers: the object without its `gpgsig` header


@dataclass(frozen=True)
class Identity:
    """The author identity git would use for a commit now."""

    name: str
    email: str
