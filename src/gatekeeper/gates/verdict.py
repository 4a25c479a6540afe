"""What a gate function returns: its verdict, the reasons, and who could unblock it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """A gate's answer; `waiting_on` names (person, role) who could still unblock it."""

    passed: bool
    reasons: tuple[str, ...]
    waiting_on: tuple[tuple[str, str], ...] = ()
    next: tuple[str, ...] = ()  # commands that would unblock it (also said in a reason)
