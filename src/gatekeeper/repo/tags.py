"""Tags: reading them (one or all in one call) and creating and pushing release tags."""

from __future__ import annotations

import re
from datetime import datetime

from gatekeeper.errors import InputError
from gatekeeper.repo.base import RepoBase
from gatekeeper.repo.parse import epoch
from gatekeeper.repo.values import TagInfo

# How git's own signature blocks start (gpg, ssh, x509); anything else is just text.
SIGNATURE_MARKERS = (
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN SSH SIGNATURE-----",
    "-----BEGIN SIGNED MESSAGE-----",
)


class TagsMixin(RepoBase):
    """Release tags: `refs/tags/<name>` only, never a branch of the same name."""

    def tag(self, name: str) -> TagInfo | None:
        """`refs/tags/<name>` only (a branch of the same name is never picked up)."""
        ref = f"refs/tags/{name}"
        target = self._try("rev-parse", "--verify", "--quiet", "--end-of-options", ref)
        if not target:
            return None
        commit = self._try("rev-parse", "--verify", "--quiet", f"{target}^{{commit}}")
        if self.run("cat-file", "-t", target).strip() != "tag":
            return TagInfo(ref, target, False, None, commit, None, None, False)
        body = self.run("cat-file", "tag", target)
        head, _, message = body.partition("\n\n")
        fields = dict(line.split(" ", 1) for line in head.splitlines() if " " in line)
        tagger = fields.get("tagger", "")
        match = re.match(r"^.*<([^>]*)> (\d+) ([+-]\d{4})$", tagger)
        when = epoch(match.group(2), match.group(3)) if match else None
        return TagInfo(
            ref=ref,
            object_sha=target,
            annotated=True,
            name_in_object=fields.get("tag"),
            commit=commit,
            tagger_email=match.group(1) if match else None,
            tagged_at=when,
            signed=any(marker in message for marker in SIGNATURE_MARKERS),
        )

    def tag_message(self, object_sha: str) -> str:
        """The message of an annotated tag object (signature included)."""
        return self.run("cat-file", "tag", object_sha).partition("\n\n")[2]

    def tags(self) -> dict[str, TagInfo]:
        """Every tag, in one `for-each-ref` call."""
        fmt = (
            "%00".join(
                [
                    "%(refname)",
                    "%(objecttype)",
                    "%(objectname)",
                    "%(*objectname)",
                    "%(tag)",
                    "%(taggeremail)",
                    "%(taggerdate:iso-strict)",
                    "%(contents:signature)",
                ]
            )
            + "%00%1e"
        )
        out = self.run("for-each-ref", f"--format={fmt}", "refs/tags/")
        result = {}
        for record in out.split("\0\x1e"):
            fields = record.lstrip("\n").split("\0")
            if len(fields) < 8:
                continue
            ref, kind, obj, peeled, name, email, date, signature = fields[:8]
            annotated = kind == "tag"
            result[ref.removeprefix("refs/tags/")] = TagInfo(
                ref=ref,
                object_sha=obj,
                annotated=annotated,
                name_in_object=name if annotated else None,
                commit=(peeled or None) if annotated else (obj if kind == "commit" else None),
                tagger_email=email.strip("<>") or None,
                tagged_at=datetime.fromisoformat(date) if date else None,
                signed=bool(signature.strip()),
            )
        return result

    def tag_names(self) -> list[str]:
        """Every tag name in the repository."""
        out = self.run("for-each-ref", "--format=%(refname)", "refs/tags/")
        return [line.removeprefix("refs/tags/") for line in out.splitlines() if line]

    def create_tag(self, name: str, commit: str, message: str, *, sign: bool) -> None:
        """Create an annotated (or signed) tag `name` on `commit`."""
        self.run("tag", "-s" if sign else "-a", "-m", message, "--end-of-options", name, commit)

    def push_tag(self, remote: str, name: str) -> None:
        """Push one tag to `remote`."""
        if remote.startswith("-") or not remote:
            raise InputError(f"--push: '{remote}' is not a remote name", hint="e.g. --push origin")
        self.run(
            "push", "--quiet", "--end-of-options", remote, f"refs/tags/{name}:refs/tags/{name}"
        )
