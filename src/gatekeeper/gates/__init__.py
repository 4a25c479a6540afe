"""Gate types: small pure functions `(gate, facts) -> (passed, reasons)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatekeeper.facts import Facts
from gatekeeper.gates import approval, evidence

GateFn = Callable[[Any, Facts], tuple[bool, list[str]]]

GATE_TYPES: dict[str, GateFn] = {
    "approval": approval.evaluate,
    "evidence": evidence.evaluate,
}
