"""Refs, read exactly: `for-each-ref` semantics, never rev-parse's guessing.

A release tag is only `refs/tags/<name>`; a trusted ref is a branch, a remote-tracking
branch, a full ref or an object id. One reader serves one tag and all tags alike.
"""

from __future__ import annotations

import re

from gatekeeper.errors import GitError, InputError
from gatekeeper.repo.base import RepoBase
from gatekeeper.repo.parse import OBJECT_ID, epoch
from gatekeeper.repo.values import TagInfo

_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(tag)",
    "%(taggeremail)",
    "%(taggerdate:raw)",
    "%(contents:signature)",
)
_FORMAT = "%00".join(_FIELDS) + "%00%1e"
_RAW_DATE = re.compile(r"^(\d{1,12}) ([+-]\d{4})$")


class TagsMixin(RepoBase):
    """Release tags and trusted refs."""

    def _refs(self, pattern: str) -> dict[str, TagInfo]:
        out = self.run("for-each-ref", f"--format={_FORMAT}", "--end-of-options", pattern)
        found = {}
        for record in out.split("\0\x1e"):
            fields = record.lstrip("\n").split("\0")
            if len(fields) >= len(_FIELDS):
                info = _tag_info(fields)
                found[info.ref] = info
        return found

    def tag(self, name: str) -> TagInfo | None:
        """`refs/tags/<name>` exactly (a branch or another ref of that name never counts)."""
        return self._refs(f"refs/tags/{name}").get(f"refs/tags/{name}")

    def tags(self) -> dict[str, TagInfo]:
        """Every tag by name, in one `for-each-ref` call."""
        return {
            ref.removeprefix("refs/tags/"): info for ref, info in self._refs("refs/tags/").items()
        }

    def tags_merged_into(self, commit: str) -> list[TagInfo]:
        """Tags whose commit is an ancestor of (or is) `commit`, newest tagger date first."""
        out = self.run(
            "for-each-ref",
            f"--format={_FORMAT}",
            "--sort=-taggerdate",
            f"--merged={commit}",
            "refs/tags/",
        )
        return [
            _tag_info(fields)
            for record in out.split("\0\x1e")
            if len(fields := record.lstrip("\n").split("\0")) >= len(_FIELDS)
        ]

    def tag_names(self) -> list[str]:
        """Every tag name in the repository."""
        return list(self.tags())

    def ref_commit(self, ref: str) -> str | None:
        """The commit the full ref `ref` names (peeling one annotated tag), or None."""
        info = self._refs(ref).get(ref)
        return info.commit if info else None

    def has_ref(self, ref: str) -> bool:
        """Whether the full ref `ref` exists."""
        return ref in self._refs(ref)

    def resolve_trusted(self, name: str, what: str = "--policy-ref") -> str:
        """`refs/heads/NAME`, `refs/remotes/NAME`, a full ref or an object id; exit 2 when it
        names nothing, or more than one of these."""
        if not name or name.startswith("-") or any(ord(c) < 33 for c in name):
            raise InputError(f"{what}: {name!r} is not a ref", hint=f"e.g. {what} main")
        if OBJECT_ID.match(name):
            return self.resolve_commit(name, what)
        candidates = (
            [name] if name.startswith("refs/") else [f"refs/heads/{name}", f"refs/remotes/{name}"]
        )
        found = {ref: sha for ref in candidates if (sha := self.ref_commit(ref))}
        if len(found) > 1:
            raise InputError(
                f"{what} {name}: ambiguous; both {' and '.join(found)} exist",
                hint=f"give the full ref, e.g. {what} {next(iter(found))}",
            )
        if not found:
            wanted = " or ".join(candidates)
            raise InputError(
                f"{what} {name}: no commit at {wanted}",
                hint="give a branch, a remote-tracking branch (origin/main), a full ref or a SHA",
            )
        return next(iter(found.values()))

    def tag_object(self, object_sha: str) -> bytes:
        """The raw annotated tag object (headers, message and signature)."""
        return self.run_bytes("cat-file", "tag", object_sha)

    def tag_message(self, object_sha: str) -> str:
        """The message of an annotated tag object (signature included)."""
        return self.tag_object(object_sha).decode("utf-8", "surrogateescape").partition("\n\n")[2]

    def create_tag(self, name: str, commit: str, message: str, *, sign: bool) -> None:
        """Create an annotated (or signed) tag `name` on `commit`."""
        self.run("tag", "-s" if sign else "-a", "-m", message, "--end-of-options", name, commit)

    def check_remote(self, remote: str) -> None:
        """`--push REMOTE`: a remote of this repository, or a URL or path to push to."""
        if remote.startswith("-") or not remote or any(ord(c) < 32 for c in remote):
            raise InputError(f"--push: '{remote}' is not a remote name", hint="e.g. --push origin")
        names = self.run("remote").split()
        if remote not in names and not any(c in remote for c in ":/"):
            known = ", ".join(names) or "none"
            raise InputError(
                f"--push: '{remote}' is no remote of this repository (remotes: {known})",
                hint="e.g. --push origin, or add it first with `git remote add NAME URL`",
            )

    def push_tag(self, remote: str, name: str) -> None:
        """Push one tag to `remote`, which `check_remote` allowed before the tag was made (a
        failure says how to push it again)."""
        try:
            self.run(
                "push", "--quiet", "--end-of-options", remote, f"refs/tags/{name}:refs/tags/{name}"
            )
        except GitError as exc:
            message = f"tag {name} was made, but pushing it to {remote} failed: {exc.message}"
            raise GitError(
                message,
                hint=f"push it when {remote} can be reached: git push {remote} refs/tags/{name}",
                lines=[message, *exc.lines[1:]],  # every line git said
            ) from None


def _tag_info(fields: list[str]) -> TagInfo:
    ref, kind, obj, peeled_kind, peeled, name, email, date, signature = fields[: len(_FIELDS)]
    annotated = kind == "tag"
    if annotated:
        commit = peeled if peeled_kind == "commit" else None
    else:
        commit = obj if kind == "commit" else None
    raw = _RAW_DATE.match(date.strip())
    return TagInfo(
        ref=ref,
        object_sha=obj,
        annotated=annotated,
        name_in_object=name if annotated else None,
        commit=commit,
        tagger_email=email.strip("<>") or None,
        tagged_at=epoch(raw.group(1), raw.group(2)) if raw else None,
        signed=bool(signature.strip()),
        target_type=peeled_kind if annotated else kind,
    )
