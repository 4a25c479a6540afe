"""One error family: every failure to *run* is a GateError with an exit code.

A gate that fails is not an error; it is data in the report (exit 1).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes shared by every command."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2


class GateError(Exception):
    """Base of every error the CLI turns into one line and exit 2."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None, lines: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Validation reports one line per problem; `message` is the first.
        self.lines = lines or [message]


class InputError(GateError):
    """A file, option or value given to gatekeeper is not what was expected."""


class PolicyError(InputError):
    """The policy cannot be read or does not validate."""


class RecordError(InputError):
    """A release record cannot be read or does not validate."""


class MalformedTree(RecordError):
    """A tree object git would not write (fsck's errors): a name with `/`, empty, `.`,
    `..` or `.git`, names out of git's order or twice, bytes that are no entries. Read
    from a release's history it is a fact about that release (it fails), never a pass."""


class UnsafePathError(InputError):
    """A path inside the release folder is unsafe to read (symlink, `..`, too big...)."""


class IdentityError(InputError):
    """The acting person or their key cannot be established."""


class GitError(GateError):
    """git could not do what was asked (not a repository, unknown revision, ...)."""
