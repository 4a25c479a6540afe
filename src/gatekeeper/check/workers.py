"""Judging many releases on every core.

`gate status` and `gate audit` judge each release on its own: no judgement reads what
another writes (each has its own clock and its own trace of what it read). So once the
history is read, a run with many releases forks a worker per core and each judges a
share, in order.

Workers are forked (on Linux; elsewhere, and with GATE_JOBS=1, every release is judged
in this process, in turn), so each starts with all this process has read: the history
index, the release folders read ahead, what its memo holds; none of it is sent. A worker
lets go of this process's `git cat-file` processes (their pipes are this process's) and
starts its own. It sends back its judgements; a share a worker could not judge (or send)
is judged again here, so an error is raised, and reported, exactly as by one process.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.repo import GitRepo

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_AFTER = 200  # fewer status rows are judged here: a fork costs more than it saves
# An audit's release (its records' events and the check at its tag) costs about three
# status rows: from 64 on, a quarter's report gains by sharing them out (measured).
AUDIT_AFTER = 64
_MOST = 8  # workers, at most, unless GATE_JOBS says otherwise
_WORK: dict[str, Any] = {}  # what a forked worker judges, and with what


def gate_jobs() -> int | None:
    """GATE_JOBS: how many processes judge (None: unset). Asked by every command that
    judges many, before anything else, so a bad value is refused whether or not there is
    anything to judge."""
    from gatekeeper.errors import InputError

    raw = os.environ.get("GATE_JOBS", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise InputError(
            f"GATE_JOBS: {raw!r}; expected a number of processes, 1 or more",
            hint="unset GATE_JOBS to judge on every core, or set GATE_JOBS=1 for one process",
        )
    return int(raw)


def jobs(count: int, after: int = PARALLEL_AFTER) -> int:
    """How many processes judge `count` releases: GATE_JOBS when set (1: this one alone),
    else, from `after` releases on, one per core this process may run on."""
    given = gate_jobs()
    if sys.platform != "linux" or count < 2:
        return 1
    if given is not None:
        return min(given, count)
    if count < after:
        return 1
    return max(1, min(_MOST, len(os.sched_getaffinity(0))))


def judged(
    repo: GitRepo,
    items: list[T],
    judge: Callable[[T], R],
    progress: Callable[[int, int], None] | None = None,
    *,
    after: int = PARALLEL_AFTER,
) -> list[R]:
    """`judge(item)` for each item, in order: here, or by forked workers (`jobs`), from
    `after` items on."""
    workers = jobs(len(items), after)
    if workers <= 1:
        return _here(items, judge, progress)
    size = max(1, min(64, len(items) // (workers * 8)))
    shares = [(at, min(at + size, len(items))) for at in range(0, len(items), size)]
    return _apart(repo, items, judge, shares, workers=workers, progress=progress)


def _here(
    items: list[T], judge: Callable[[T], R], progress: Callable[[int, int], None] | None
) -> list[R]:
    out = []
    for n, item in enumerate(items):
        if progress:
            progress(n, len(items))
        out.append(judge(item))
    return out


def _apart(
    repo: GitRepo,
    items: list[T],
    judge: Callable[[T], R],
    shares: list[tuple[int, int]],
    *,
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """The shares (`items[start:end]`) judged by forked workers, which find the items and
    `judge` where this process left them; a share a worker could not judge or send back
    (it raised, or died) is judged here."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    out: list[R] = []
    _WORK.update(judge=judge, items=items)
    gc.freeze()  # what this process holds stays shared with the workers, not copied
    fork = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=fork, initializer=_forked, initargs=(repo,))
    try:
        answers = pool.map(_share, shares)
        for start, end in shares:
            try:
                got: list[R] | None = next(answers)
            except Exception:  # sent back unreadable, or its worker died
                got = None
            out += got if got is not None else _here(items[start:end], judge, None)
            if progress:
                progress(len(out), len(items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _WORK.clear()
        gc.unfreeze()
    return out


def _forked(repo: GitRepo) -> None:
    """A worker's start: `git cat-file` processes of its own, and Ctrl-C ends it quietly
    (the run stops and says so; a worker's traceback would only clutter the terminal)."""
    import signal

    repo.forked()
    signal.signal(signal.SIGINT, _quit)


def _quit(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def _share(share: tuple[int, int]) -> list[Any] | None:
    """A worker's judgement of its share; None when one of them raised (judged again by
    the parent, which raises it as one process would)."""
    judge, items = _WORK["judge"], _WORK["items"]
    try:
        return [judge(item) for item in items[share[0] : share[1]]]
    except Exception:
        return None
