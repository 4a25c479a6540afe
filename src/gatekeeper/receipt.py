"""Release receipts: an in-toto Statement v1 with a SLSA Verification Summary predicate,
written into the annotated tag message by `gate tag` (signed with the tag when the tag
is signed) and re-verified offline by `gate verify-receipt`."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.check import Evaluation
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
                "gates": [
                    {"id": g.id, "passed": g.passed, "applies": g.applies} for g in report.gates
                ],
            },
        },
    }


def embed(message: str, receipt: dict[str, Any]) -> str:
    """The tag message with the receipt appended between markers."""
    body = json.dumps(receipt, indent=2, sort_keys=True, ensure_ascii=False)
    return f"{message.rstrip()}\n\n{BEGIN}\n{body}\n{END}\n"


def extract(message: str) -> dict[str, Any] | None:
    """The receipt inside a tag message, or None."""
    start, end = message.find(BEGIN), message.find(END)
    if start < 0 or end < start:
        return None
    try:
        data = json.loads(message[start + len(BEGIN) : end])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def verify(repo: GitRepo, tag: str) -> tuple[list[str], list[str]]:
    """(what holds, what does not): every digest, the tag's target, the policy."""
    from gatekeeper.errors import GateError, InputError
    from gatekeeper.policyfile import load_policy

    info = repo.tag(tag)
    if info is None or not info.annotated:
        raise InputError(
            f"tag '{tag}': no annotated tag of that name",
            hint="receipts live in annotated tags made by `gate tag`",
        )
    receipt = extract(repo.tag_message(info.object_sha))
    if receipt is None:
        return [], [f"tag '{tag}' carries no gatekeeper receipt"]
    ok, bad = _statement(receipt, tag, info)
    pred = receipt.get("predicate", {})
    commit = info.commit or ""
    for item in pred.get("inputAttestations", []):
        path, digest = item.get("uri", ""), item.get("digest", {})
        try:
            data = repo.blob_at(commit, path)
        except GateError:
            bad.append(f"{path}: not in the tagged commit")
            continue
        if hashlib.sha256(data).hexdigest() == digest.get("sha256"):
            ok.append(f"{path}: sha256 matches")
        else:
            bad.append(f"{path}: content differs from the receipt")
    policy = pred.get("policy", {}).get("digest", {})
    where = f"policy at {str(policy.get('gitCommit', '?'))[:12]}"
    try:
        loaded = load_policy(repo, repo.resolve_commit(policy.get("gitCommit", ""), "policy"))
    except InputError as exc:
        bad.append(f"{where}: {exc.message}")
    else:
        same = loaded.sha256 == policy.get("sha256")
        (ok if same else bad).append(f"{where}: digest {'matches' if same else 'differs'}")
    return ok, bad


def _statement(receipt: dict[str, Any], tag: str, info: TagInfo) -> tuple[list[str], list[str]]:
    ok: list[str] = []
    bad: list[str] = []
    if receipt.get("_type") != STATEMENT or receipt.get("predicateType") != VSA:
        bad.append("not an in-toto Statement v1 with a SLSA verification summary")
    subjects = receipt.get("subject", [])
    target = subjects[0].get("digest", {}).get("gitCommit") if subjects else None
    if subjects and subjects[0].get("name") == f"refs/tags/{tag}" and target == info.commit:
        ok.append(f"refs/tags/{tag} still points at {target}")
    else:
        bad.append(f"the receipt names {target}, the tag points at {info.commit}")
    if info.name_in_object != tag:
        bad.append(f"the tag object is named '{info.name_in_object}', not '{tag}'")
    if receipt.get("predicate", {}).get("verificationResult") != "PASSED":
        bad.append("the receipt does not record a passing verification")
    if info.signed:
        ok.append("the tag (and so the receipt) is signed; check it with `git verify-tag`")
    return ok, bad
