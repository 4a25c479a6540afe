"""Receipts: written by `gate tag`, re-verified offline; tampering is caught."""

from __future__ import annotations

import json

from conftest import Repo, approve_all
from gatekeeper.check.receipt import BEGIN, END, VSA, extract


def _tagged(repo: Repo) -> dict:  # type: ignore[type-arg]
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    message = repo.git("cat-file", "tag", "v1.0.0")
    receipt = extract(message)
    assert receipt is not None
    return receipt


def _retag(repo: Repo, message: str, target: str = "v1.0.0^{commit}") -> None:
    path = repo.path.parent / "message.txt"
    path.write_text(message)
    commit = repo.git("rev-parse", target)
    repo.git("tag", "-f", "-a", "-F", str(path), "--cleanup=verbatim", "v1.0.0", commit)


def test_receipt_round_trip(repo: Repo) -> None:
    receipt = _tagged(repo)
    assert receipt["_type"] == "https://in-toto.io/Statement/v1"
    assert receipt["predicateType"] == VSA
    commit = repo.git("rev-parse", "v1.0.0^{commit}")
    assert receipt["subject"] == [{"name": "refs/tags/v1.0.0", "digest": {"gitCommit": commit}}]
    pred = receipt["predicate"]
    assert pred["verificationResult"] == "PASSED"
    assert pred["policy"]["digest"]["gitCommit"] == commit
    uris = {item["uri"] for item in pred["inputAttestations"]}
    assert "releases/v1.0.0/request.toml" in uris and len(uris) == 3
    signed = [i for i in pred["inputAttestations"] if "approvals/" in i["uri"]]
    assert {i["signer"]["person"] for i in signed} == {"alice", "bob"}
    assert {g["id"]: g["passed"] for g in pred["gatekeeper"]["gates"]}["acceptance"] is True
    # Unsigned, the receipt alone proves nothing about who made it: exit 1 by default.
    res = repo.gate("verify-receipt", "v1.0.0")
    assert res.code == 1 and "the receipt is unsigned" in res.out
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 0, res.out
    assert "receipt of v1.0.0: VERIFIED" in res.out
    assert f"refs/tags/v1.0.0 still points at {commit}" in res.out


def test_tampered_receipt_digest(repo: Repo) -> None:
    receipt = _tagged(repo)
    receipt["predicate"]["inputAttestations"][0]["digest"]["sha256"] = "0" * 64
    _retag(repo, f"Release v1.0.0\n\n{BEGIN}\n{json.dumps(receipt)}\n{END}\n")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1 and "record digests differ from the tagged commit" in res.out


def test_tag_moved_with_its_receipt(repo: Repo) -> None:
    _tagged(repo)
    message = repo.git("cat-file", "tag", "v1.0.0").partition("\n\n")[2]
    repo.write("app.py", "print('other')\n")
    repo.commit("other code")
    _retag(repo, message, "HEAD")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1 and "the tag points at" in res.out


def test_tampered_policy_digest_and_missing_receipt(repo: Repo) -> None:
    receipt = _tagged(repo)
    receipt["predicate"]["policy"]["digest"]["sha256"] = "f" * 64
    _retag(repo, f"x\n\n{BEGIN}\n{json.dumps(receipt)}\n{END}\n")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1 and "not the trusted policy" in res.out
    _retag(repo, "no receipt here\n")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1 and "carries no gatekeeper receipt" in res.out
    assert repo.gate("verify-receipt", "v9.9.9").code == 2


def test_a_receipt_verifies_against_the_trusted_ref_after_it_moved_on(repo: Repo) -> None:
    """Found in review: any commit on main after the tag made `verify-receipt --policy-ref
    main` say DOES NOT MATCH (the receipt names the commit its policy was read at, and a
    fresh evaluation reads it at main's new head). What must match is the policy: its
    files and their digest."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0", "--policy-ref", "main").code == 0
    repo.write("app.py", "print('later work')\n")
    repo.commit("later work")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned", "--policy-ref", "main")
    assert res.code == 0 and "receipt of v1.0.0: VERIFIED" in res.out, res.out
    policy = (repo.path / "policies/release.toml").read_text()
    repo.write("policies/release.toml", policy.replace("min_each = 1", "min_each = 2"))
    repo.commit("stricter")  # the trusted policy is another now: the receipt was not made so
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned", "--policy-ref", "main")
    assert res.code == 1 and "not the trusted policy" in res.out, res.out
    receipt = json.loads(
        repo.git("cat-file", "tag", "v1.0.0").split(BEGIN)[1].split(END)[0]
    )  # a receipt naming other policy files does not match either
    receipt["predicate"]["policy"]["uri"] = receipt["predicate"]["policy"]["uri"].replace(
        "policies/release.toml", "policies/other.toml"
    )
    repo.git("reset", "-q", "--hard", "HEAD~1")
    _retag(repo, f"Release v1.0.0\n\n{BEGIN}\n{json.dumps(receipt)}\n{END}\n")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned", "--policy-ref", "main")
    assert res.code == 1 and "predicate.policy.uri" in res.out, res.out
