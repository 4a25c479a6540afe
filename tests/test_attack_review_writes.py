"""Attack review of gatekeeper's writing commands (init, request/approve/..., attach, tag,
hooks, --report-json), by a helper session. Each test failed on the code it was written
against.

Real git, real repositories, `gate` run in-process through tests/conftest.py's `Repo.gate`
(or as the real `gate` executable where a signal or raw argv bytes are needed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity, policy_text

GATE = str(Path(sys.executable).with_name("gate"))


def _fresh(tmp_path: Path) -> Repo:
    """A repository with code committed and no policy yet: where `gate init` runs."""
    r = Repo(tmp_path / "fresh")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "x = 1\n")
    r.commit("code")
    return r


def _requested(r: Repo) -> None:
    res = r.gate("request", "v1.0.0", "--title", "t")
    assert res.code == 0, res.err


# -- 1. an interrupted sign-off stays staged and rides along with the next commit ----------


def test_ctrl_c_during_the_commit_of_an_approval_leaves_it_staged(
    repo: Repo, tmp_path: Path
) -> None:
    """Accident: alice runs `gate approve`, thinks better of it and presses Ctrl-C while
    git's commit is under way (a slow pre-commit hook, a passphrase or FIDO-touch prompt
    for the signing key). SIGINT reaches the whole foreground group, git aborts its commit.

    What happens: gate exits 130 having removed the approval file from the work tree, but
    the index still holds it (`git status`: `AD releases/v1.0.0/approvals/...`). The next
    ordinary `git commit` (or `git commit -a`) commits the approval alice cancelled, under
    her own name.

    At fault: repo/__init__.py `GitRepo.commit_files` stages with `git add` and undoes the
    staging only on `except GitError`; a KeyboardInterrupt (any BaseException) skips
    `unstage`, and records/writing.py `write` undoes only the work tree. (`staged()`, used by
    attach, unstages on BaseException; request/approve/reject/revoke/emergency/init do not.)

    Rule: a refused (here: interrupted) command leaves the work tree, index, tags and history
    exactly as they were. Fix: in `write`, unstage `files` in the `except BaseException`
    branch (as `staged` does), or do it in `commit_files` with `except BaseException`.
    """
    _requested(repo)
    marker = tmp_path / "hook-running"
    hook = repo.path / ".git/hooks/pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 30\n")
    hook.chmod(0o755)
    before = repo.state()
    proc = subprocess.Popen(
        [GATE, "-C", str(repo.path), "approve", "v1.0.0", "--role", "product"],
        env={**os.environ, **identity("alice")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    for _ in range(400):
        if marker.exists():
            break
        time.sleep(0.05)
    assert marker.exists(), "gate never reached git commit"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
    proc.communicate(timeout=60)
    hook.unlink()
    assert repo.state() == before, repo.git("status", "--porcelain")


# -- 2. `gate init --hooks` commits the policy, then refuses -------------------------------


@pytest.mark.parametrize("setup", ["other-pre-commit-hook", "core.hooksPath"])
def test_init_hooks_refused_after_it_committed_the_policy(tmp_path: Path, setup: str) -> None:
    """Accident: a new team runs `gate init --hooks` in a repository that already has a
    pre-commit hook of its own (or uses husky/lefthook through `core.hooksPath`).

    What happens: exit 2, "a different hook is already installed" / "core.hooksPath is
    set" -- but `policies/release.toml` and `policies/policy.schema.json` were already
    written and COMMITTED (HEAD moved) before the hooks were looked at.

    At fault: cli/setup.py `init` calls policy/scaffold.py `init_policy` (which commits)
    before `install_hooks`, whose refusals are only raised then.

    Rule: a refused command leaves the work tree, index, tags and history exactly as they
    were. Fix: run install_hooks' refusals (core.hooksPath, a different hook, a hooks
    folder that is a file) before `init_policy`, and write the hooks after the commit only
    once they are known to be installable.
    """
    r = _fresh(tmp_path)
    if setup == "core.hooksPath":
        r.git("config", "core.hooksPath", ".husky")
    else:
        hook = r.path / ".git/hooks/pre-commit"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text("#!/bin/sh\nexit 0\n")
        hook.chmod(0o755)
    before = r.state()
    res = r.gate("init", "--hooks", "--template", "minimal")
    assert res.code == 2
    assert r.state() == before, r.git("log", "--oneline")


# -- 3. a partial `git add` is never unstaged ----------------------------------------------


def test_init_with_an_ignored_schema_copy_leaves_the_policy_staged(tmp_path: Path) -> None:
    """Accident: the repository ignores `*.json` (build output, data files).

    What happens: `gate init` writes policies/release.toml and policies/policy.schema.json
    and runs `git add -- both`. git stages the policy, refuses the ignored schema and exits
    1. gate reports exit 2 (five `error:` lines of git's advice) and deletes both files from
    the work tree -- but the policy stays in the index: `git status` shows
    `AD policies/release.toml`, and the next `git commit` commits a policy the user was
    told was not written.

    At fault: repo/__init__.py `GitRepo.commit_files` runs `git add` outside its try, and
    records/writing.py `write` undoes only the work tree when it fails (git add is not
    all-or-nothing for ignored paths).

    Rule: a refused command leaves the index exactly as it was; one line naming the file.
    Fix: unstage `files` whenever `write` fails (as `staged` does), or refuse up front
    with `git check-ignore` naming the ignored path and the hint `git add -f` / .gitignore.
    """
    r = _fresh(tmp_path)
    r.write(".gitignore", "*.json\n")
    r.commit("ignore json")
    before = r.state()
    res = r.gate("init", "--template", "minimal")
    assert res.code == 2
    assert r.state() == before, r.git("status", "--porcelain")


# -- 4. `gate tag --push` validates the remote after creating the tag ----------------------


def test_tag_with_a_bad_push_remote_is_refused_after_the_tag_was_made(repo: Repo) -> None:
    """Accident/bad input: `gate tag v1.0.0 --push -f` (or an empty / option-like remote).

    What happens: the release tag v1.0.0 is created, then `--push: '-f' is not a remote
    name` exits 2. The tag stays; running the corrected command again says "tag 'v1.0.0'
    already exists" and `gate tag` can no longer push it.

    At fault: cli/checking.py `tag` calls check/tagging.py `create_release_tag` and only
    then repo/tags.py `push_tag`, which is where the remote name is validated.

    Rule: bad input is exit 2 with nothing changed (tags included). Fix: validate the
    remote (name syntax, and that `git remote get-url` knows it) before creating the tag;
    and on a push failure either delete the tag just created or exit with a message
    saying the tag exists locally and how to push it.
    """
    _requested(repo)
    approve_all(repo)
    before = repo.state()
    res = repo.gate("tag", "v1.0.0", "--push", "-f")
    assert res.code == 2 and "not a remote name" in res.err
    assert repo.state() == before, f"tags now: {repo.git('tag', '-l')}"


# -- 5. init writes a policy it would refuse -----------------------------------------------


def test_init_beside_an_existing_policy_file_commits_a_policy_every_command_refuses(
    tmp_path: Path,
) -> None:
    """Accident: the team's policy lives in `policies/team.toml`; someone runs `gate init`.

    What happens: init only looks for `policies/release.toml`, writes and commits a second
    policy; the two merge into one that gate refuses (`tags: already set in
    policies/release.toml`), so every later command (request, check, ...) exits 2 until
    the commit is reverted.

    At fault: policy/scaffold.py `init_policy` checks `(repo.root / POLICY).exists()` only,
    not every `policies/*.toml` the loader merges.

    Rule: gatekeeper never writes a file it would refuse (writing.py `dump`); init's own
    refusal "already exists" should cover any policy. Fix: refuse when any
    `policies/*.toml` exists (at HEAD or on disk), or load the merged result before writing.
    """
    r = Repo(tmp_path / "team")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("policies/team.toml", policy_text())
    r.commit("team policy")
    before = r.state()
    res = r.gate("init", "--template", "minimal")
    after = r.gate("request", "v1.0.0", "--title", "t")
    assert (res.code == 2 and r.state() == before) or after.code == 0, after.err


# -- 6. --report-json overwrites git's own files -------------------------------------------


def test_check_report_json_into_the_git_directory_destroys_the_repository(repo: Repo) -> None:
    """Bad input: `gate check v1.0.0 --report-json .git/HEAD` (a typo'd or templated path).

    What happens: exit 0 and `.git/HEAD` now holds the JSON report: the repository is
    broken (`git status`: not a git repository). `gate audit --output` refuses exactly this
    ("inside git's own directory"), `gate check --report-json` does not.

    At fault: cli/checking.py `_write_report` (no equivalent of auditing.py
    `_refuse_output`, and the path is only checked when the write fails).

    Rule: bad input is exit 2 naming the option, and nothing is changed. Fix: share
    `_refuse_output` between --output and --report-json and call it before the check runs.
    """
    _requested(repo)
    head_file = repo.path / ".git/HEAD"
    before = head_file.read_bytes()
    res = repo.gate("check", "v1.0.0", "--report-json", str(head_file))
    assert head_file.read_bytes() == before
    assert res.code == 2 and "--report-json" in res.err


# -- 7. hooks written through a dangling symlink --------------------------------------------


def test_init_hooks_writes_through_a_dangling_hook_symlink(repo: Repo, tmp_path: Path) -> None:
    """Accident/attack: `.git/hooks/pre-commit` is a symlink to a hook of another tool that
    is not there (yet), or planted to point outside the repository.

    What happens: `target.exists()` is False for a dangling link, so `gate init --hooks`
    "installs" the hook by writing through the link: a new executable file appears at the
    link's target outside `.git/hooks`, and the other tool's hook path is taken over.

    At fault: policy/scaffold.py `install_hooks` (`target.exists()` and `write_text` follow
    links; a link is never treated as "a different hook").

    Rule: symlinks are bad input -> exit 2 naming the path, nothing written; "never
    overwrites a different hook". Fix: `target.is_symlink() or target.exists()` counts as
    a hook already there (compare `os.readlink` / refuse), and write with O_NOFOLLOW|O_EXCL.
    """
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    hooks = repo.path / ".git/hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").symlink_to(outside / "tool-hook")
    res = repo.gate("init", "--hooks")
    assert not (outside / "tool-hook").exists(), "gate wrote through the symlink"
    assert res.code == 2


# -- 8. internal errors instead of one line naming the file -----------------------------------


@pytest.mark.parametrize("hook", ["folder", "not-utf8", "hooks-dir-is-a-file"])
def test_init_hooks_on_an_odd_existing_hook_is_an_internal_error(repo: Repo, hook: str) -> None:
    """Bad input: `.git/hooks/pre-commit` is a folder, or a binary / Latin-1 script (not
    UTF-8), or `.git/hooks` itself is a file.

    What happens: `gate init --hooks` prints `error: internal error: IsADirectoryError` /
    `UnicodeDecodeError` / `FileExistsError` and "run again with --debug and report the
    traceback" -- no file named as bad input with what was expected.

    At fault: policy/scaffold.py `install_hooks` (`read_text(encoding="utf-8")` on whatever
    is there; `folder.mkdir(exist_ok=True)` on a file) and `_chain`.

    Rule: bad input is exit 2, one line naming the file and what was expected, with a hint.
    Fix: read hooks as bytes (compare bytes), treat anything but a regular file as "a
    different hook" with its own message, and refuse a hooks folder that is no folder.
    """
    hooks = repo.path / ".git/hooks"
    if hook == "hooks-dir-is-a-file":
        import shutil

        shutil.rmtree(hooks, ignore_errors=True)
        hooks.write_text("not a folder\n")
    else:
        hooks.mkdir(exist_ok=True)
        if hook == "folder":
            (hooks / "pre-commit").mkdir()
        else:
            (hooks / "pre-commit").write_bytes(b"#!/bin/sh\n# caf\xe9\nexit 0\n")
    res = repo.gate("init", "--hooks")
    assert res.code == 2
    assert "internal error" not in res.err, res.err
    assert "hint:" in res.err


def test_a_comment_that_is_not_utf8_is_an_internal_error(repo: Repo) -> None:
    """Bad input: `gate approve v1.0.0 --role product --comment $'caf\\xe9'` from a Latin-1
    terminal (argv bytes that are not UTF-8; Python hands them over as surrogates).

    What happens: the record validates, then `tomli_w.dumps(...).encode()` raises
    UnicodeEncodeError: `error: internal error: UnicodeEncodeError ... surrogates not
    allowed`, "report the traceback". (Nothing is written.) The same for --title, --reason,
    --summary...; `--set` values are refused properly by pydantic.

    At fault: records/writing.py `dump` (the Signoff/Request models accept lone surrogates
    in str fields; nothing names the option).

    Rule: odd encodings are exit 2 naming the option and what was expected (UTF-8 text),
    with a hint. Fix: refuse strings with surrogates in the models (or in `dump`, naming
    the field: "--comment: not valid UTF-8").
    """
    _requested(repo)
    before = repo.state()
    proc = subprocess.run(
        [
            GATE,
            "-C",
            str(repo.path),
            "approve",
            "v1.0.0",
            "--role",
            "product",
            "--comment",
            b"caf\xe9",
        ],
        env={**os.environ, **identity("alice")},
        capture_output=True,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert repo.state() == before
    assert proc.returncode == 2
    assert "internal error" not in err, err
    assert "comment: 'caf?' is not UTF-8 text" in err and "hint:" in err


# -- 9. a multi-line title forges commit trailers -------------------------------------------


def test_a_request_title_adds_trailers_to_gates_commit_message(repo: Repo) -> None:
    """Attack: `gate request v1.0.0 --title $'Billing\\n\\nSigned-off-by: Erin
    <erin@example.com>\\nCo-authored-by: Erin <erin@example.com>'` (also `--reason` of
    `gate emergency`, which goes into the message too).

    What happens: the title ("One line saying what ships") is accepted with line breaks
    and copied verbatim into gate's commit message, so the commit gate made carries
    trailers of the attacker's choosing: forges and `git log` show erin as having signed
    off / co-authored the release request she never saw.

    At fault: records/recording.py `file_request` (message = f"gate: ...: {doc['title']}")
    and `declare_emergency` (`reason[:60]`); the Request model allows control characters
    in `title`.

    Rule: names/values reaching a commit message are data, never structure. Fix: refuse
    a title with line breaks or control characters (exit 2, `--title: one line`), and
    build commit messages from `one_line(...)` of any user value.
    """
    res = repo.gate(
        "request",
        "v1.0.0",
        "--title",
        "Billing\n\nSigned-off-by: Erin <erin@example.com>\n"
        "Co-authored-by: Erin <erin@example.com>",
    )
    trailers = repo.git("log", "-1", "--format=%(trailers)") if res.code == 0 else ""
    assert "erin" not in trailers.lower(), trailers
    assert res.code == 0 and len(repo.git("log", "-1", "--format=%B").strip().splitlines()) == 1
