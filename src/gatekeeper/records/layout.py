"""The release folder: the one place that builds record paths and says what a path is.

    <releases>/<tag>/request.toml               the request (revised only as a chain)
    <releases>/<tag>/approvals/<name>.toml      sign-offs (append-only)
    <releases>/<tag>/evidence/<name>.toml       evidence manifests (append-only)
    <releases>/<tag>/evidence/<file>            their attachments (append-only)
    <releases>/<tag>/emergency/<name>.toml      emergency declarations (append-only)

Everything else in a release folder is `other`: never read as a record, but, like
every file there except the request, append-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

REQUEST = "request.toml"
APPROVALS = "approvals"
EVIDENCE = "evidence"
EMERGENCY = "emergency"
Kind = Literal["request", "approval", "evidence", "attachment", "emergency", "other"]
RecordKind = Literal["approval", "evidence", "emergency"]
_FOLDERS: dict[str, RecordKind] = {
    APPROVALS: "approval",
    EVIDENCE: "evidence",
    EMERGENCY: "emergency",
}
_FOLDER_OF = {kind: folder for folder, kind in _FOLDERS.items()}
# Names that say what a path in a release folder is: no segment of a tag but its first
# may be one, or the tag's folder would be read as another release's records.
RESERVED = frozenset({REQUEST, *_FOLDERS})
PLAIN_FILES = ("100644", "100755")  # a record is a plain file (no link, no submodule)


@dataclass(frozen=True)
class ReleaseLayout:
    """Where the records of one release live."""

    releases: str
    tag: str

    @property
    def folder(self) -> str:
        """`<releases>/<tag>`."""
        return f"{self.releases}/{self.tag}"

    @property
    def request(self) -> str:
        """The request file."""
        return f"{self.folder}/{REQUEST}"

    def record(self, kind: RecordKind, name: str) -> str:
        """The path of a record file `name` of `kind`."""
        return f"{self.folder}/{_FOLDER_OF[kind]}/{name}"

    def kind_of(self, path: str) -> Kind | None:
        """What `path` is in this release folder, or None when it lies outside it."""
        if not path.startswith(f"{self.folder}/"):
            return None
        rest = path[len(self.folder) + 1 :].split("/")
        if rest == [REQUEST]:
            return "request"
        return _kind(rest[0], rest[1:]) if rest[0] in _FOLDERS else "other"


@dataclass(frozen=True)
class RecordPath:
    """What a path under the releases folder is: whose, and which kind of record."""

    path: str
    tag: str
    kind: Kind

    @property
    def append_only(self) -> bool:
        """Every file of a release is append-only, except the request (a revision chain)."""
        return self.kind != "request"


def classify(path: str, releases: str) -> RecordPath | None:
    """`releases/billing/v2.3.1/approvals/x.toml` -> (billing/v2.3.1, approval); None for a
    path outside any release folder."""
    if not path.startswith(f"{releases}/"):
        return None
    parts = path[len(releases) + 1 :].split("/")
    for i, part in enumerate(parts[1:], start=1):
        tag, rest = "/".join(parts[:i]), parts[i + 1 :]
        if part == REQUEST and not rest:
            return RecordPath(path, tag, "request")
        if part in _FOLDERS:
            return RecordPath(path, tag, _kind(part, rest))
    return None


def enclosing_tags(path: str, releases: str) -> list[str]:
    """The tags whose release folder would hold `path`, the innermost first: which of them
    is a release, git says (`classify` needs no answer for a path its name places)."""
    if not path.startswith(f"{releases}/"):
        return []
    parts = path[len(releases) + 1 :].split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _kind(folder: str, rest: list[str]) -> Kind:
    if len(rest) != 1 or not rest[0]:
        return "other"
    if rest[0].endswith(".toml"):
        return _FOLDERS[folder]
    return "attachment" if folder == EVIDENCE else "other"


def request_of(path: str, releases: str) -> str | None:
    """The tag whose request `path` is, or None (a file named `request.toml` in a
    sign-off folder is no request)."""
    found = classify(path, releases)
    return found.tag if found is not None and found.kind == "request" else None


def release_of(path: str, releases: str) -> str | None:
    """The tag whose release folder holds `path`, or None."""
    found = classify(path, releases)
    return found.tag if found else None


def is_record_path(path: str) -> bool:
    """Whether `path` is shaped like a release record in *some* release folder (the hook's
    fast path answers this without reading the policy)."""
    parts = path.split("/")
    return parts[-1] == REQUEST or any(part in _FOLDERS for part in parts[:-1])
