"""Release receipts: an in-toto Statement v1 with a SLSA Verification Summary predicate,
written into the annotated tag message by `gate tag` (signed with the tag when the tag
is signed) and re-verified offline by `gate verify-receipt`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.check.report import Report
    from gatekeeper.repo import GitRepo

STATEMENT = "https://in-toto.io/Statement/v1"
VSA = "https://slsa.dev/verification_summary/v1"
VERIFIER = "https://github.com/OWNER/gatekeeper"
BEGIN = "-----BEGIN GATEKEEPER RECEIPT-----"
END = "-----END GATEKEEPER RECEIPT-----"


def build(ev: Evaluation, now: datetime | None = None) -> dict[str, Any]:
    """The Statement for a passing evaluation of `ev.report.release` at `ev.report.revision`."""
    from importlib.metadata import version

    report = ev.report
    signers = {path: {"person": s.person, "verified": s.verified} for path, s in ev.signers.items()}
    return {
        "_type": STATEMENT,
        "subject": [
            {"name": f"refs/tags/{report.release}", "digest": {"gitCommit": report.revision}}
        ],
        "predicateType": VSA,
        "predicate": {
            "verifier": {"id": VERIFIER, "version": {"gatekeeper": version("gatekeeper-release")}},
            "timeVerified": (now or datetime.now(UTC)).isoformat(),
            "resourceUri": f"git+refs/tags/{report.release}@{report.revision}",
            "policy": {
                "uri": f"git+{','.join(ev.policy.files)}@{ev.policy.commit}",
                "digest": {"sha256": ev.policy.sha256, "gitCommit": ev.policy.commit},
            },
            "inputAttestations": [
                {
                    "uri": f.path,
                    "digest": {"sha256": f.sha256, "gitBlob": f.blob},
                    **({"signer": signers[f.path]} if f.path in signers else {}),
                }
                for f in ev.records.files
            ],
            "verificationResult": "PASSED" if report.passed else "FAILED",
            "verifiedLevels": [],
            "gatekeeper": {
                "release": report.release,
                "candidate": report.candidate,
                "signatures": report.signatures,
                "gates": gate_claims(report),
                # 紧急上线: who declared the emergency that waived gates, why, the ticket.
                "emergency": [
                    {"person": person, "reason": reason, "ticket": ticket}
                    for person, reason, ticket in (ev.facts.emergency if ev.facts else ())
                    if any(g.waived for g in report.gates)
                ],
            },
        },
    }


def gate_claims(report: Report) -> list[dict[str, Any]]:
    """What a receipt states about each gate (a waived one says so)."""
    return [
        {"id": g.id, "passed": g.passed, "applies": g.applies}
        | ({"waived": True} if g.waived else {})
        for g in report.gates
    ]


def embed(message: str, receipt: dict[str, Any]) -> str:
    """The tag message with the receipt appended between markers."""
    body = json.dumps(receipt, indent=2, sort_keys=True, ensure_ascii=False)
    return f"{message.rstrip()}\n\n{BEGIN}\n{body}\n{END}\n"


def extract(message: str) -> dict[str, Any] | None:
    """The receipt inside a tag message, or None (also when it is not valid JSON)."""
    try:
        return parse(message)
    except ValueError:
        return None


def parse(message: str) -> dict[str, Any] | None:
    """The receipt inside a tag message; None without one; ValueError when malformed."""
    start, end = message.find(BEGIN), message.find(END)
    if start < 0 and end < 0:
        return None
    if start < 0 or end < start:
        raise ValueError("the receipt markers are out of order")
    try:
        data = json.loads(message[start + len(BEGIN) : end], object_pairs_hook=_once)
    except RecursionError:  # nested deeper than the parser goes: no receipt gate made
        raise ValueError("the receipt is nested too deeply to be one") from None
    if not isinstance(data, dict):
        raise ValueError("the receipt is not a JSON object")
    return data


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose every key is given once: a reader that keeps the first of two
    would read another claim than the one verified (json keeps the last)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        twice = next(k for n, (k, _) in enumerate(pairs) if k in dict(pairs[:n]))
        raise ValueError(f"the key {twice!r} is given twice")
    return data


def receipts(
    repo: GitRepo, log: AuditLog, trusted: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The receipts (in-toto Statements) the release tags of an audit carry that verify as
    `gate verify-receipt --allow-unsigned` verifies them (every claim recomputed under the
    `trusted` policy); and a line for each left out. A receipt proves nothing by itself:
    a hand-typed one on a tag must not reach whoever reads these statements."""
    from gatekeeper.check.receipt_verify import verify
    from gatekeeper.errors import GateError

    tags = repo.tags()
    found, left = [], []
    for rel in log.releases:
        info = tags.get(rel.release)
        if info is None or not info.annotated:
            continue
        statement = extract(repo.tag_message(info.object_sha))
        if statement is None:
            continue
        try:
            _, bad = verify(repo, rel.release, trusted, allow_unsigned=True)
        except GateError as exc:
            bad = [exc.message]
        if bad:
            left.append(f"the receipt of {rel.release} does not verify ({bad[0]}): left out")
        else:
            found.append(statement)
    return found, left
