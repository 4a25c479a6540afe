"""`gate hook pre-push`: which release tags a push would publish, and whether they may go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

ZERO = "0" * 40  # git's "no object" (64 zeros in a SHA-256 repository: see `deleted`)
TAGS = "refs/tags/"


@dataclass(frozen=True)
class PushedRef:
    """One line of git's pre-push input."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str


def read_input(stream: IO[str] | None) -> str:
    """git's pre-push input, whatever its bytes and the locale: ref names are bytes to
    git, so undecodable ones are kept (surrogateescape), never a crash."""
    if stream is None or stream.isatty():
        return ""
    raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    return raw.decode("utf-8", "surrogateescape")


def parse_pre_push(text: str) -> list[PushedRef]:
    """`<local ref> SP <local sha> SP <remote ref> SP <remote sha>` per line (read as the
    fast path reads it: `gatekeeper.prepush`); a line of any other shape refuses the push
    rather than being passed over."""
    from gatekeeper.errors import InputError
    from gatekeeper.prepush import split_lines

    refs = []
    for fields in split_lines(text):
        if isinstance(fields, str):
            raise InputError(
                "pre-push input: expected '<local ref> <local sha> <remote ref> <remote sha>',"
                f" got {fields[:120]!r}",
                hint="git passes these on the hook's stdin; push refs whose names hold no "
                "line breaks",
            )
        refs.append(PushedRef(*fields))
    return refs


def from_pre_commit(env: Mapping[str, str]) -> list[PushedRef] | None:
    """The one ref pre-commit reports in `PRE_COMMIT_*` variables (it consumes git's stdin)."""
    local = env.get("PRE_COMMIT_LOCAL_BRANCH")
    if not local:
        return None
    # pre-commit runs no hook for deletions, and sets no TO_REF when the push brings the
    # root commit: the ref is being published either way.
    pushed = env.get("PRE_COMMIT_TO_REF") or local
    remote = env.get("PRE_COMMIT_REMOTE_BRANCH") or local
    return [PushedRef(local, pushed, remote, env.get("PRE_COMMIT_FROM_REF") or ZERO)]


def deleted(sha: str) -> bool:
    """Whether git's pre-push line says the ref is being deleted (all zeros, any hash)."""
    return not sha.strip("0")


def touches_tags(refs: list[PushedRef]) -> bool:
    """Whether any pushed ref creates or moves a tag (deletions and branches pass)."""
    return any(r.remote_ref.startswith(TAGS) and not deleted(r.local_sha) for r in refs)


def pushed_tags(refs: list[PushedRef]) -> tuple[list[str], list[str]]:
    """(tag names to check, refusals) for refs that publish a tag."""
    names, refusals = [], []
    for ref in refs:
        if not ref.remote_ref.startswith(TAGS) or deleted(ref.local_sha):
            continue
        name = ref.remote_ref.removeprefix(TAGS)
        if ref.local_ref != ref.remote_ref:
            refusals.append(
                f"{ref.remote_ref}: pushed from {ref.local_ref}; push release tags "
                "under their own name"
            )
        else:
            names.append(name)
    return names, refusals
