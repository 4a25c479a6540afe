"""Start-up: the hooks answer before importing the heavy stack, a check imports what its
policy needs (and no GitPython, no plugin scan, one `git version`), and the shortcuts
that make this possible answer exactly as the code they stand in for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Repo, make_repo
from gatekeeper.check.pushing import parse_pre_push, touches_tags
from gatekeeper.cli import early
from gatekeeper.cli.app import COMMANDS, command_of, make_app
from gatekeeper.errors import GitError
from gatekeeper.records.validate import is_relevant
from gatekeeper.repo.base import find_root

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "pydantic",
    "typer",
    "git",
    "tomllib",
    "subprocess",
    "gatekeeper.repo",
    "gatekeeper.records",
)
BRANCH_PUSH = f"refs/heads/main {'1' * 40} refs/heads/main {'0' * 40}\n"


def imported(repo: Repo, *args: str, stdin: str = "") -> tuple[int, set[str]]:
    """Run `python -X importtime -m gatekeeper ARGS` in the repository: its exit code and
    every module it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gatekeeper", *args],
        cwd=repo.path,
        input=stdin.encode(),
        capture_output=True,
        check=False,
    )
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in err.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }
    return proc.returncode, names


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n in HEAVY or n.startswith(tuple(f"{h}." for h in HEAVY)))


# -- the hooks' early answers ----------------------------------------------------------------


def test_pre_commit_with_nothing_relevant_staged_imports_no_heavy_module(repo: Repo) -> None:
    repo.write("app.py", "print('v2')\n")
    repo.git("add", "app.py")
    code, names = imported(repo, "validate")  # as the hook and pre-commit run it
    assert code == 0 and "gatekeeper.cli.early" in names
    assert heavy(names) == []
    code, names = imported(repo, "validate", "app.py", "docs/x.md")
    assert code == 0 and heavy(names) == []


def test_a_relevant_path_still_gets_the_full_validate(repo: Repo) -> None:
    repo.write("releases/v1.0.0/request.toml", 'schema = 1\nrelease = "v1.0.0"\nrisk = "huge"\n')
    repo.git("add", "-A")
    code, names = imported(repo, "validate")
    assert code == 2 and "typer" in names  # the record was read and refused


def test_the_policys_own_release_folder_is_read_without_a_toml_parser(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='releases = "paperwork"  # where records live')
    r.write("paperwork/v1/notes.txt", "anything in the release folder\n")
    r.git("add", "-A")
    code, names = imported(r, "validate")
    assert code == 0 and "typer" in names  # the full validate looked at it
    r.git("reset", "-q", "--hard")
    r.write("releases/v1/notes.txt", "not a release folder here\n")
    r.git("add", "-A")
    code, names = imported(r, "validate")
    assert code == 0 and heavy(names) == []


def test_a_policy_too_odd_to_read_plainly_is_parsed_as_before(tmp_path: Path) -> None:
    # A multi-line string: the plain reading gives up and TOML decides (the same answer).
    r = make_repo(tmp_path, extra='releases = "paperwork"\nnote = """\nreleases = "x"\n"""')
    r.write("x/v1/notes.txt", "a\n")
    r.git("add", "-A")
    code, names = imported(r, "validate")
    assert code == 0 and "tomllib" in names and "typer" not in names


def test_a_policy_file_that_is_not_a_plain_file_is_never_read_by_the_hook(repo: Repo) -> None:
    """A committed symlink `policies/zero.toml -> /dev/zero` (or a pipe, or a 2 GB file)
    used to be read whole by every contributor's pre-commit hook: memory ran out, or it
    hung. Now the hook never opens it; the full command refuses it where it reads it."""
    zero = repo.path / "policies/zero.toml"
    zero.symlink_to("/dev/zero")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "a symlink where a policy goes")
    os.mkfifo(repo.path / "policies/fifo.toml")
    with (repo.path / "policies/huge.toml").open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk is used
    repo.write("app.py", "print('v2')\n")
    repo.git("add", "app.py")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "validate"],
        cwd=repo.path,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode in (0, 2) and b"Traceback" not in proc.stderr, proc.stderr
    from gatekeeper.cli.early import TOML_LIMIT
    from gatekeeper.models.tomlfile import MAX_TOML_BYTES

    assert TOML_LIMIT == MAX_TOML_BYTES  # the hook's limit is the parser's


def test_a_branch_push_imports_no_heavy_module_and_a_tag_push_is_checked(repo: Repo) -> None:
    code, names = imported(repo, "hook", "pre-push", "origin", "url", stdin=BRANCH_PUSH)
    assert code == 0 and "gatekeeper.cli.early" in names
    assert heavy(names) == []
    tag = f"refs/tags/v1.0.0 {'1' * 40} refs/tags/v1.0.0 {'0' * 40}\n"
    code, names = imported(repo, "hook", "pre-push", "origin", "url", stdin=tag)
    assert code == 1 and "typer" in names  # no such release: the push is refused


@pytest.mark.parametrize("folder", ["releases", "paperwork", "a/b"])
def test_early_relevance_is_the_validators(folder: str) -> None:
    paths = [
        "app.py",
        "policies/release.toml",
        "policies/sub/x.toml",
        f"{folder}/v1/notes.txt",
        f"{folder}/v1/request.toml",
        "releases/v1/approvals/a.toml",
        "src/evidence/report.xml",
        "evidence",
        "deep/approvals/x",
        "request.toml",
        "docs/request.toml.md",
        "a/bc/x",
        "paperworks/x",
        "emergency/x",
    ]
    for path in paths:
        early_answer = early.is_record_shaped(path) or path.startswith(f"{folder}/")
        assert early_answer == is_relevant(path, folder), path


# Policies the plain reading must read, with the release folder they name ("": none).
PLAIN = {
    **{
        p.read_text(encoding="utf-8"): "releases"
        for p in sorted((ROOT / "policies").glob("*.toml"))
    },
    'schema = 1\nreleases = "paperwork"\n[people.a]\nemail = "a@x"\n': "paperwork",
    "releases = 'paper/work' # comment\n": "paper/work",
    'tags = [\n  "v*",  # ] not a bracket\n  "releases-*",\n]\nreleases = "r"\n': "r",
    "tag_regex = '^v\\d+$'\nreleases = \"r\"\n": "r",
    'x = "releases"\n': "",
    '[binding]\nreleases = "not top-level"\n': "",
    'inline = { releases = "x" }\n': "",
    "tags = [['releases = \"x\"']]\n": "",
}
# Policies it must leave to TOML (None), or read as TOML does.
ODD = [
    '"releases" = "quoted"\n',
    "releases.sub = 1\n",
    "releases = 5\n",
    'x = "a\\u0072"\nreleases = "r"\n',
    'releases = "a"\nreleases = "b"\n',
    'note = """\nreleases = "inside"\n"""\n',
    "\ufeffreleases = 'bom'\n",
    'releases = ""\n',
    'releases = "a" "b"\n',
    'tags = [\n"v*"\nreleases = "x"\n',
]


@pytest.mark.parametrize("text", [*PLAIN, *ODD])
def test_the_plain_reading_of_a_policy_agrees_with_toml(text: str) -> None:
    plain = early.declared_folder(text)
    if text in PLAIN:
        assert plain == PLAIN[text]
    try:
        value = tomllib.loads(text).get("releases", "")
    except tomllib.TOMLDecodeError:
        return  # not TOML: `gate validate` refuses it whichever way the hook went
    assert plain is None or plain == value, (plain, value)


@pytest.mark.parametrize(
    "text",
    [
        BRANCH_PUSH,
        f"refs/tags/v1 {'1' * 40} refs/tags/v1 {'0' * 40}\n",
        f"(delete) {'0' * 40} refs/tags/v1 {'2' * 40}\n",
        f"(delete) {'0' * 64} refs/tags/v1 {'2' * 64}\n",
        f"refs/heads/main {'1' * 40} refs/heads/main {'0' * 40}\n"
        f"refs/tags/v2 {'3' * 40} refs/tags/v2 {'0' * 40}\n",
        f"refs/heads/a b {'1' * 40} refs/tags/x y {'0' * 40}\n",
        "garbage\n\n",
        "",
        f"refs/tags/x\u2028 {'1' * 40} refs/tags/v2 {'0' * 40}\n",
        f"refs/tags/x\x85 {'1' * 40} refs/tags/v2 {'0' * 40}\r\n",
        f"refs/tags/v\udcff {'1' * 40} refs/tags/v\udcff {'0' * 40}",
    ],
)
def test_early_pre_push_reading_is_the_hooks(text: str) -> None:
    """Where the hook would refuse a line it cannot read, the fast path goes to it."""
    from gatekeeper.errors import InputError

    try:
        refs = parse_pre_push(text)
    except InputError:
        assert early.publishes_tag(text)
        return
    assert early.publishes_tag(text) == touches_tags(refs)


# -- gate check ------------------------------------------------------------------------------


def test_a_check_imports_the_kinds_its_policy_uses_and_no_git_library(tmp_path: Path) -> None:
    r = make_repo(
        tmp_path,
        gates='[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n',
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "git.log"
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {shutil.which("git")} "$@"\n')
    fake.chmod(0o755)
    script = (
        "import importlib.metadata as m, json, sys\n"
        "scans = []\n"
        "real = m.entry_points\n"
        "m.entry_points = lambda **kw: scans.append(kw) or real(**kw)\n"
        "from gatekeeper.cli import main\n"
        "code = main(['check', 'v1.0.0'])\n"
        "print(json.dumps([code, sorted(sys.modules), scans]), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=r.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        check=False,
    )
    code, modules, scans = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code == 1 and "no request for 'v1.0.0'" in proc.stdout  # it did check
    kinds = {m.rsplit(".", 1)[1] for m in modules if m.startswith("gatekeeper.evidence.")}
    assert "test_report" in kinds
    assert not kinds & {"backup", "env_check", "launch_notice", "outcome", "notice_sent"}
    assert "git" not in modules  # GitPython
    assert not [s for s in scans if s.get("group") == "pydantic"]  # no plugin scan
    versions = [line for line in log.read_text().splitlines() if line.endswith("version")]
    assert len(versions) == 1, versions


def test_a_one_command_app_answers_as_the_whole_app() -> None:
    runner = CliRunner()
    for name, _, _ in COMMANDS:
        whole = runner.invoke(make_app(), [name, "--help"])
        alone = runner.invoke(make_app(name), [name, "--help"])
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), name
    whole = runner.invoke(make_app(), ["hook", "pre-push", "--help"])
    alone = runner.invoke(make_app("hook"), ["hook", "pre-push", "--help"])
    assert alone.output == whole.output and "Refuse pushing" in alone.output


def test_the_command_is_read_past_the_global_options() -> None:
    assert command_of(["check", "v1"]) == "check"
    assert command_of(["-C", "some/dir", "--debug", "status"]) == "status"
    assert command_of(["-Csome/dir", "hook", "pre-push"]) == "hook"
    assert command_of(["-C", "check", "audit"]) == "audit"  # `check` was -C's value
    for args in (["--help"], [], ["--version"], ["chek"], ["-C"], ["--debug", "--help"]):
        assert command_of(args) is None, args


# -- finding the repository without a git library ---------------------------------------------


def test_the_repository_is_found_where_git_finds_it(repo: Repo, tmp_path: Path) -> None:
    (repo.path / "sub" / "deeper").mkdir(parents=True)
    assert find_root(repo.path / "sub" / "deeper") == (repo.path.resolve(), False)
    assert find_root(repo.path / ".git") == (repo.path.resolve(), False)
    worktree = tmp_path / "wt"
    repo.git("worktree", "add", "-q", str(worktree))
    assert find_root(worktree) == (worktree.resolve(), False)
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert find_root(bare) == (bare.resolve(), True)
    link = tmp_path / "link"
    link.symlink_to(repo.path)
    assert find_root(link / "sub") == (repo.path.resolve(), False)
    (tmp_path / "plain").mkdir()
    outside = {"GIT_DIR": str(repo.path / ".git"), "GIT_WORK_TREE": str(repo.path)}
    with pytest.MonkeyPatch.context() as env:  # run from outside the work tree git is told of
        for name, value in outside.items():
            env.setenv(name, value)
        assert find_root(tmp_path / "plain") == (repo.path.resolve(), False)
    for where in (tmp_path / "plain", tmp_path / "missing", repo.path / "app.py"):
        with pytest.raises(GitError) as caught:
            find_root(where)
        assert caught.value.message == f"{where}: not inside a git repository"
    # Inside a git dir whose work tree is elsewhere (--separate-git-dir, a worktree's own
    # git dir): its parent is no work tree, so gate says where to run instead of guessing.
    separate, tree = tmp_path / "separate.git", tmp_path / "tree"
    subprocess.run(["git", "init", "-q", f"--separate-git-dir={separate}", str(tree)], check=True)
    for inside in (separate, repo.path / ".git" / "worktrees" / "wt"):
        with pytest.raises(GitError) as caught:
            find_root(inside)
        assert "whose work tree is elsewhere" in caught.value.message, caught.value.message
        assert caught.value.hint == "run gate in the work tree, or pass -C WORK_TREE"
    assert find_root(tree) == (tree.resolve(), False)


def test_not_a_repository_is_recognised_whatever_the_language(tmp_path: Path) -> None:
    env = {**os.environ, "LANG": "de_DE.UTF-8", "LANGUAGE": "de", "LC_ALL": "de_DE.UTF-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "check", "v1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2 and ": not inside a git repository" in proc.stderr
