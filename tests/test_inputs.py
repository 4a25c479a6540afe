"""Bad input: exit 2, one line per problem naming file and field, a hint, no traceback."""

from __future__ import annotations

import pytest

from conftest import Repo
from gatekeeper.errors import InputError
from gatekeeper.policy.loading import parse_policy

BASE = 'schema = 1\n[people.a]\nemail = "a@x.org"\n[roles.qa-lead]\nmembers = ["a"]\n'


def _lines(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        parse_policy(data, "policies/release.toml")
    assert info.value.hint
    return info.value.lines


def test_unknown_role_with_suggestion() -> None:
    lines = _lines(
        BASE + '[[gates]]\nid = "g"\ntype = "approval"\nroles = ["qa"]\n'
        '[[gates]]\nid = "h"\ntype = "approval"\nroles = ["x"]\n'
        '[[gates]]\nid = "i"\ntype = "approval"\nroles = ["qa-lead", "qa"]\n'
    )
    assert lines[0] == (
        "policies/release.toml: gates[0].roles[0]: unknown role 'qa' (did you mean 'qa-lead'?)"
    )
    assert "gates[2].roles[1]: unknown role 'qa'" in lines[2]


def test_no_silent_coercion() -> None:
    lines = _lines('allow_self_approval = "yes"\n' + BASE)
    assert lines == [
        "policies/release.toml: allow_self_approval: input should be a valid boolean, got 'yes'"
    ]


def test_unknown_keys_are_named() -> None:
    lines = _lines(
        'colour = "blue"\n' + BASE + '[[gates]]\nid = "t"\ntype = "evidence"\n'
        'kind = "test-report"\nmax_fail = 1\n'
    )
    assert len(lines) == 2
    assert any(line.startswith("policies/release.toml: colour: unknown key") for line in lines)
    assert any(
        line.startswith("policies/release.toml: gates[0].max_fail: unknown key") for line in lines
    )


def test_gate_type_and_member_errors() -> None:
    assert (
        "gates[0]: expected type = 'approval', 'evidence', 'lead-time', 'freeze' or 'obligations'"
        in _lines(BASE + '[[gates]]\nid = "g"\ntype = "script"\n')[0]
    )
    assert (
        "roles.qa-lead.members[1]: unknown person 'b'"
        in _lines(BASE.replace('["a"]', '["a", "b"]'))[0]
    )


def test_signed_modes_need_a_trust_store() -> None:
    for mode in ("ssh", "commit"):
        lines = _lines(f'signatures = "{mode}"\n' + BASE)
        assert f"signatures: '{mode}' needs keys, but no person lists any" in lines[0]


def test_one_key_under_two_people() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOoq alice@laptop"
    text = (
        f'schema = 1\n[people.a]\nemail = "a@x.org"\nkeys = ["{key}"]\n'
        f'[people.b]\nemail = "b@x.org"\nkeys = ["{key} other-comment"]\n'
    )
    assert "people.b.keys[0]: this key is also listed for a" in _lines(text)[0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"schema = 1\nschema = 1\n", "invalid TOML"),
        (b"\xef\xbb\xbfschema = 1\n", "byte-order mark"),
        (b"schema = 1\nx = " + b"9" * 5000 + b"\n", "invalid TOML value"),
        (b"schema = 1\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting too deep"),
        (b"schema = 1\nx = " + b"[" * 40 + b"]" * 40 + b"\n", "nesting too deep"),
        (b"schema = [1\n", "invalid TOML"),
        (b"schema = 1\nx = 99999999999999999999\n", "out of range"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_malformed_toml(data: bytes, expected: str) -> None:
    lines = _lines(data)
    assert len(lines) == 1
    assert lines[0].startswith("policies/release.toml: ") and expected in lines[0]


def test_cli_reports_one_line_and_hint_no_traceback(repo: Repo) -> None:
    repo.write("policies/release.toml", 'allow_self_approval = "yes"\n' + BASE)
    repo.commit("broken policy")
    before = repo.state()
    res = repo.gate("check", "v1.0.0")
    assert res.code == 2
    assert res.err.splitlines()[0] == (
        "error: policies/release.toml: allow_self_approval: input should be a valid boolean, "
        "got 'yes'"
    )
    assert res.err.splitlines()[-1].startswith("hint: ")
    assert "Traceback" not in res.err and res.out == ""
    assert repo.gate("request", "v1.0.0", "--title", "x").code == 2
    assert repo.state() == before


def test_malformed_record_names_file_and_field(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    path = repo.path / "releases/v1.0.0/request.toml"
    path.write_text(path.read_text().replace('risk = "normal"', 'risk = "huge"'))
    repo.commit("edit")
    res = repo.gate("check", "v1.0.0")
    # Committed, the record cannot be fixed in place (append-only): the release fails,
    # naming the file and the field, and says what to do instead of "fix the file".
    assert res.code == 1
    assert "releases/v1.0.0/request.toml: risk: input should be 'low', 'normal' or 'major'" in (
        res.out
    )
    assert "release under a new tag" in res.out and "replaces v1.0.0" in res.out


def test_validate_paths(repo: Repo) -> None:
    ok = repo.gate("validate", "policies/release.toml", "app.py")
    assert ok.code == 0 and "1 file(s) valid" in ok.out
    repo.write("releases/v1.0.0/approvals/x.toml", 'schema = 1\nrelease = "v1.0.0"\n')
    bad = repo.gate("validate", "releases/v1.0.0/approvals/x.toml")
    assert bad.code == 2
    assert "releases/v1.0.0/approvals/x.toml: role: required key is missing" in bad.err


def test_validate_index_refuses_edits_of_committed_records(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    repo.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert repo.gate("validate").code == 0
    f = next((repo.path / "releases/v1.0.0/approvals").iterdir())
    f.write_text(f.read_text().replace('comment = ""', 'comment = "x"'))
    repo.git("add", "-A")
    res = repo.gate("validate")
    assert res.code == 2 and "committed records are append-only; edited" in res.err
    repo.git("rm", "-q", "--cached", "--", str(f.relative_to(repo.path)))
    res = repo.gate("validate")
    assert res.code == 2 and "deleted" in res.err


@pytest.mark.parametrize(
    "tag",
    [
        "-v1.0.0",
        "v1..0",
        "v1.0.0\n",
        "v1.0.0\x1b[31m",
        "v1.0.0;rm -rf",
        "vé1.0.0",
        "../v1",
        "v1.0.0.lock",
        "/v1",
        "v1 0",
    ],
)
def test_hostile_tag_names(repo: Repo, tag: str) -> None:
    before = repo.state()
    for args in (["check"], ["request", "--title", "x"], ["tag"], ["approve", "--role", "product"]):
        res = repo.gate(*args, "--", tag, who="alice")
        assert res.code == 2, (args, res.out)
        assert "tag" in res.err and "hint:" in res.err
    assert repo.state() == before


def test_tag_outside_policy_globs(repo: Repo) -> None:
    res = repo.gate("request", "release-1", "--title", "x")
    assert res.code == 2 and "matches none of the policy's tags ['v*']" in res.err


def test_unknown_person_and_role(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    before = repo.state()
    res = repo.gate("approve", "v1.0.0", "--role", "product", who="zed")
    assert res.code == 2 and "zed@example.com: not a person in the policy" in res.err
    res = repo.gate("approve", "v1.0.0", "--role", "prodct", who="alice")
    assert res.code == 2 and "unknown role 'prodct' (did you mean 'product'?)" in res.err
    assert repo.state() == before


def test_not_a_repository(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = Repo(tmp_path)
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "not inside a git repository" in res.err


def test_unknown_revision(repo: Repo) -> None:
    res = repo.gate("check", "v1.0.0", "--rev", "--upload-pack=evil")
    assert res.code == 2 and "does not name a commit" in res.err
