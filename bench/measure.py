"""What bench/table.py needs around the commands it times: whole-process samples with peak
memory, cached synthetic repositories, working copies, and the machine's description."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
FILES = 2000  # source files in every synthetic repository (make_repo.py's default)


# The children run as on a user's machine, where Python keeps compiled bytecode: a
# PYTHONDONTWRITEBYTECODE=1 inherited from the shell (this sandbox sets it) would make
# every `gate` recompile its modules while typer and pydantic load theirs from
# site-packages, ~0.15 s of difference that is not gatekeeper's.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_gate() -> None:
    """Write gatekeeper's bytecode once, as pip does for an installed package."""
    import gatekeeper

    package = Path(gatekeeper.__file__).parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], check=True, env=CHILD_ENV
    )


@dataclass(frozen=True)
class Sample:
    """One whole process: wall seconds, peak resident memory (kB), exit code (None: timed out)."""

    seconds: float
    peak_kb: int
    code: int | None


def run(argv: list[str], cwd: Path, stdin: bytes | None = None, timeout: float = 900) -> Sample:
    """Run `argv` once, output discarded; peak memory from wait4() of that very child."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=CHILD_ENV,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    killed = not timer.is_alive()
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Sample(seconds, usage.ru_maxrss, None if killed else proc.returncode)


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def clear_gate_cache(repo: Path) -> None:
    """Forget whatever gate keeps under .git/gatekeeper/ (a cold run)."""
    shutil.rmtree(repo / ".git" / "gatekeeper", ignore_errors=True)


def repository(cache: Path, releases: int) -> Path:
    """The synthetic repository with `releases` releases, built once into `cache`."""
    path = cache / f"r{releases}-f{FILES}"
    done = path / ".git" / "bench-complete"
    if done.exists():
        return path
    building = cache / f"building-r{releases}"
    shutil.rmtree(building, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"building {releases} releases into {path} (once) ...", file=sys.stderr, flush=True)
    maker = [sys.executable, str(BENCH / "make_repo.py"), str(building)]
    subprocess.run([*maker, "--releases", str(releases), "--files", str(FILES)], check=True)
    (building / ".git" / "bench-complete").write_text(datetime.now(UTC).isoformat() + "\n")
    building.rename(path)
    return path


def work_copy(repo: Path, name: str) -> Path:
    """A fresh copy of a cached repository that a case may change (beside it in the cache)."""
    copy = repo.parent / f"work-{name}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(repo, copy, symlinks=True)
    return copy


def append_releases(repo: Path, commits: int) -> None:
    """`commits` new commits on main as make_repo.py writes them (releases and their tags)."""
    from make_repo import release

    first = len(git(repo, "tag", "-l").split())
    imp = _on_main(repo, b"")
    for i in range(first, first + (commits - 1) // 11):
        release(imp, i, FILES)  # 11 commits and a tag each
    _finish(repo, imp, commits, b"x = 1\n")


def append_code(repo: Path, commits: int) -> None:
    """`commits` new commits on main that change source files only (a pull of others' work)."""
    imp = _on_main(repo, b"M 100644 inline src/pulled.py\ndata 6\nx = 0\n")
    _finish(repo, imp, commits, b"x = 2\n")


def _on_main(repo: Path, change: bytes) -> Any:
    """A fast-import stream whose first commit (mark 1, `change` in it) follows main."""
    sys.path.insert(0, str(BENCH))
    from make_repo import Importer

    imp = Importer(repo)
    imp.clock = datetime.fromtimestamp(int(git(repo, "log", "-1", "--format=%ct")), UTC)
    stamp = int(imp.clock.timestamp())
    msg = b"bench: more work"
    imp.write(
        f"commit refs/heads/main\nmark :1\ncommitter gina <gina@bench.example> {stamp} +0000\n"
        f"data {len(msg)}\n".encode()
        + msg
        + b"\nfrom refs/heads/main^0\n"
        + change
        + b"\n"
    )
    imp.mark = 1
    return imp


def _finish(repo: Path, imp: Any, commits: int, content: bytes) -> None:
    """Source-only commits up to `commits` in all, then main checked out."""
    while imp.mark < commits:
        imp.commit("gina", "bench: more work", {f"src/m{imp.mark % FILES}.py": content})
    imp.done()
    git(repo, "reset", "-q", "--hard", "main")


def describe(repo: Path) -> str:
    tags = len(git(repo, "tag", "-l").split())
    commits = git(repo, "rev-list", "--count", "HEAD")
    return f"{tags:,} releases, {int(commits):,} commits"


def machine() -> list[str]:
    """nproc, CPU model, memory, Python, git, OpenSSH and the libraries gate starts with."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem = next(
        (
            int(line.split()[1]) // 1024**2
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False).stderr
    libs = ", ".join(f"{name} {_version(name)}" for name in _LIBS)
    where = subprocess.run(
        [sys.executable, "-c", "import gatekeeper; print(gatekeeper.__path__[0])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {cpu}, {mem} GB RAM, {platform.platform()}",
        f"Python {platform.python_version()}, {git(Path.cwd(), 'version')}, {ssh.split(',')[0]}",
        libs,
        f"gatekeeper from {where}",
    ]


_LIBS = ("typer", "pydantic", "GitPython", "cryptography")


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"
