"""Failing closed on trust: the request is a signed record, receipts prove nothing by
themselves, and in commit mode only SSH signatures from keys in the policy count.

Every attack is reproduced with real git, real ssh-keygen keys and a real gpg keyring."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import PEOPLE, Repo, approve_all, identity, policy_text
from gatekeeper.check.receipt import BEGIN, END, extract
from test_ssh import SIGNERS, ssh_policy

GPG_KEY = ("ed25519", "sign", "never")
OPS_GATE = '\n[[gates]]\nid = "ops"\ntype = "approval"\nroles = ["ops"]\nmin_each = 1\n'


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One ed25519 key per signer of test_ssh's policy, plus an outsider's."""
    folder = tmp_path_factory.mktemp("keys")
    for who in (*SIGNERS, "outsider"):
        args = ["-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(folder / who)]
        subprocess.run(["ssh-keygen", *args], check=True)
    return {who: folder / who for who in (*SIGNERS, "outsider")}


def _new_repo(path: Path, policy: str) -> Repo:
    r = Repo(path)
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", policy)
    r.commit("initial")
    return r


@pytest.fixture
def signed(tmp_path: Path, keys: dict[str, Path]) -> Repo:
    """signatures = "ssh", keys for alice, bob, dave and mallory."""
    return _new_repo(tmp_path / "signed", ssh_policy(keys))


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [g for g in data["gates"] if g["id"] == gate_id]
    assert found, f"no '{gate_id}' gate in {[g['id'] for g in data['gates']]}"
    return found[0]


def _check(r: Repo, tag: str = "v1.0.0") -> tuple[int, dict[str, Any]]:
    res = r.gate("check", tag, "--format", "json")
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def _as(r: Repo, keys: dict[str, Path], who: str, *args: str, key: str | None = None) -> int:
    res = r.gate(*args, "--key", str(keys[key or who]), who=who)
    assert res.code in (0, 2), res.err
    return res.code


def _hand_request(r: Repo, requester: str, tag: str = "v1.0.0") -> str:
    """The request `gate request` would write, typed by hand (no signature)."""
    return (
        f'schema = 1\nrelease = "{tag}"\ntitle = "t"\nkind = "release"\nrisk = "normal"\n'
        f'component = ""\ncandidate = "{r.git("rev-parse", "HEAD")}"\nsummary = ""\n'
        f'rollback_plan = ""\nrequester = "{requester}"\n'
        f"requested_at = {datetime.now(UTC).isoformat()}\n"
    )


def _signed_with(text: str, key: Path) -> str:
    from gatekeeper.models.records import Request
    from gatekeeper.records.reading import parse_record
    from gatekeeper.trust.signing import SigningKey, payload

    sig = SigningKey(key).sign(payload(parse_record(Request, text.encode(), "request.toml")))
    return text + f'signature = """\n{sig}"""\n'


def _approve_ssh(r: Repo, keys: dict[str, Path]) -> None:
    for who in ("alice", "bob"):
        # An implementation may refuse to approve a bad request up front; either way
        # the check below must fail on the request.
        _as(r, keys, who, "approve", "v1.0.0", "--role", PEOPLE[who] or "")


# -- 1. the request is a signed record ---------------------------------------------------


def test_unsigned_request_committed_by_an_insider_fails(
    signed: Repo,
    keys: dict[str, Path],
) -> None:
    signed.write("releases/v1.0.0/request.toml", _hand_request(signed, "carol"))
    signed.commit("request v1.0.0 for carol", who="mallory")
    _approve_ssh(signed, keys)
    code, data = _check(signed)
    assert code == 1 and data["passed"] is False
    request = _gate(data, "request")
    assert request["passed"] is False, request["reasons"]


@pytest.mark.parametrize("requester", ["carol", "dave"])
def test_request_signed_with_mallorys_key_naming_someone_else_fails(
    signed: Repo,
    keys: dict[str, Path],
    requester: str,
) -> None:
    text = _signed_with(_hand_request(signed, requester), keys["mallory"])
    signed.write("releases/v1.0.0/request.toml", text)
    signed.commit(f"request v1.0.0 for {requester}", who="mallory")
    _approve_ssh(signed, keys)
    code, data = _check(signed)
    assert code == 1 and data["passed"] is False
    request = _gate(data, "request")
    assert request["passed"] is False, request["reasons"]


def test_a_revoke_signed_for_another_release_lifts_nothing(
    tmp_path: Path,
    keys: dict[str, Path],
) -> None:
    """Bob's rejection of v1.0.0 stands until he revokes it there: his own signed revoke
    of v1.1.0, copied into v1.0.0's folder by an insider, lifts nothing."""
    policy = ssh_policy(keys).replace('members = ["bob"]', 'members = ["bob", "dave"]')
    r = _new_repo(tmp_path / "r", policy)
    for tag in ("v1.0.0", "v1.1.0"):
        assert _as(r, keys, "mallory", "request", tag, "--title", "t") == 0
    assert _as(r, keys, "alice", "approve", "v1.0.0", "--role", "product") == 0
    assert _as(r, keys, "dave", "approve", "v1.0.0", "--role", "rnd") == 0
    assert _as(r, keys, "bob", "reject", "v1.0.0", "--role", "rnd", "--comment", "no") == 0
    assert _as(r, keys, "bob", "approve", "v1.1.0", "--role", "rnd") == 0
    assert _as(r, keys, "bob", "revoke", "v1.1.0", "--role", "rnd") == 0
    assert _check(r)[0] == 1
    revoke = next((r.path / "releases/v1.1.0/approvals").glob("*-revoke.toml"))
    shutil.copy(revoke, r.path / "releases/v1.0.0/approvals" / revoke.name)
    r.commit("carry bob's revoke over", who="mallory")
    code, data = _check(r)
    assert code == 1, data
    said = "\n".join(_gate(data, "acceptance")["reasons"])
    assert "rejected by bob" in said and "a revoke signed for release 'v1.1.0'" in said


def test_requester_and_request_committer_cannot_approve(
    tmp_path: Path,
    keys: dict[str, Path],
) -> None:
    r = _new_repo(tmp_path / "ops", ssh_policy(keys) + OPS_GATE)
    # Dave signs the request; bob is the one who commits it.
    assert _as(r, keys, "dave", "request", "v1.0.0", "--title", "t", "--no-commit") == 0
    r.commit("push dave's request", who="bob")
    assert _as(r, keys, "alice", "approve", "v1.0.0", "--role", "product") == 0
    _as(r, keys, "bob", "approve", "v1.0.0", "--role", "rnd")
    _as(r, keys, "dave", "approve", "v1.0.0", "--role", "ops")
    code, data = _check(r)
    assert code == 1
    assert _gate(data, "request")["passed"] is True, _gate(data, "request")["reasons"]
    acceptance, ops = _gate(data, "acceptance"), _gate(data, "ops")
    assert acceptance["passed"] is False, acceptance["reasons"]
    assert not any(x.startswith("approved by bob") for x in acceptance["reasons"])
    assert ops["passed"] is False, ops["reasons"]
    assert not any(x.startswith("approved by dave") for x in ops["reasons"])


# -- 2. receipts prove nothing by themselves ----------------------------------------------


def _tag_message(r: Repo, tag: str, message: str, target: str = "HEAD") -> None:
    path = r.path.parent / f"{tag}-message.txt"
    path.write_text(message)
    commit = r.git("rev-parse", target)
    r.git("tag", "-f", "-a", "-F", str(path), "--cleanup=verbatim", tag, commit)


def _released(r: Repo) -> dict[str, Any]:
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    res = r.gate("tag", "v1.0.0")
    assert res.code == 0, res.out + res.err
    receipt = extract(r.git("cat-file", "tag", "v1.0.0"))
    assert receipt is not None
    return receipt


def _text(*parts: str) -> str:
    return "\n".join(parts)


def test_hand_typed_receipt_for_an_unapproved_release(repo: Repo) -> None:
    real = _released(repo)
    assert repo.gate("request", "v1.1.0", "--title", "not approved").code == 0
    assert repo.gate("check", "v1.1.0").code == 1
    head = repo.git("rev-parse", "HEAD")
    path = "releases/v1.1.0/request.toml"
    forged = copy.deepcopy(real)
    forged["subject"] = [{"name": "refs/tags/v1.1.0", "digest": {"gitCommit": head}}]
    pred = forged["predicate"]
    pred["resourceUri"] = f"git+refs/tags/v1.1.0@{head}"
    pred["policy"]["uri"] = pred["policy"]["uri"].rsplit("@", 1)[0] + f"@{head}"
    pred["policy"]["digest"]["gitCommit"] = head  # the policy did not change: same sha256
    digest = {
        "sha256": hashlib.sha256((repo.path / path).read_bytes()).hexdigest(),
        "gitBlob": repo.git("rev-parse", f"HEAD:{path}"),
    }
    signer = {"person": "dave", "verified": False}
    pred["inputAttestations"] = [{"uri": path, "digest": digest, "signer": signer}]
    pred["gatekeeper"]["release"] = "v1.1.0"
    pred["gatekeeper"]["candidate"] = repo.git("rev-parse", "HEAD~1")
    _tag_message(repo, "v1.1.0", f"Release v1.1.0\n\n{BEGIN}\n{json.dumps(forged)}\n{END}\n")
    res = repo.gate("verify-receipt", "v1.1.0", "--allow-unsigned")
    assert res.code == 1, _text(res.out, res.err)
    assert "VERIFIED" not in res.out.replace("NOT VERIFIED", "")


def test_receipt_made_under_a_weakened_policy_ref(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "weak")
    weak = policy_text().partition("[[gates]]")[0]  # no approval gate at all
    repo.write("policies/release.toml", weak)
    repo.commit("weaken the policy", who="mallory")
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    res = repo.gate("tag", "v1.0.0", "--policy-ref", "weak")
    assert res.code == 0, _text(res.out, res.err)
    res = repo.gate("verify-receipt", "v1.0.0", "--policy-ref", "main", "--allow-unsigned")
    assert res.code == 1, _text(res.out, res.err)


def test_malformed_receipt_json_is_exit_1_without_a_traceback(repo: Repo) -> None:
    _released(repo)
    _tag_message(repo, "v1.0.0", f"Release v1.0.0\n\n{BEGIN}\n{{not json,\n{END}\n", "v1.0.0^{}")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")  # re-raises a crash
    said = _text(res.out, res.err)
    assert res.code == 1, said
    assert "Traceback" not in said and "internal error" not in said.lower()
    assert "malformed" in said.lower()


def test_unsigned_receipt_needs_allow_unsigned(repo: Repo) -> None:
    _released(repo)
    res = repo.gate("verify-receipt", "v1.0.0")
    said = _text(res.out, res.err)
    assert res.code == 1, said
    assert re.search(r"unsigned|not signed", said, re.IGNORECASE), said
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 0, _text(res.out, res.err)


def test_signed_receipt_counts_only_with_a_key_of_the_policy(
    signed: Repo,
    keys: dict[str, Path],
) -> None:
    assert _as(signed, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    _approve_ssh(signed, keys)
    signed.git("config", "gpg.format", "ssh")
    signed.git("config", "user.signingkey", str(keys["outsider"]))
    assert signed.gate("tag", "v1.0.0", "--sign").code == 0
    assert "-----BEGIN SSH SIGNATURE-----" in signed.git("cat-file", "tag", "v1.0.0")
    res = signed.gate("verify-receipt", "v1.0.0")
    said = _text(res.out, res.err)
    assert res.code == 1, said
    assert re.search(r"unknown|not listed|not in the (trusted )?policy", said, re.I), said
    signed.git("tag", "-d", "v1.0.0")
    signed.git("config", "user.signingkey", str(keys["dave"]))
    assert signed.gate("tag", "v1.0.0", "--sign").code == 0
    res = signed.gate("verify-receipt", "v1.0.0")
    assert res.code == 0, _text(res.out, res.err)


# -- 3. commit mode: only SSH signatures from keys in the policy --------------------------


@pytest.fixture
def gnupg(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway keyring holding alice's GPG key (ultimately trusted); its fingerprint."""
    home = tempfile.mkdtemp(prefix="gpg", dir="/tmp")  # short: gpg-agent's socket path
    env = {"GNUPGHOME": home, "PATH": "/usr/bin:/bin"}
    try:
        subprocess.run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "alice", *GPG_KEY],
            env=env,
            capture_output=True,
            check=True,
        )
        listing = subprocess.run(
            ["gpg", "--batch", "--with-colons", "--list-secret-keys"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        monkeypatch.setenv("GNUPGHOME", home)
        yield next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)
        shutil.rmtree(home, ignore_errors=True)


def _commit_mode(tmp_path: Path, keys: dict[str, Path]) -> Repo:
    policy = ssh_policy(keys).replace('signatures = "ssh"', 'signatures = "commit"')
    return _new_repo(tmp_path / "commits", policy)


def _with_config_key(r: Repo, keys: dict[str, Path], who: str, *args: str) -> int:
    r.git("config", "gpg.format", "ssh")
    r.git("config", "user.signingkey", str(keys[who]))
    return _as(r, keys, who, *args)


def test_gpg_signed_commit_never_counts_in_commit_mode(
    tmp_path: Path,
    keys: dict[str, Path],
    gnupg: str,
) -> None:
    r = _commit_mode(tmp_path, keys)
    assert _with_config_key(r, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    assert _with_config_key(r, keys, "bob", "approve", "v1.0.0", "--role", "rnd") == 0
    args = ("approve", "v1.0.0", "--role", "product", "--no-commit")
    assert _with_config_key(r, keys, "alice", *args) == 0
    gpg = ["-c", "gpg.format=openpgp", "-c", "gpg.program=gpg", "-c", f"user.signingkey={gnupg}"]
    r.git(*gpg, "commit", "-q", "-S", "-m", "alice approves", env=identity("alice"))
    # This machine's keyring trusts the key, and its user id is exactly "alice".
    assert r.git("log", "-1", "--format=%G?|%GS") == "G|alice"
    code, data = _check(r)
    assert code == 1 and data["passed"] is False
    acceptance = _gate(data, "acceptance")
    assert acceptance["passed"] is False
    assert not any(x.startswith("approved by alice") for x in acceptance["reasons"])
    assert "only SSH signatures" in " ".join(acceptance["reasons"]), acceptance["reasons"]


def test_commit_mode_writes_only_with_a_key_listed_for_the_person(
    tmp_path: Path,
    keys: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = _commit_mode(tmp_path, keys)  # no signing config: gate signs with the key it checked
    assert _as(r, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    r.git("config", "user.signingkey", str(keys["alice"]))  # an SSH key path, no gpg.format
    res = r.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert res.code == 0, res.err
    for attempt in (("--key", str(keys["mallory"])), ()):  # --key, then user.signingkey
        before = r.state()
        res = r.gate("approve", "v1.0.0", "--role", "rnd", *attempt, who="bob")
        assert res.code == 2, _text(res.out, res.err)
        assert r.state() == before
    monkeypatch.setenv("GATE_SIGNING_KEY", str(keys["bob"]))  # before user.signingkey
    res = r.gate("approve", "v1.0.0", "--role", "rnd", who="bob")
    assert res.code == 0, res.err
    code, data = _check(r)
    assert code == 0, json.dumps(data, indent=1)
    assert data["verified"] is True
