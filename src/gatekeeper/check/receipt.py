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
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo, TagInfo

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
        data = json.loads(message[start + len(BEGIN) : end])
    except RecursionError:  # nested deeper than the parser goes: no receipt gate made
        raise ValueError("the receipt is nested too deeply to be one") from None
    if not isinstance(data, dict):
        raise ValueError("the receipt is not a JSON object")
    return data


def verify(
    repo: GitRepo, tag: str, policy_ref: str | None, *, allow_unsigned: bool = False
) -> tuple[list[str], list[str]]:
    """(what holds, what does not). A receipt proves nothing by itself: the release is
    evaluated afresh at the tagged commit under the trusted policy, and the receipt's
    verdicts, record digests and policy must match that evaluation; the tag's signature
    must come from a key the trusted policy lists."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import InputError

    info = repo.tag(tag)
    if info is None or not info.annotated:
        raise InputError(
            f"tag '{tag}': no annotated tag of that name",
            hint="receipts live in annotated tags made by `gate tag`",
        )
    raw = repo.tag_object(info.object_sha)
    try:
        receipt = parse(raw.decode("utf-8", "replace").partition("\n\n")[2])
    except ValueError as exc:
        return [], [f"tag '{tag}': the receipt is malformed ({exc})"]
    if receipt is None:
        return [], [f"tag '{tag}' carries no gatekeeper receipt"]
    fresh = evaluate(repo, tag, CheckOptions(policy_ref=policy_ref, tag_info=info))
    ok, bad = _statement(receipt, tag, info)
    for holds, line in _against(receipt, fresh):
        (ok if holds else bad).append(line)
    holds, line = _signature(raw, fresh.policy.policy)
    (ok if holds or allow_unsigned else bad).append(line)
    return ok, bad


def _field(data: Any, *keys: str | int) -> Any:
    """`data[k1][k2]...`, or None where the shape differs (a receipt is untrusted input)."""
    for key in keys:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and len(data) > key else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def _against(receipt: dict[str, Any], fresh: Evaluation) -> list[tuple[bool, str]]:
    """The receipt's claims next to a fresh evaluation under the trusted policy."""
    report = fresh.report
    failing = [g.id for g in report.gates if not g.passed]
    claimed_gates = _field(receipt, "predicate", "gatekeeper", "gates")
    gates = gate_claims(report)
    digests = {f.path: f.sha256 for f in fresh.records.files}
    items = _field(receipt, "predicate", "inputAttestations")
    claimed = {
        str(_field(item, "uri")): _field(item, "digest", "sha256")
        for item in (items if isinstance(items, list) else [])
    }
    policy = _field(receipt, "predicate", "policy", "digest", "sha256")
    return [
        (
            report.passed,
            "the release passes its gates now, under the trusted policy"
            if report.passed
            else f"the release fails under the trusted policy: {', '.join(failing)}",
        ),
        (
            claimed_gates == [g for g in gates if g["id"] != "tag"],
            "gate verdicts match a fresh evaluation"
            if claimed_gates == [g for g in gates if g["id"] != "tag"]
            else "gate verdicts differ from a fresh evaluation",
        ),
        (
            claimed == digests,
            "record digests match the tagged commit"
            if claimed == digests
            else _digest_difference(claimed, digests),
        ),
        (
            policy == fresh.policy.sha256,
            f"made under the trusted policy ({fresh.policy.sha256[:12]})"
            if policy == fresh.policy.sha256
            else f"made under policy {str(policy)[:12]}, not the trusted policy "
            f"{fresh.policy.sha256[:12]} at {fresh.policy.commit[:12]}",
        ),
        (
            _field(receipt, "predicate", "gatekeeper", "candidate") == report.candidate,
            "candidate matches the request",
        ),
    ]


def _digest_difference(claimed: dict[str, Any], actual: dict[str, str]) -> str:
    differ = sorted(p for p in claimed.keys() | actual.keys() if claimed.get(p) != actual.get(p))
    return f"record digests differ from the tagged commit: {', '.join(differ[:5])}"


def _signature(raw: bytes, policy: Policy) -> tuple[bool, str]:
    """Whether the tag (and so its receipt) is signed by a person of the trusted policy."""
    from gatekeeper.trust.signing import NOT_SSH, SSH_ARMOR, Verifier, split_signed_tag

    payload, signature = split_signed_tag(raw)
    if signature is None:
        return False, "the receipt is unsigned (the tag carries no signature)"
    if SSH_ARMOR not in signature:
        return False, f"the tag is {NOT_SSH}"
    with Verifier(policy, namespace="git") as verifier:
        person = verifier.signer(payload, signature)
    if person is None:
        return False, "the tag is signed by an unknown key (not listed in the trusted policy)"
    return True, f"the tag (and so the receipt) is signed by {person}, per the trusted policy"


def _statement(receipt: dict[str, Any], tag: str, info: TagInfo) -> tuple[list[str], list[str]]:
    ok: list[str] = []
    bad: list[str] = []
    if receipt.get("_type") != STATEMENT or receipt.get("predicateType") != VSA:
        bad.append("not an in-toto Statement v1 with a SLSA verification summary")
    name = _field(receipt, "subject", 0, "name")
    target = _field(receipt, "subject", 0, "digest", "gitCommit")
    if name == f"refs/tags/{tag}" and target == info.commit:
        ok.append(f"refs/tags/{tag} still points at {target}")
    else:
        bad.append(f"the receipt names {target}, the tag points at {info.commit}")
    if info.name_in_object != tag:
        bad.append(f"the tag object is named '{info.name_in_object}', not '{tag}'")
    if _field(receipt, "predicate", "verificationResult") != "PASSED":
        bad.append("the receipt does not record a passing verification")
    return ok, bad


def receipts(repo: GitRepo, log: AuditLog) -> list[dict[str, Any]]:
    """The receipts (in-toto Statements) the release tags of an audit carry."""
    tags = repo.tags()
    found = []
    for rel in log.releases:
        info = tags.get(rel.release)
        if info is not None and info.annotated:
            statement = extract(repo.tag_message(info.object_sha))
            if statement is not None:
                found.append(statement)
    return found
