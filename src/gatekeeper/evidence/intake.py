"""The files a user attaches: one file, several, or a folder's reports, read within caps.

Everything is read and checked before a byte is written: a link, a folder where one
file is expected, a wrong suffix, a file or a total over the caps is exit 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import InputError
from gatekeeper.repo import MAX_BLOB_BYTES

if TYPE_CHECKING:
    from gatekeeper.evidence.base import EvidenceKind

MAX_FILES = 1000
MAX_TOTAL_BYTES = 4 * MAX_BLOB_BYTES
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Source:
    """One file to attach: the name it is known by (for the reasons), its bytes, and the
    path it was read from (for messages)."""

    label: str
    data: bytes
    origin: str


def sources_for(spec: EvidenceKind, tag: str, given: Path | Sequence[Path] | None) -> list[Source]:
    """What `gate attach TAG KIND [FILE...]` attaches: a test report takes several files or
    a folder of them, other kinds one file (or none, when they need none)."""
    paths = [given] if isinstance(given, Path) else list(given or [])
    usage = f"gate attach {tag} {spec.name}"
    if not paths and spec.attachment_suffix:
        raise InputError(
            f"{spec.name}: needs a FILE ({spec.attachment_suffix})", hint=f"{usage} PATH"
        )
    return read_sources(
        paths, spec.attachment_suffix, many=spec.many, usage=usage, skip=spec.not_reports
    )


def accept(
    spec: EvidenceKind, files: Mapping[str, bytes], labels: Mapping[str, str]
) -> dict[str, Any]:
    """The kind's own attach-time checks of its files (exit 2), and the details they add."""
    return spec.accept(files, labels) if spec.accept else {}


def free_names(
    root: Path, base: str, sources: Sequence[Source], suffix: str | None
) -> tuple[str, list[str]]:
    """A manifest path, and attachment names beside it, that exist neither at HEAD nor on
    disk: `<stem>.xml` for one file, `<stem>.01.xml`, `<stem>.02.xml`... for several."""
    ext = suffix or (Path(sources[0].label).suffix if sources else "")
    width = len(str(len(sources)))
    n = 1
    while True:
        stem = base if n == 1 else f"{base}-{n}"
        folder, name = stem.rsplit("/", 1)
        names = [f"{name}.{i:0{width}d}{ext}" for i in range(1, len(sources) + 1)]
        names = [f"{name}{ext}"] if len(sources) == 1 else names
        taken = [f"{stem}.toml", *(f"{folder}/{x}" for x in names)]
        if not any((root / path).exists() for path in taken):
            return f"{stem}.toml", names
        n += 1


def read_sources(
    paths: Sequence[Path],
    suffix: str | None,
    *,
    many: bool,
    usage: str,
    skip: frozenset[str] = frozenset(),
) -> list[Source]:
    """The files named by `paths` (with `many`, a folder stands for its `suffix` files but
    those named in `skip`, sorted by name); exit 2 naming the path and what was expected."""
    if not many and (len(paths) > 1 or any(p.is_dir() for p in paths)):
        raise InputError(
            f"{paths[0] if len(paths) == 1 else ' '.join(map(str, paths))}: expected one FILE",
            hint=f"attach one file: {usage} PATH",
        )
    files = [f for p in paths for f in (_folder(p, suffix, skip) if p.is_dir() else [p])]
    _refuse_repeats(files)
    if len(files) > MAX_FILES:
        raise InputError(
            f"{len(files)} files; expected at most {MAX_FILES} in one record",
            hint="attach the reports of one test run, or merge them first",
        )
    sources = [Source(label, _read(path, suffix), str(path)) for path, label in _labelled(files)]
    size = sum(len(s.data) for s in sources)
    if size > MAX_TOTAL_BYTES:
        raise InputError(
            f"{size} bytes in {len(files)} files; expected at most {MAX_TOTAL_BYTES} in all",
            hint="attach a summary report and record the large artefacts' digests instead",
        )
    return sources


def _folder(folder: Path, suffix: str | None, skip: frozenset[str]) -> list[Path]:
    if folder.is_symlink():
        raise InputError(f"{folder}: is a link; expected a folder", hint="name the real folder")
    wanted = suffix or ""
    found = sorted(
        p
        for p in folder.iterdir()
        if p.name.lower().endswith(wanted) and not p.is_dir() and p.name.lower() not in skip
    )
    if not found:
        raise InputError(
            f"{folder}: no {wanted or 'files'} files in this folder; expected test reports",
            hint="name the folder the test tool wrote its reports to, or the files",
        )
    return found


def _refuse_repeats(files: list[Path]) -> None:
    seen: set[Path] = set()
    for path in files:
        real = path.resolve()
        if real in seen:
            raise InputError(f"{path}: given twice", hint="name each report once")
        seen.add(real)


def _labelled(files: list[Path]) -> list[tuple[Path, str]]:
    """Each file with its label: its name, or the path as given when names repeat."""
    names = [p.name for p in files]
    return [(p, _printable(p.name if names.count(p.name) == 1 else str(p))) for p in files]


def _printable(name: str) -> str:
    """One printable line of at most 255 characters (undecodable bytes become `?`)."""
    text = _UNPRINTABLE.sub("?", name.encode("utf-8", "replace").decode("utf-8"))
    return text[-255:] or "report"


def _read(source: Path, suffix: str | None) -> bytes:
    if suffix and source.suffix.lower() != suffix:
        raise InputError(f"{source}: expected a {suffix} file", hint=f"attach a {suffix} file")
    if source.is_symlink() or not source.is_file():
        raise InputError(f"{source}: not a regular file", hint="attach a plain file, not a link")
    size = source.stat().st_size
    if size > MAX_BLOB_BYTES:
        raise InputError(
            f"{source}: {size} bytes; expected at most {MAX_BLOB_BYTES}",
            hint="attach a summary and record the large artefact's digest instead",
        )
    return source.read_bytes()
