"""`gate status` kept between runs: each release's row and the window of time it holds for.

A row is judged from the repository at HEAD (every ref, object and git setting it may
read), gatekeeper's own code and what it runs on, a few environment variables and the
clock. The first four are the key: when any differs, nothing kept is used — but for a
new HEAD made of commits that change nothing a tagged release's row read, or refs moved
and tags added that answer nothing it asked: such a row, judged reading nothing else
(check/kept_reads.py, kept_commits.py, kept_tags.py), is used there too. The clock is
each row's window (gatekeeper/clock.py): a row is used again only at a time that answers
every comparison its judgement made the same way, and a row whose judgement read the
clock otherwise (a reason that quotes the time, a freeze looked up in a zone) is judged
again on every run. So a kept row is what the check would judge again, never a verdict
it would not; deleting the file changes no output, and like the history index it is
neither read nor written with GATE_NO_CACHE=1 or on a CI runner (gatekeeper/kept.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.check.kept_rows import Kept, kept_again, kept_doc, kept_of, row_of
from gatekeeper.kept import as_list, as_mapping, as_text

if TYPE_CHECKING:
    from collections.abc import Collection

    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.check.status import ReleaseStatus
    from gatekeeper.repo import GitRepo

FORMAT = 4
_NAME = f"status-{FORMAT}.json"


@dataclass
class KeptStatus:
    """The rows an earlier run kept under the same key (none when nothing is kept)."""

    path: Path | None
    key: str
    repo: GitRepo
    head: str
    opts: CheckOptions
    base: str = ""  # the key without HEAD and the refs
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> object id, now
    # The releases folder the rows were judged with (the policy's at the HEAD they were
    # kept at, which no commit let through changes); "" when unknown.
    releases: str = ""
    names: list[str] | None = None  # the release rows at HEAD, in order
    # tag -> (window, row, across: None, or what lets it outlive commits on top of HEAD)
    rows: dict[str, Kept] = field(default_factory=dict)
    moved_from: str | None = None  # the HEAD the rows were kept at, when refs moved
    tags_then: dict[str, str] = field(default_factory=dict)  # the tags the rows were kept with
    docs: dict[str, list[Any]] = field(default_factory=dict)  # each kept row as read

    def row(self, tag: str, at: datetime) -> ReleaseStatus | None:
        """The row kept for `tag` if it holds at `at`, else None (judge it again)."""
        kept = self.rows.get(tag)
        if kept is None or not kept[0].holds(at):
            return None
        try:
            return row_of(kept[1])
        except (KeyError, TypeError, ValueError):
            return None

    def settle(self) -> None:
        """Rows kept before refs moved: only those the commits and tags since leave as
        they were."""
        from gatekeeper.check.kept_commits import settled

        old = self.moved_from
        if old is None:
            return
        tags = (self.tags_then, self.tags)
        found = settled(self.repo, old, self.head, self.releases, tags=tags, kept=self.rows)
        if found is None:
            self.rows, self.names = {}, None  # judge every row, listing the folders again
            self.releases = ""  # `policies/` may have changed
            return
        self.rows = found[0]
        if found[1] and self.names is not None:  # a request was added, changed or removed
            self.names = _relisted(self.repo, self.head, self.releases, self.names, found[1])

    def save(
        self,
        names: list[str],
        judged: dict[str, Kept],
        releases: str,
        *,
        again: Collection[str] = (),
    ) -> None:
        """Keep every row whose judgement holds beyond its own moment, and the kept rows
        used `again` as they were read (none is judged afresh when `judged` is empty)."""
        from gatekeeper.kept import write_kept

        if self.path is None or self.repo.head() != self.head:
            return  # HEAD moved while judging (a branch switched): nothing is kept
        if judged and _key(self.repo, self.head, self.opts)[:2] != (self.key, self.base):
            return  # a ref or setting changed while judging: what was judged is not keyed
        rows = {tag: kept_again(self.head, self.docs[tag]) for tag in again}
        rows.update(
            (tag, kept_doc(self.head, w, row, across))
            for tag, (w, row, across) in judged.items()
            if not w.read
        )
        doc = {"format": FORMAT, "key": self.key, "base": self.base, "head": self.head}
        doc["tags"], doc["releases"] = self.tags, releases
        write_kept(self.path, {**doc, "names": names, "rows": rows})


def _relisted(
    repo: GitRepo, head: str, releases: str, names: list[str], asked: set[str]
) -> list[str]:
    """The release rows at `head`: `names` (those at the HEAD the rows were kept at) with
    each release in `asked` listed again, from its own folder: a row while its request is
    there and the policy (which no commit between changed) names it a release. The same
    list `gate status` gets by listing every folder, without reading them all."""
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.records.layout import ReleaseLayout

    layouts = (ReleaseLayout(releases, tag) for tag in asked)
    found = {at.tag for at in layouts if at.request in repo.paths(head, at.folder)}
    if found:
        policy = policy_in_force(repo, head, None).policy
        found = {tag for tag in found if is_release_tag(tag, policy)}
    return sorted((set(names) - asked) | found)


def kept_status(repo: GitRepo, head: str, opts: CheckOptions) -> KeptStatus:
    """What an earlier run kept for this key; an empty one when nothing matches (or
    nothing is kept: then `save` keeps nothing either)."""
    from gatekeeper.kept import keeping, kept_path, read_kept

    if not keeping():
        return KeptStatus(None, "", repo, head, opts)
    key, base, tags = _key(repo, head, opts)
    path = kept_path(repo, _NAME)
    doc = read_kept(path)
    empty = KeptStatus(path, key, repo, head, opts, base, tags)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return empty
    try:
        kept_at = as_text(doc["head"])
        moved = None if doc.get("key") == key else kept_at
        if moved is not None and doc.get("base") != base:
            return empty
        then = {as_text(t): as_text(oid) for t, oid in as_mapping(doc["tags"]).items()}
        releases = as_text(doc["releases"])
        names = [as_text(n) for n in as_list(doc["names"])]
        docs = {as_text(tag): as_list(kept) for tag, kept in as_mapping(doc["rows"]).items()}
        rows = {tag: kept_of(kept) for tag, kept in docs.items()}
    except (KeyError, IndexError, TypeError, ValueError):
        return empty
    if moved is not None:  # only rows that read nothing a commit could change, if any
        rows = {tag: kept for tag, kept in rows.items() if kept[2] is not None}
    return KeptStatus(
        path, key, repo, head, opts, base, tags, releases, names, rows, moved, then, docs
    )


def _key(repo: GitRepo, head: str, opts: CheckOptions) -> tuple[str, str, dict[str, str]]:
    """Everything a row is judged from but the clock, as one digest; the same without
    HEAD and the refs (what a row kept across commits and tags is judged from besides
    what check/kept_reads.py makes sure of); and the tags."""
    from dataclasses import replace

    from gatekeeper.check.kept_tags import tag_refs
    from gatekeeper.kept import judgement_key

    key, base, refs = judgement_key(repo, head, f"{FORMAT}", repr(replace(opts, now=None)))
    return key, base, tag_refs(refs)
