"""`gate audit` kept between runs: each release's log, the window of time it holds for,
and what it was made from.

A release's log is made from two things. What the history index holds for it (every
change under its folder, and under folders nested in it or holding it), its tag, the
default branch's policy trees and a few facts of history as a whole (changes under the
releases folder that name no release, the policy changes): these are its `inputs`, a
digest compared on every run. And what its checks read from the repository and the
clock, judged exactly as a `gate status` row is (check/kept_status.py): under the same
key (HEAD, every ref, git's settings, gatekeeper's code, the environment and the
audit's options) a log is used again while its window holds; a tagged release's log
that read nothing a commit could change (check/kept_reads.py) outlives commits on top
of HEAD and tags added since that leave what it read as it was (check/kept_commits.py,
kept_tags.py), when the trusted ref is HEAD on both runs. A log is kept only when it
reads back as it was written (audit/kept_logs.py). So a kept log is what the audit would
make again, never one it would not; deleting the file changes no output, and nothing is
read or written with GATE_NO_CACHE=1 or on a CI runner (gatekeeper/kept.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.kept import as_mapping, as_text

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.audit.kept_logs import Reused
    from gatekeeper.audit.model import ReleaseLog
    from gatekeeper.check.kept_reads import Reads
    from gatekeeper.check.kept_rows import Kept
    from gatekeeper.clock import Window
    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.repo import GitRepo, TagInfo

FORMAT = 4
_NAME = f"audit-{FORMAT}.kept"  # JSON, then the logs' texts (audit/kept_logs.py)

# A release's log as judged: its window, the log, and what lets it outlive commits.
Judged = tuple["Window", "ReleaseLog", "dict[str, Any] | None"]


@dataclass
class KeptAudit:
    """The logs an earlier run kept under the same key (none when nothing is kept)."""

    path: Path | None
    key: str = ""
    base: str = ""
    head: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> object id, now
    releases: str = ""  # the releases folder the logs were made with
    moved_from: str | None = None  # the HEAD the logs were kept at, when refs moved
    tags_then: dict[str, str] = field(default_factory=dict)
    # tag -> (window, [inputs, log as JSON text, the log as shown], across), and each entry
    # as the file held it
    entries: dict[str, Kept] = field(default_factory=dict)
    docs: dict[str, list[Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # entries that hold now
    what: tuple[str, ...] = ()  # the options the key was made with

    def usable(
        self,
        repo: GitRepo,
        inputs: dict[str, str],
        at: datetime,
        among: set[str] | None,
        tags: dict[str, TagInfo] | None = None,
        *,
        shown: bool = False,
    ) -> Reused:
        """The kept logs of the releases `among` (None: all) that hold: whose inputs are
        as they were, that hold at `at` (and, when refs moved, that the commits and tags
        since leave as they were). Each is read back afresh (the audit adds to the logs
        it is given); with `shown`, only its JSON text is, where kept (the log itself is
        then not made). One that does not read back is judged again. The others that
        hold are kept as they are."""
        from gatekeeper.audit.kept_logs import Reused, log_of, shown_as
        from gatekeeper.kept import from_json_text

        self._settle(repo, tags)
        self.used = {
            tag
            for tag, (window, held, _) in self.entries.items()
            if inputs.get(tag) == held[0] and window.holds(at)
        }
        found = Reused()
        for tag in self.used if among is None else self.used & among:
            _, log, text = self.entries[tag][1]
            try:
                if shown and text is not None:
                    found.texts[tag] = shown_as(tag, text)
                else:
                    found.logs[tag] = _of(tag, log_of(from_json_text(log)))
            except (KeyError, TypeError, ValueError):
                continue
        return found

    def _settle(self, repo: GitRepo, infos: dict[str, TagInfo] | None) -> None:
        """Entries kept before refs moved: only those the commits and tags since leave as
        they were."""
        from gatekeeper.check.kept_commits import settled

        old = self.moved_from
        if old is None:
            return
        tags = (self.tags_then, self.tags)
        found = settled(
            repo, old, self.head, self.releases, tags=tags, kept=self.entries, infos=infos
        )
        self.entries = found[0] if found is not None else {}

    def save(
        self, repo: GitRepo, judged: dict[str, Judged], inputs: dict[str, str]
    ) -> dict[str, bytes]:
        """Keep every log judged that holds beyond its own moment and reads back as it
        was, and the kept ones that hold now as they were read. Returns the JSON text of
        each log kept (what the audit shows of it: made once)."""
        from gatekeeper.audit.kept_logs import out_of_line, written
        from gatekeeper.check.kept_rows import across_doc, shows_head, window_doc
        from gatekeeper.kept import forget_older, write_kept
        from gatekeeper.render.json import placed

        if self.path is None or repo.head() != self.head:
            return {}  # HEAD moved while judging: nothing is kept
        if not judged and self.moved_from is None and self.used == set(self.docs):
            return {}  # the file holds every log as it is
        if judged and not self._unmoved(repo):
            return {}  # a ref or setting changed while judging: what was judged is not keyed
        entries = {tag: self._again(self.docs[tag]) for tag in self.used}
        shown = {}
        for tag, (window, log, across) in judged.items():
            text = None if window.read or tag not in inputs else written(log)
            if text is not None:
                shows = across is not None and shows_head(self.head, text)
                kept_across = None if across is None or shows else across_doc(across)
                as_shown = placed(log.to_json())  # None: orjson refuses it (then made again)
                if as_shown is not None:
                    shown[tag] = as_shown
                entries[tag] = [window_doc(window), [inputs[tag], text, as_shown], kept_across]
        doc = {"format": FORMAT, "key": self.key, "base": self.base, "head": self.head}
        logs, texts = out_of_line(entries)
        doc.update(tags=self.tags, releases=self.releases, logs=logs)
        write_kept(self.path, doc, texts)
        forget_older(self.path, "audit", FORMAT)
        return shown

    def _again(self, doc: list[Any]) -> list[Any]:
        """A kept entry used again, as `save` would write it at this HEAD (one whose log
        shows HEAD's commit id is kept for this HEAD only)."""
        from gatekeeper.check.kept_rows import shows_head

        window, held, across = doc
        return [window, held, None if shows_head(self.head, held[1]) else across]

    def _unmoved(self, repo: GitRepo) -> bool:
        return _key(repo, self.head, self.what)[:2] == (self.key, self.base)


def kept_audit(repo: GitRepo, head: str, releases: str, *what: str) -> KeptAudit:
    """What an earlier audit kept for this key (`what`: the options that change what a
    release's log says); an empty one when nothing matches (or nothing is kept: then
    `save` keeps nothing either)."""
    from gatekeeper.audit.kept_logs import held, in_line
    from gatekeeper.check.kept_rows import kept_of
    from gatekeeper.kept import keeping, kept_path, read_kept_with_body

    if not keeping():
        return KeptAudit(None)
    key, base, tags = _key(repo, head, what)
    path = kept_path(repo, _NAME)
    empty = KeptAudit(path, key, base, head, tags, releases, what=what)
    doc, body = read_kept_with_body(path) or (None, memoryview(b""))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return empty
    try:
        moved = None if doc.get("key") == key else as_text(doc["head"])
        if (moved is not None and doc.get("base") != base) or doc.get("releases") != releases:
            return empty
        then = {as_text(t): as_text(oid) for t, oid in as_mapping(doc["tags"]).items()}
        docs = {as_text(tag): in_line(kept, body) for tag, kept in as_mapping(doc["logs"]).items()}
        entries = {tag: kept_of(kept, held) for tag, kept in docs.items()}
    except (KeyError, IndexError, TypeError, ValueError):
        return empty
    if moved is not None:  # only logs that read nothing a commit could change, if any
        entries = {tag: kept for tag, kept in entries.items() if kept[2] is not None}
    return KeptAudit(path, key, base, head, tags, releases, moved, then, entries, docs, what=what)


def _of(tag: str, log: ReleaseLog) -> ReleaseLog:
    """`log` when it is the log of `tag` (another's is no kept log of it); else ValueError."""
    if log.release != tag:
        raise ValueError(f"expected the log of {tag}")
    return log


def settle_ahead(repo: GitRepo, last: str, head: str, releases: str) -> None:
    """While git walks for the index: what the commits since `last` (the commit the index
    was read up to, as a rule the HEAD the logs were kept at) changed, for `usable` to
    answer from, when there are logs kept."""
    from gatekeeper.audit.judging import quietly
    from gatekeeper.check.kept_commits import changed_ahead
    from gatekeeper.kept import keeping, kept_path

    if keeping() and kept_path(repo, _NAME).is_file():
        quietly(changed_ahead, repo, last, head, releases)


def _key(repo: GitRepo, head: str, what: tuple[str, ...]) -> tuple[str, str, dict[str, str]]:
    from gatekeeper.check.kept_tags import tag_refs
    from gatekeeper.kept import judgement_key

    key, base, refs = judgement_key(repo, head, f"audit {FORMAT}", *what)
    return key, base, tag_refs(refs)


def kept_across(
    reads: Reads, window: Window, log: ReleaseLog, *, across: bool
) -> dict[str, Any] | None:
    """What lets a judged log outlive commits on top of HEAD (None: kept for this HEAD
    only, or, with `window` marked read, not at all). `across`: its reads were traced and
    the trusted ref is HEAD."""
    if reads.volatile:  # which objects exist decided it: it holds this moment only
        window.read = True
    # A log whose tag points at HEAD itself is kept for this HEAD only (its records at
    # HEAD and at the tag are one read).
    if not across or log.tag is None or log.tag.commit == reads.head or not reads.across:
        return None
    return reads.kept()


def inputs_of(
    index: HistoryIndex,
    tags: dict[str, TagInfo],
    default_trees: set[str],
    *,
    across: bool,
) -> dict[str, str]:
    """Each release's inputs besides what its checks read, as a digest: its changes and
    those of the releases nested in it or holding it, its tag, and what every release's
    log is made from (`across`: whether the trusted ref is HEAD)."""
    from gatekeeper.records.index_file import pack

    changes = index.changes
    every = hashlib.sha256()
    for part in (
        index.releases,
        "\n".join(sorted(default_trees)),
        pack(index.unfiled),
        "\n".join(sorted(index.loose)),
        pack(index.policies),
        str(across),
    ):
        every.update(part.encode("utf-8", "surrogateescape") + b"\0\0")
    common = every.hexdigest()
    names = set(changes)
    inside = index.inside()  # the releases nested in another's folder (rare)
    found = {}
    for tag in names:
        parts = tag.split("/")
        around = ["/".join(parts[:n]) for n in range(1, len(parts))]
        related = sorted({*inside.get(tag, ()), *(a for a in around if a in names)})
        digest = hashlib.sha256(common.encode())
        for name in [tag, *related]:
            part = f"{name}\0{changes.packed_one(name)}\0"
            digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(repr(tags.get(tag)).encode("utf-8", "surrogateescape"))
        found[tag] = digest.hexdigest()
    return found
