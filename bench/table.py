"""Print issue 13's table as ratios measured in one run: whole processes, each pair alternated
(A B A B ...), medians, peak memory of each process (wait4), exit codes.

    python bench/table.py                      # 500 and 10 releases, 3 runs (~15 min today)
    python bench/table.py --big                # also 5,000 releases (built once, ~3 min)
    python bench/table.py --skip status,repeat --runs 5

Repositories are built with make_repo.py once and kept under --cache (bench/.cache by
default, ignored by git); rows that change a repository work on a copy beside it. A row
stops after --budget seconds once it has one pair; a command is killed after --timeout.
Before each cold run gate's cache (.git/gatekeeper/) is removed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from measure import (  # bench/ is on sys.path when run as `python bench/table.py`
    BENCH,
    Sample,
    append_code,
    append_releases,
    clear_gate_cache,
    compile_gate,
    describe,
    git,
    machine,
    repository,
    run,
    work_copy,
)

GATE = str(Path(sys.executable).with_name("gate"))
PY = sys.executable


@dataclass
class Cmd:
    label: str
    argv: list[str]
    cwd: Path
    stdin: bytes | None = None
    prepare: Callable[[], None] | None = None


@dataclass
class Row:
    key: str
    what: str
    a: Cmd
    b: Cmd
    goal: str
    then: str
    quick: bool = True  # one untimed round first
    warm: Cmd | None = None  # timed right after each A, before anything else runs
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def gate(repo: Path, *args: str, cold: bool = True, stdin: bytes | None = None) -> Cmd:
    prepare = (lambda: clear_gate_cache(repo)) if cold else None
    return Cmd("gate " + " ".join(args), [GATE, *args], repo, stdin, prepare)


def log_pass(repo: Path, *revs: str) -> Cmd:
    argv = ["git", "log", "--no-renames", "--name-status", *revs]
    return Cmd("git log --no-renames --name-status " + " ".join(revs), argv, repo)


def rows(args: argparse.Namespace) -> list[Row]:
    main = repository(args.cache, args.releases)
    small = repository(args.cache, 10)
    big = repository(args.cache, args.big_releases) if args.big else None
    large = big or main
    size = f"{describe(large).split(' releases')[0]} releases"
    tags = git(large, "tag", "-l", "--sort=creatordate").split()
    newest, oldest = tags[-1], tags[0]
    small_newest = git(small, "tag", "-l", "--sort=creatordate").split()[-1]
    imports = Cmd(
        'python -c "import typer, pydantic, git"', [PY, "-c", "import typer, pydantic, git"], large
    )
    python_pass = Cmd("python -c pass", [PY, "-c", "pass"], main)
    out = [
        Row(
            "check",
            f"`gate check TAG`, {size} vs 10 releases",
            gate(large, "check", newest),
            gate(small, "check", small_newest),
            "≤ 1.2×",
            "1.03× (5,000)",
        ),
        Row(
            "imports",
            '`gate check TAG` vs `python -c "import typer, pydantic, git"`',
            gate(large, "check", newest),
            imports,
            "≤ 1.3×",
            "2.2×",
        ),
        Row(
            "audit",
            f"`gate audit --format json` vs one `git log --no-renames --name-status` ({size})",
            gate(large, "audit", "--format", "json"),
            log_pass(large),
            "≤ 1.3×",
            "~35× (5,000), 58× (500)",
            quick=False,
        ),
        repeat_row(large, size) if "repeat" not in args.skip else None,
        quarter_row(large, size, tags),
        Row(
            "hook",
            "`gate hook pre-push` for a branch push vs `python -c pass`",
            *hook_cmds(main),
            "≤ 2×",
            "3.2×",
        ),
    ]
    for repo in (main, big) if big else (main,):
        n = describe(repo).split(" releases")[0]
        status = gate(repo, "status")
        out.append(
            Row(
                f"status-{n}",
                f"`gate status` cold vs one `git log` pass ({n} releases)",
                status,
                log_pass(repo),
                "≤ 2×",
                "~66 s (500)",
                quick=False,
                warm=gate(repo, "status", cold=False),
            )
        )
        if "across" not in args.skip:
            out.append(across_row(repo, n))
        if "tagged" not in args.skip:
            out.append(across_row(repo, n, tag="v99.0.0"))
        if "filed" not in args.skip:
            out.append(filed_row(repo, n))
    out += [
        Row(
            "oldest",
            f"`gate check` of the oldest vs the newest release at HEAD ({size})",
            gate(large, "check", oldest, "--rev", "HEAD"),
            gate(large, "check", newest, "--rev", "HEAD"),
            "≤ 1.2×",
            "~4× (5,000)",
        ),
        Row(
            "validate",
            "`gate validate`, nothing relevant staged, vs `python -c pass`",
            validate_cmd(main),
            python_pass,
            "≤ 2×",
            "5.1×",
        ),
    ]
    return [r for r in out if r is not None and not any(r.key.startswith(s) for s in args.skip)]


def hook_cmds(repo: Path) -> tuple[Cmd, Cmd]:
    head = git(repo, "rev-parse", "HEAD")
    line = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n".encode()
    hook = gate(repo, "hook", "pre-push", "origin", "git@example.com:x.git", cold=False, stdin=line)
    return hook, Cmd("python -c pass", [PY, "-c", "pass"], repo)


def validate_cmd(repo: Path) -> Cmd:
    """In a copy with one source file changed and staged (pre-commit runs `gate validate`)."""
    copy = work_copy(repo, "validate")
    (copy / "src" / "m1.py").write_text("x = 'staged'\n")
    git(copy, "add", "src/m1.py")
    return gate(copy, "validate", cold=False)


def repeat_row(repo: Path, size: str) -> Row:
    """An audit, ~1,000 new commits, then the repeat audit (gate's cache as the first left it)."""
    copy = work_copy(repo, "repeat")
    print("repeat: the first (untimed) audit ...", file=sys.stderr, flush=True)
    run([GATE, "audit", "--format", "json"], copy, timeout=3600)
    before = git(copy, "rev-parse", "HEAD")
    append_releases(copy, 1000)
    cache, saved = copy / ".git" / "gatekeeper", copy / ".git" / "bench-gatekeeper"
    shutil.rmtree(saved, ignore_errors=True)
    if cache.exists():
        shutil.copytree(cache, saved)

    def restore() -> None:
        clear_gate_cache(copy)
        if saved.exists():
            shutil.copytree(saved, cache)

    again = Cmd(
        "gate audit --format json (repeat)",
        [GATE, "audit", "--format", "json"],
        copy,
        None,
        restore,
    )
    new = git(copy, "rev-list", "--count", f"{before}..HEAD")
    return Row(
        "repeat",
        f"repeat `gate audit` after {new} new commits vs `git log` of those ({size})",
        again,
        log_pass(copy, f"{before}..HEAD"),
        "≤ 2 s",
        "272 s (5,000)",
        quick=False,
    )


def status_after(repo: Path, name: str, change: Callable[[Path], None], what: str) -> Cmd:
    """`gate status` in a copy of `repo` after `change`, with the rows and index a first
    run kept before it (at a HEAD that is no release's tag, so rows may outlive commits
    and new tags), restored before each timed run."""
    copy = work_copy(repo, name)
    append_code(copy, 1)
    print(f"{name}: the first (untimed) status ...", file=sys.stderr, flush=True)
    run([GATE, "status"], copy, timeout=3600)
    cache, saved = copy / ".git" / "gatekeeper", copy / ".git" / "bench-gatekeeper"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(cache, saved)
    change(copy)

    def restore() -> None:
        clear_gate_cache(copy)
        shutil.copytree(saved, cache)

    return Cmd(f"gate status ({what})", [GATE, "status"], copy, None, restore)


def across_row(repo: Path, n: str, tag: str | None = None) -> Row:
    """`gate status` after a pull of 100 commits that change no record or policy (and,
    `tag`, a release tag made on the new HEAD)."""
    name = f"tagged-{n}" if tag else f"across-{n}"
    made = " and a new tag" if tag else ""

    def pull(copy: Path) -> None:
        append_code(copy, 100)
        if tag:
            git(copy, "tag", "-a", tag, "-m", f"bench: {tag}")

    again = status_after(repo, name, pull, f"after 100 commits{made}")
    return Row(
        name,
        f"`gate status` after 100 new commits that change no record{made} vs one `git log` "
        f"pass ({n} releases)",
        again,
        log_pass(again.cwd),
        "≤ 1 s",
        "—",
        quick=False,
    )


def quarter_row(repo: Path, size: str, tags: list[str]) -> Row:
    """The auditor's quarter: `gate audit --since` the date of the newest 2.5% of the
    release tags, cold (no kept index) and warm (right after, the index kept)."""
    since = tags[-max(1, len(tags) // 40)]
    date = git(repo, "for-each-ref", "--format=%(taggerdate:iso-strict)", f"refs/tags/{since}")
    args = ("audit", "--format", "json", "--since", date.strip())
    return Row(
        "quarter",
        f"`gate audit --since` (the newest {len(tags) // 40} tags) cold vs one `git log` pass "
        f"({size})",
        gate(repo, *args),
        log_pass(repo),
        "≈ 1× (done means)",
        "—",
        quick=False,
        warm=gate(repo, *args, cold=False),
    )


def filed_row(repo: Path, n: str) -> Row:
    """`gate status` after a commit that files the next release's request (a busy
    repository's records commit): that row is judged, the others an earlier run kept are
    used, and the kept history index is extended by one commit."""

    def file_request(copy: Path) -> None:
        head = git(copy, "rev-parse", "HEAD")
        folder = copy / "releases" / "v99.1.0"
        folder.mkdir(parents=True)
        (folder / "request.toml").write_text(
            f'schema = 1\nrelease = "v99.1.0"\ntitle = "the next"\ncandidate = "{head}"\n'
            'requester = "gina"\nrequested_at = 2024-03-01 00:00:00+00:00\n'
        )
        git(copy, "add", "releases")
        ident = ["-c", "user.name=gina", "-c", "user.email=gina@bench.example"]
        git(copy, *ident, "commit", "-q", "--no-verify", "-m", "gate: request v99.1.0")

    again = status_after(repo, f"filed-{n}", file_request, "after a request is filed")
    return Row(
        f"filed-{n}",
        f"`gate status` after a commit that files a request vs one `git log` pass ({n} releases)",
        again,
        log_pass(again.cwd),
        "≤ 1 s",
        "—",
        quick=False,
    )


def measure(row: Row, runs: int, budget: float, timeout: float) -> None:
    cycle = [("a", row.a), ("b", row.b)] + ([("warm", row.warm)] if row.warm else [])
    row.samples = {name: [] for name, _ in cycle}
    if row.quick:
        for _, cmd in cycle:
            sample(cmd, timeout)
    start = time.monotonic()
    for _ in range(runs):
        for name, cmd in cycle:
            row.samples[name].append(sample(cmd, timeout))
        if time.monotonic() - start > budget:
            break


def sample(cmd: Cmd, timeout: float) -> Sample:
    if cmd.prepare:
        cmd.prepare()
    return run(cmd.argv, cmd.cwd, cmd.stdin, timeout)


def seconds(samples: list[Sample], timeout: float) -> tuple[float, str]:
    value = statistics.median(s.seconds if s.code is not None else float("inf") for s in samples)
    if value == float("inf"):
        return value, f"> {timeout:.0f} s"
    return value, f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def table(done: list[Row], timeout: float) -> list[str]:
    out = [
        "| what | A | B | A ÷ B | issue 13: then → goal | peak MB, A / B | pairs | exit A/B |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in done:
        pairs = [("a", row.what, row.goal, row.then)]
        if row.warm:
            pairs.append(
                ("warm", row.what.replace("cold", "warm (right after a cold run)"), "≤ 1 s", "—")
            )
        for name, what, goal, then in pairs:
            a, a_text = seconds(row.samples[name], timeout)
            b, b_text = seconds(row.samples["b"], timeout)
            if b == float("inf"):
                ratio = "—"
            else:
                ratio = f"> {timeout / b:.0f}×" if a == float("inf") else f"{a / b:.2f}×"
            peak = "/".join(
                f"{max(s.peak_kb for s in row.samples[k]) / 1024:.0f}" for k in (name, "b")
            )
            codes = "/".join(
                ",".join(sorted({str(s.code) for s in row.samples[k]})) for k in (name, "b")
            )
            out.append(
                f"| {what} | {a_text} | {b_text} | {ratio} | {then} → {goal} | {peak} | "
                f"{len(row.samples[name])} | {codes} |"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="pairs per row (default 3)")
    parser.add_argument("--releases", type=int, default=500, help="the main repository (500)")
    parser.add_argument("--big", action="store_true", help="also a 5,000-release repository")
    parser.add_argument("--big-releases", type=int, default=5000)
    parser.add_argument("--cache", type=Path, default=BENCH / ".cache", help="built repositories")
    parser.add_argument("--budget", type=float, default=60, help="seconds per row after 1 pair")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command")
    parser.add_argument(
        "--skip",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help="rows to leave out: check,imports,audit,repeat,hook,status,across,tagged,oldest,"
        "validate",
    )
    parser.add_argument("--label", default="", help="a line printed above the table")
    args = parser.parse_args()
    compile_gate()
    todo = rows(args)
    for i, row in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {row.what} ...", file=sys.stderr, flush=True)
        measure(row, args.runs, args.budget, args.timeout)
    repos = [
        repository(args.cache, n)
        for n in (10, args.releases, *((args.big_releases,) if args.big else ()))
    ]
    if args.label:
        print(args.label + "\n")
    print("\n".join(f"- {line}" for line in machine()))
    print("- repositories: " + "; ".join(describe(r) for r in repos))
    print(
        f"- medians of up to {args.runs} alternated pairs (a row stops after {args.budget:.0f} s "
        "once it has one); whole processes; peak resident memory of each process (wait4)\n"
    )
    print("\n".join(table(todo, args.timeout)))
    for copy in args.cache.glob("work-*"):  # copies a row changed; the built repos stay
        shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    main()
