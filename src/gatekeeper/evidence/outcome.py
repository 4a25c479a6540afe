"""Kinds that record a result: `perf-test`, `post-check`, `rollback`."""

from __future__ import annotations

from typing import Literal, cast

from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, newest
from gatekeeper.models.base import Strict
from gatekeeper.models.gates import EvidenceGate


class OutcomeDetails(Strict):
    """What was done and how it ended."""

    result: Literal["pass", "fail"]
    summary: str = ""


class PerfTestGate(EvidenceGate):
    """上线后必须进行性能测试: a performance test that passed."""

    kind: Literal["perf-test"]


class PostCheckGate(EvidenceGate):
    """上线后检查: the post-release check passed."""

    kind: Literal["post-check"]


class RollbackGate(EvidenceGate):
    """上线后回滚: a rollback was recorded (restore backup, revert code, why)."""

    kind: Literal["rollback"]


def check(gate: EvidenceGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The newest record's result is `pass`."""
    details = cast(OutcomeDetails, newest(items).details)
    return [] if details.result == "pass" else [f"{gate.kind} result is 'fail': {details.summary}"]


def _outcome(gate: EvidenceGate) -> str:
    return "--set result=pass --set summary=TEXT"


KINDS = (
    EvidenceKind(
        "perf-test", PerfTestGate, OutcomeDetails, check, stage="post-release", example=_outcome
    ),
    EvidenceKind(
        "post-check",
        PostCheckGate,
        OutcomeDetails,
        check,
        stage="post-release",
        marks="verified",
        example=_outcome,
    ),
    EvidenceKind(
        "rollback",
        RollbackGate,
        OutcomeDetails,
        check,
        stage="post-release",
        marks="rolled back",
        example=_outcome,
    ),
)
