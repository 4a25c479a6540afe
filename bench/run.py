"""Time gatekeeper's commands on a synthetic repository (run by hand; numbers go in docs).

python bench/make_repo.py /tmp/big --releases 5000
python bench/run.py /tmp/big
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure import CHILD_ENV, compile_gate  # bench/ is on sys.path when run as a script

GATE = str(Path(sys.executable).with_name("gate"))


def timed(argv: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    samples = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(
            argv, cwd=cwd, capture_output=True, check=False, env=CHILD_ENV
        ).returncode
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--audit", action="store_true", help="also time gate audit (slow)")
    args = parser.parse_args()
    compile_gate()
    tags = subprocess.run(
        ["git", "tag", "-l", "--sort=creatordate"],
        cwd=args.repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    commits = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=args.repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"repo: {len(tags)} release tags, {commits} commits; median of {args.runs} runs\n")
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("gate --help", [GATE, "--help"]),
        ("gate validate (a non-release path: hook fast path)", [GATE, "validate", "src/m1.py"]),
        ("gate validate (nothing staged)", [GATE, "validate"]),
        (
            "gate hook pre-push (a branch push: fast path)",
            [
                "sh",
                "-c",
                f"echo 'refs/heads/main {'1' * 40} refs/heads/main {'0' * 40}' | {GATE} "
                "hook pre-push origin url",
            ],
        ),
        (f"gate check {tags[-1]} (newest release)", [GATE, "check", tags[-1]]),
        (f"gate check {tags[0]} (oldest release)", [GATE, "check", tags[0]]),
        (f"gate check {tags[-1]} --rev HEAD", [GATE, "check", tags[-1], "--rev", "HEAD"]),
        (
            f"gate check {tags[0]} --rev HEAD (old release, long history walk)",
            [GATE, "check", tags[0], "--rev", "HEAD"],
        ),
    ]
    if shutil.which("git"):
        cases.append(
            (
                "git ls-tree + cat-file of one release (floor)",
                [
                    "sh",
                    "-c",
                    f"git ls-tree -r HEAD -- releases/{tags[-1]}/ | "
                    "awk '{print $3}' | git cat-file --batch >/dev/null",
                ],
            )
        )
    print("| what | ms | exit |\n| --- | --- | --- |")
    for label, argv in cases:
        ms, code = timed(argv, args.repo, args.runs)
        print(f"| {label} | {ms:.0f} | {code} |")
    if args.audit:
        audit_cases(args.repo, tags)


def audit_cases(repo: Path, tags: list[str]) -> None:
    """`gate audit` against one raw `git log --name-status` pass over the same paths."""
    recent = subprocess.run(
        [
            "git",
            "for-each-ref",
            "--format=%(taggerdate:short)",
            f"refs/tags/{tags[-len(tags) // 10]}",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    raw = ["git", "log", "--no-renames", "--name-status", "--", "releases/", "policies/"]
    floor, _ = timed(raw, repo, 1)
    print(f"\n| audit | ms | × raw log ({floor:.0f} ms) | exit |\n| --- | --- | --- | --- |")
    for label, argv in (
        (
            "gate audit --format json (every release, every tag checked)",
            [GATE, "audit", "--format", "json"],
        ),
        (
            f"gate audit --since {recent} (tags checked for the last tenth)",
            [GATE, "audit", "--since", recent, "--format", "json"],
        ),
    ):
        ms, code = timed(argv, repo, 1)
        print(f"| {label} | {ms:.0f} | {ms / floor:.1f} | {code} |")


if __name__ == "__main__":
    main()
