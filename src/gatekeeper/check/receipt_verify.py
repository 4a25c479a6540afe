"""`gate verify-receipt`: a receipt proves nothing by itself. The release is evaluated
afresh at the tagged commit under the trusted policy; every claim of the receipt the tag
carries must be what that evaluation would state (check/receipt.py builds both), and the
tag must be signed by a key the trusted policy lists."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gatekeeper.check.receipt import STATEMENT, VSA, build, gate_claims, parse

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo, TagInfo


def verify(
    repo: GitRepo, tag: str, policy_ref: str | None, *, allow_unsigned: bool = False
) -> tuple[list[str], list[str]]:
    """(what holds, what does not). A receipt proves nothing by itself: the release is
    evaluated afresh at the tagged commit under the trusted policy, and the receipt's
    verdicts, record digests and policy must match that evaluation; the tag's signature
    must come from a key the trusted policy lists."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import InputError
    from gatekeeper.trust.signing import split_signed_tag

    info = repo.tag(tag)
    if info is None or not info.annotated:
        raise InputError(
            f"tag '{tag}': no annotated tag of that name",
            hint="receipts live in annotated tags made by `gate tag`",
        )
    raw = repo.tag_object(info.object_sha)
    signed, _ = split_signed_tag(raw)  # what follows a signature is nobody's word
    try:
        receipt = parse(signed.decode("utf-8", "replace").partition("\n\n")[2])
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
        _every_claim(receipt, fresh),
    ]


# What a receipt may state otherwise than a fresh evaluation does: when it was made, by
# which gatekeeper version (a later one verifies it), the tag gate (judged once the tag
# exists, so never in the receipt the tag carries), and the commit the policy was read
# at: the trusted ref moves on after the tag, and what must match is the policy itself
# (its files and their digest, compared above and in `uri` without its `@commit`).
_UNCOMPARED = (
    ("predicate", "timeVerified"),
    ("predicate", "verifier", "version"),
    ("predicate", "policy", "digest", "gitCommit"),
)


def _every_claim(receipt: dict[str, Any], fresh: Evaluation) -> tuple[bool, str]:
    """Every other claim the receipt makes, the same as the receipt a fresh evaluation
    makes: who signed each record and whether it verified, the signature mode, the
    emergency's declarers, the policy's files, and nothing the evaluation would not say."""
    expected = build(fresh)
    gates = expected["predicate"]["gatekeeper"]["gates"]
    expected["predicate"]["gatekeeper"]["gates"] = [g for g in gates if g["id"] != "tag"]
    differ = sorted(_differences(_without(receipt), _without(expected)))
    if not differ:
        return True, "every other claim matches a fresh evaluation"
    return False, "the receipt's claims differ from a fresh evaluation in: " + ", ".join(differ[:5])


def _without(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc))  # a copy: the receipt stays as read
    for *parents, key in _UNCOMPARED:
        holder = _field(out, *parents)
        if isinstance(holder, dict):
            holder.pop(key, None)
    policy = _field(out, "predicate", "policy")
    if isinstance(policy, dict) and isinstance(policy.get("uri"), str):
        policy["uri"] = policy["uri"].rpartition("@")[0]  # `git+FILES@COMMIT`: the files
    return out


def _differences(claimed: Any, expected: Any, where: str = "") -> list[str]:
    """The dotted paths at which two JSON documents differ (a list as one value)."""
    if isinstance(claimed, dict) and isinstance(expected, dict):
        return [
            found
            for key in claimed.keys() | expected.keys()
            for found in _differences(
                claimed.get(key), expected.get(key), f"{where}.{key}" if where else str(key)
            )
        ]
    return [] if claimed == expected else [where or "(the whole receipt)"]


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
