"""The hooks' early answers: decided with `os` and `sys` alone, before anything is imported.

git runs `gate validate` before every commit and `gate hook pre-push` before every push;
nearly always nothing in them concerns a release. Both answer that here in about the
time Python takes to start, and when anything is unclear they say so (None) and the
full command decides, exactly as before. The rules mirror gatekeeper.records.layout and
gatekeeper.check.pushing, whose tests check that both agree.
"""

from __future__ import annotations

import os
import sys

POLICY_DIR = "policies"
REQUEST = "request.toml"
RECORD_FOLDERS = frozenset({"approvals", "evidence", "emergency"})
TAGS = "refs/tags/"
TOML_LIMIT = 256 * 1024  # gatekeeper.models.tomlfile.MAX_TOML_BYTES
GIT = ("git", "--no-replace-objects", "--literal-pathspecs")


def nothing_to_validate(args: list[str]) -> bool:
    """`[-C DIR] validate [PATH...]` where no path (given, or staged when none is given) is
    a policy or a record, by the release folder the policy files on disk name."""
    where = "."
    if args[:1] == ["-C"] and len(args) >= 2:
        where, args = args[1], args[2:]
    if args[:1] != ["validate"] or any(a.startswith("-") for a in args[1:]):
        return False
    paths = args[1:] or staged_paths(where)
    if paths is None or any(is_record_shaped(p) for p in paths):
        return False
    folder = releases_folder(where)
    if folder is None:
        return _full_answer(where, paths)
    return not any(p.startswith(f"{folder}/") for p in paths)


def is_record_shaped(path: str) -> bool:
    """A policy file, or a path shaped like a release record in *some* release folder."""
    parts = path.split("/")
    return (
        path.startswith(f"{POLICY_DIR}/")
        or parts[-1] == REQUEST
        or any(part in RECORD_FOLDERS for part in parts[:-1])
    )


def staged_paths(where: str) -> list[str] | None:
    """Paths staged for the next commit (`git diff --cached`, honouring GIT_INDEX_FILE),
    or None when git cannot tell; one git process, spawned without `subprocess`."""
    if not hasattr(os, "posix_spawnp"):  # not a POSIX system: the full command decides
        return None
    argv = [*GIT, "-C", where or ".", "diff", "--cached", "--name-only", "--no-renames", "-z"]
    env = {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_GRAFT_FILE": os.devnull}
    env["GIT_TERMINAL_PROMPT"] = "0"
    read, write = os.pipe()
    actions = [
        (os.POSIX_SPAWN_DUP2, write, 1),
        (os.POSIX_SPAWN_CLOSE, read),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        pid = os.posix_spawnp("git", argv, env, file_actions=actions)
    except OSError:
        os.close(read)
        return None
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as out:
        names = out.read().decode("utf-8", "surrogateescape")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return [name for name in names.split("\0") if name]


def releases_folder(where: str) -> str | None:
    """The release folder `policies/*.toml` on disk name, when a plain reading of their
    top-level keys can tell without a TOML parser; None when it cannot."""
    try:
        with os.scandir(f"{where or '.'}/{POLICY_DIR}") as entries:
            files = [entry for entry in entries if entry.name.endswith(".toml")]
    except (FileNotFoundError, NotADirectoryError):
        return "releases"  # no policy on disk: the default folder
    except OSError:
        return None
    named: set[str] = set()
    for entry in files:
        try:
            # A symlink (to /dev/zero), a pipe, a device or a huge file: the full command
            # refuses it; nothing here reads it.
            if not entry.is_file(follow_symlinks=False):
                return None
            with open(entry.path, "rb") as handle:  # noqa: PTH123  (pathlib: 3 ms more start-up)
                data = handle.read(TOML_LIMIT + 1)
            if len(data) > TOML_LIMIT:
                return None
            found = declared_folder(data.decode("utf-8"))
        except (OSError, ValueError):
            return None
        if found is None:
            return None
        named |= {found} if found else set()
    if len(named) > 1:  # which one wins depends on the listing order: let TOML decide
        return None
    return named.pop() if named else "releases"


def declared_folder(text: str) -> str | None:
    """`releases = "name"` among the top-level keys of one policy file: "name", "" when no
    top-level key mentions `releases`, None when the text is not plain enough to be sure
    (a byte-order mark, multi-line or escaped strings, a quoted or dotted key, a value
    that is not a simple string, a line that is not `key = value`, unbalanced brackets)."""
    if text.startswith("\ufeff"):
        return None
    found = ""
    depth = 0
    for raw in text.split("\n"):
        code, blank = _without_comment(raw)
        if blank is None:
            return None
        if depth == 0 and code.strip().startswith("["):
            return found  # a table header: the top-level keys are behind us
        if depth == 0 and code.strip():
            key, eq, value = code.partition("=")
            if not eq:
                return None
            if "releases" in key:
                name = _simple_string(value.strip())
                if key.strip() != "releases" or found or not name:
                    return None
                found = name
        depth += sum(blank.count(c) for c in "[{") - sum(blank.count(c) for c in "]}")
        if depth < 0:
            return None
    return found if depth == 0 else None


def _without_comment(line: str) -> tuple[str, str | None]:
    """(the line without its comment, the same with string contents blanked so brackets
    inside strings are not counted); None for multi-line strings, escapes (a `\\` outside
    a 'literal string') and unclosed strings."""
    if '"""' in line or "'''" in line:
        return "", None
    blank: list[str] = []
    quote = ""
    for i, char in enumerate(line):
        if char == "\\" and quote != "'":
            return "", None
        if quote:
            quote = "" if char == quote else quote
            blank.append(char if not quote else " ")
        elif char == "#":
            return line[:i], "".join(blank)
        else:
            quote = char if char in "\"'" else ""
            blank.append(char)
    return (line, "".join(blank)) if not quote else ("", None)


def _simple_string(value: str) -> str:
    """`"name"` or `'name'` and nothing after it -> name; anything else -> ""."""
    quote = value[:1]
    if quote not in ("'", '"') or len(value) < 2 or value[-1] != quote:
        return ""
    name = value[1:-1]
    return "" if quote in name else name


def _full_answer(where: str, paths: list[str]) -> bool:
    """The policy files need a TOML parser: the answer as `gate validate` always gave it."""
    from pathlib import Path

    from gatekeeper.records.validate import is_relevant
    from gatekeeper.records.validate import releases_folder as parsed_folder

    folder = parsed_folder(Path(where))
    return folder is not None and not any(is_relevant(p, folder) for p in paths)


def pre_push_input(args: list[str]) -> str | None:
    """For `gate hook pre-push`: git's stdin, or "" when the push publishes no tag (the
    hook then passes at once); None for any other command."""
    if args[:2] != ["hook", "pre-push"] or {"-h", "--help"} & set(args):
        return None
    local = os.environ.get("PRE_COMMIT_LOCAL_BRANCH")
    if local:  # pre-commit read git's stdin already
        refs = (local, os.environ.get("PRE_COMMIT_REMOTE_BRANCH", ""))
        return None if any(ref.startswith(TAGS) for ref in refs) else ""
    stream = sys.stdin
    if stream is None or stream.isatty():
        return ""
    raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    text = raw.decode("utf-8", "surrogateescape")
    return text if publishes_tag(text) else ""


def publishes_tag(text: str) -> bool:
    """Whether git's pre-push lines create or move a tag (deletions and branches pass)."""
    from gatekeeper.prepush import split_lines

    for fields in split_lines(text):
        if isinstance(fields, str):
            return True  # a line of another shape: the full path refuses it
        if fields[2].startswith(TAGS) and fields[1].strip("0"):
            return True
    return False
