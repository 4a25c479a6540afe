"""Reading a file on disk that someone else may have put there (a policy, a record, a
password file, gate's own cache): only a regular file is read, and only as far as a
bound. A pipe is opened without waiting for a writer, a device such as /dev/zero is
never read, and a link is not followed where the caller says so.

(The pre-commit hook's early path, gatekeeper.cli.early, keeps its own few lines: it
decides before importing anything of gatekeeper's.)
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class NotPlainFile(OSError):
    """Not a regular file: a folder, a pipe, a socket, a device (or a link, unfollowed)."""


def read_plain(path: Path, limit: int | None = None, *, follow: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` + 1 of them (so a caller
    sees that it is too big without reading it all); NotPlainFile when it is no regular
    file, OSError when it cannot be read (a link with `follow=False` among them)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotPlainFile(f"{path}: not a regular file")
        return handle.read() if limit is None else handle.read(limit + 1)
