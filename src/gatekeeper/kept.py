"""Files gatekeeper keeps between runs under `.git/gatekeeper/`: speed-ups that are never
required and never believed blindly.

Nothing is kept with GATE_NO_CACHE=1, nor on a CI runner: a runner may keep `.git/`
between jobs, and a job that ran a contributor's code could have written a file that
hides a change from the release check that runs there next. A kept file is read without
following links, and written to a temporary file renamed into place, so a reader never
sees half of one.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo

_FOLDER = ("kept-folder",)
# What a judgement may read from the environment: gatekeeper's and git's own settings,
# the locale git speaks in, and where programs (ssh-keygen) and settings are found.
_ENV_PREFIXES = ("GATE_", "GIT_", "LC_", "SSH_")
_ENV_NAMES = frozenset({"PATH", "HOME", "XDG_CONFIG_HOME", "LANG", "LANGUAGE", "TZ"})
_LIMIT = 1 << 30  # the history index of 5,000 releases is 15 MB


def keeping() -> bool:
    """Whether files are kept at all: off with GATE_NO_CACHE=1 and on a CI runner."""
    from gatekeeper.envflags import in_ci

    if os.environ.get("GATE_NO_CACHE", "") not in {"", "0"}:
        return False
    return not in_ci()


def kept_path(repo: GitRepo, name: str) -> Path:
    """Where the file `name` is kept (git is asked for the folder once per process)."""
    if _FOLDER not in repo.memo:
        common = repo.run("rev-parse", "--git-common-dir").strip()
        repo.memo[_FOLDER] = (repo.root / common).resolve() / "gatekeeper"  # never resolved
    folder: Path = repo.memo[_FOLDER]  # further: a link there is not followed
    return folder / name


def read_kept(path: Path) -> Any:
    """The JSON kept at `path`, or None when absent, unreadable, a link or bigger than
    anything gate writes (a planted 2 GB file is not read)."""
    found = read_kept_with_body(path)
    return found[0] if found is not None and not len(found[1]) else None


def read_kept_with_body(path: Path) -> tuple[Any, memoryview] | None:
    """The JSON kept at `path` and the bytes kept after it (`write_kept`'s `body`, seen
    where they were read: they are tens of megabytes), or None as for `read_kept`."""
    from gatekeeper.plainfile import read_plain

    try:
        if path.lstat().st_size > _LIMIT:
            return None
        data = read_plain(path, _LIMIT, follow=False)
        if len(data) > _LIMIT:
            return None
        end = data.find(b"\n")  # compact JSON holds no line break
        view = memoryview(data)
        return (_loads(data), view[:0]) if end < 0 else (_loads(view[:end]), view[end + 1 :])
    except (OSError, ValueError, RecursionError):
        return None


def as_json_text(doc: object) -> bytes:
    """`doc` as compact JSON text (UTF-8), to be kept in a kept file and read only when
    needed: `from_json_text`."""
    return _dumps(doc)


def from_json_text(text: bytes) -> Any:
    """What `as_json_text` wrote; ValueError for anything that is not JSON in UTF-8."""
    return _loads(text)


def _loads(data: bytes | memoryview) -> Any:
    """JSON through orjson (compiled: the kept history index is tens of megabytes)."""
    import orjson

    return orjson.loads(data)


def _dumps(doc: object) -> bytes:
    """Compact JSON: orjson's, or the standard library's where orjson refuses (a path that
    is not valid UTF-8, kept as git gave it)."""
    import orjson

    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def write_kept(path: Path, doc: object, body: bytes = b"") -> None:
    """`doc` as JSON at `path`, replacing what was there, and after it on a line of its own
    `body` (bytes the JSON points into: texts kept as they are, never escaped or parsed
    as JSON); nothing when `.git` is read-only or its folder is a link."""
    import stat

    try:
        path.parent.mkdir(exist_ok=True)
        if not stat.S_ISDIR(path.parent.lstat().st_mode):
            return  # a link in place of the folder: nothing is written where it points
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)  # left by a run that was killed
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(temporary, flags, 0o644), "wb") as out:
            out.write(_dumps(doc))
            if body:
                out.write(b"\n")
                out.write(body)
        temporary.replace(path)  # replaces a link at `path` itself, never what it names
    except OSError:
        pass  # a read-only .git: what is kept is a speed-up, never required


def forget_older(path: Path, stem: str, current: int) -> None:
    """Remove the files of the formats before `current` (`<stem>-<n>.json` beside `path`):
    never read again, they would only take room (tens of megabytes on a big history)."""
    import contextlib

    for older in range(1, current):
        with contextlib.suppress(OSError):
            path.with_name(f"{stem}-{older}.json").unlink(missing_ok=True)


def judgement_key(repo: GitRepo, head: str, *what: str) -> tuple[str, str, str]:
    """Everything a kept judgement is made from but the clock, as one digest (`what`:
    the kept file's format and the options it was judged with); the same without HEAD
    and the refs (what a judgement kept across commits and tags is judged from besides
    what check/kept_reads.py makes sure of); and the refs as git listed them."""
    import hashlib
    import sys

    refs = repo.run("for-each-ref", "--format=%(refname) %(objectname)")  # every ref
    base = hashlib.sha256()
    for part in (
        *what,
        repo.run("config", "--list", "--show-origin", "-z"),  # every git setting
        sys.version,
        _code(),
        repr(sorted((k, v) for k, v in os.environ.items() if _judged_by(k))),
    ):
        base.update(part.encode("utf-8", "surrogateescape") + b"\0\0")
    key = hashlib.sha256(f"{base.hexdigest()}\0{head}\0{refs}".encode("utf-8", "surrogateescape"))
    return key.hexdigest(), base.hexdigest(), refs


def _judged_by(name: str) -> bool:
    if name in {"GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"}:  # dates of commits git makes
        return False
    if name in {"GATE_JOBS", "GATE_PROGRESS_AFTER"}:  # how it is judged, not what
        return False
    return name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES


@functools.cache
def _code() -> str:
    """gatekeeper's own modules, byte for byte, and every package installed beside it
    (a dist-info folder's name carries its version: tzdata, pydantic, cryptography)."""
    import hashlib
    import sys

    import gatekeeper

    digest = hashlib.sha256()
    package = Path(gatekeeper.__file__).parent
    for module in sorted(package.rglob("*.py")):
        digest.update(str(module.relative_to(package)).encode() + b"\0" + module.read_bytes())
    for entry in sys.path:
        try:
            names = sorted(p.name for p in Path(entry or ".").iterdir())
            digest.update("\0".join(names).encode("utf-8", "surrogateescape") + b"\0\0")
        except OSError:
            continue  # a zip file or a folder that is gone
    return digest.hexdigest()


# The shapes a kept file is read back in: anything else raises TypeError, and the file
# is not believed.


def as_text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def as_bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("expected bytes")
    return value


def as_list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def as_mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value


def as_time(value: object) -> datetime:
    """A time with its UTC offset (one without is no instant to compare)."""
    moment = datetime.fromisoformat(as_text(value))
    if moment.utcoffset() is None:
        raise ValueError("expected a time with its UTC offset")
    return moment
