"""`gate doctor`: real temp repositories with and without hooks, pre-commit configs, CI
workflows, an origin, keys and a commit-graph; the GitHub part against a local HTTP
server answering in the shapes GitHub's REST API documents for rulesets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, Result

ROOT = Path(__file__).resolve().parents[1]
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
TOKEN = "ghp_doctorTestToken0123456789abcdefABCDEF"  # noqa: S105  (a fake, for the server)


@pytest.fixture(autouse=True)
def gate_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hooks call the `gate` of this environment, as they do where it is installed."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)


def _key(tmp_path: Path, who: str) -> str:
    key = tmp_path / f"id_{who}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return " ".join(key.with_name(f"id_{who}.pub").read_text().split()[:2])


def _policy(keys: dict[str, str], signatures: str = "ssh") -> str:
    people = "".join(
        f'[people.{who}]\nemail = "{who}@example.com"\nkeys = [{json.dumps(key) if key else ""}]\n'
        for who, key in keys.items()
    )
    return (
        f'#:schema ./policy.schema.json\nschema = 1\ntags = ["v*"]\nsignatures = "{signatures}"\n'
        f'{people}[roles.product]\nmembers = ["alice"]\n[roles.rnd]\nmembers = ["bob"]\n'
        '[[gates]]\nid = "acceptance"\ntype = "approval"\nroles = ["product", "rnd"]\n'
    )


def _workflow() -> str:
    template = (ROOT / "docs/workflows/release-gate.yml").read_text(encoding="utf-8")
    return template.replace("OWNER/gatekeeper@v1", f"acme/gatekeeper@{SHA}")


@pytest.fixture
def ready(tmp_path: Path) -> Repo:
    """A clone set up as doctor wants it: origin/HEAD, a signed-mode policy with a key per
    person, gatekeeper's hooks, the CI workflow pinned, the editor schema beside the policy."""
    from gatekeeper.models.schemas import schema_text

    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = Repo(tmp_path / "seed")
    seed.path.mkdir()
    seed.git("init", "-q", "-b", "main")
    keys = {who: _key(tmp_path, who) for who in ("alice", "bob")}
    seed.write("policies/release.toml", _policy(keys))
    seed.write("policies/policy.schema.json", schema_text("policy"))
    seed.write(".github/workflows/release-gate.yml", _workflow())
    seed.commit("set up")
    seed.git("push", "-q", str(origin), "main")
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "work")], check=True)
    r = Repo(tmp_path / "work")
    res = r.gate("init", "--hooks")
    assert res.code == 0, res.err
    return r


def _doctor(r: Repo, *args: str) -> tuple[Result, dict[str, Any]]:
    res = r.gate("doctor", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return res, json.loads(res.out)


def _problems(data: dict[str, Any], check: str) -> list[str]:
    return [f["problem"] for f in data["findings"] if f["check"] == check]


def _fix(data: dict[str, Any], check: str) -> str:
    """The fix of the first finding of `check`."""
    return next(str(f["fix"]) for f in data["findings"] if f["check"] == check)


def test_a_well_set_up_clone_passes(ready: Repo) -> None:
    res = ready.gate("doctor")
    assert res.code == 0, res.out
    assert "doctor: all 9 checks passed" in res.out
    assert "[ok  ] hooks: pre-commit runs gatekeeper's script" in res.out
    assert "[ok  ] trusted-ref: refs/remotes/origin/main" in res.out
    assert "[skip] github-rulesets" in res.out
    data = json.loads(ready.gate("doctor", "--format", "json").out)
    assert data["passed"] is True and data["findings"] == []
    assert {c["check"]: c["status"] for c in data["checks"]}["ci"] == "ok"


def test_a_bare_repository_names_every_gap_with_its_fix(tmp_path: Path) -> None:
    r = Repo(tmp_path / "bare")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("policies/release.toml", _policy({"alice": "", "bob": ""}, signatures="none"))
    r.commit("policy")
    res, data = _doctor(r)
    assert res.code == 1 and data["passed"] is False
    assert "no remote 'origin'" in _problems(data, "trusted-ref")[0]
    assert "signatures = 'none'" in _problems(data, "keys")[0]
    hooks = _problems(data, "hooks")
    assert any("no pre-push hook in .git/hooks" in p for p in hooks), hooks
    assert any("no pre-commit hook" in p for p in hooks), hooks
    assert "no CI workflow runs the gate" in _problems(data, "ci")[0]
    assert all(f["fix"] for f in data["findings"])
    text = r.gate("doctor").out
    line = next(x for x in text.splitlines() if "no pre-push hook" in x)
    assert line.startswith("[FAIL] hooks: ") and "; fix: gate init --hooks" in line
    assert text.splitlines()[-1] == f"doctor: {len(data['findings'])} problems found"
    table = r.gate("doctor", "--format", "markdown").out
    assert "| check | problem | fix |" in table and "| ci | no CI workflow runs the gate" in table


def test_hooks_missing_broken_or_not_executable(ready: Repo) -> None:
    hooks = ready.path / ".git/hooks"
    (hooks / "pre-push").chmod(0o644)
    _, data = _doctor(ready)
    assert _problems(data, "hooks") == [".git/hooks/pre-push is not executable, so git skips it"]
    (hooks / "pre-push").unlink()
    _, data = _doctor(ready)
    assert "no pre-push hook in .git/hooks" in _problems(data, "hooks")[0]
    # The gate the hook was installed with was removed, its venv's python gone with it:
    broken = ready.path.parent / "old-venv-gate"
    broken.write_text("#!/nonexistent/python3\n")
    broken.chmod(0o755)
    text = (hooks / "pre-commit").read_text()
    baked = text.split('GATE="${GATE:-', 1)[1].split("}", 1)[0]
    (hooks / "pre-commit").write_text(text.replace(baked, str(broken)))
    _, data = _doctor(ready)
    problem = _problems(data, "hooks")
    assert any(f"calls {broken}, which cannot start" in p for p in problem), problem


def test_hooks_path_and_a_foreign_hook_that_does_not_chain(ready: Repo) -> None:
    ready.git("config", "core.hooksPath", ".husky/_")
    folder = ready.path / ".husky/_"
    folder.mkdir(parents=True)
    for name in ("pre-commit", "pre-push"):
        (folder / name).write_text('#!/bin/sh\n. "$(dirname "$0")/h"\n# husky\n')
        (folder / name).chmod(0o755)
    ready.write(".husky/pre-commit", "gate validate\n")
    ready.write(".husky/pre-push", "npm test\n")
    _, data = _doctor(ready)
    assert _problems(data, "hooks") == [
        ".husky/_/pre-push does not run `gate hook pre-push`: a release tag can be pushed "
        "without `gate check` (CI is then the only check)"
    ]
    fix = _fix(data, "hooks")
    assert fix == 'add `gate hook pre-push "$@" || exit 1` to it'


PRE_COMMIT = """repos:
  - repo: https://github.com/acme/gatekeeper
    rev: {rev}
    hooks:
      - id: gate-validate
{more}"""


def test_pre_commit_config_must_pin_a_commit_and_run_the_push_hook(ready: Repo) -> None:
    ready.write(".pre-commit-config.yaml", PRE_COMMIT.format(rev="v1", more=""))
    _, data = _doctor(ready)
    problems = _problems(data, "pre-commit")
    assert any("pinned to 'v1', a tag or branch" in p for p in problems), problems
    assert any("no gate-pre-push hook" in p for p in problems), problems
    fixes = [f["fix"] for f in data["findings"] if f["check"] == "pre-commit"]
    assert "pre-commit autoupdate --freeze --repo https://github.com/acme/gatekeeper" in fixes[0]
    more = "      - id: gate-pre-push\n"
    ready.write(".pre-commit-config.yaml", PRE_COMMIT.format(rev=SHA, more=more))
    _, data = _doctor(ready)
    assert _problems(data, "pre-commit") == []
    ready.write(".pre-commit-config.yaml", "repos: [\n")
    _, data = _doctor(ready)
    assert "not valid YAML" in _problems(data, "pre-commit")[0]


def test_hooks_installed_by_pre_commit_need_gatekeeper_in_its_config(ready: Repo) -> None:
    for name in ("pre-commit", "pre-push"):
        (ready.path / ".git/hooks" / name).unlink()
    ready.write(".pre-commit-config.yaml", PRE_COMMIT.format(rev=SHA, more=""))
    types = ["--hook-type", "pre-commit", "--hook-type", "pre-push"]
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", *types],
        cwd=ready.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _, data = _doctor(ready)
    assert (
        "the pre-push hook runs pre-commit, but .pre-commit-config.yaml has no "
        in (_problems(data, "hooks")[0])
    )
    assert len(_problems(data, "hooks")) == 1  # pre-commit's own hook lists gate-validate


def test_ci_workflow_pins_depth_and_schedule(ready: Repo) -> None:
    workflow = ".github/workflows/release-gate.yml"
    template = (ROOT / "docs/workflows/release-gate.yml").read_text(encoding="utf-8")
    ready.write(workflow, template)  # as shipped: gatekeeper itself followed by tag
    _, data = _doctor(ready)
    problems = _problems(data, "ci")
    assert len(problems) == 2, problems  # the gate job and the re-check job
    assert problems[0].startswith(f"{workflow}: jobs.gate.steps[1] uses OWNER/gatekeeper@v1")
    unpinned = _workflow().replace(f"actions/checkout@{SHA}", "actions/checkout@v4", 1)
    ready.write(workflow, unpinned.replace("fetch-depth: 0  #", "fetch-depth: 1  #", 1))
    problems = _problems(data := _doctor(ready)[1], "ci")
    assert any("job 'gate' checks out fetch-depth 1 before the gate" in p for p in problems)
    assert any("jobs.gate.steps[0] uses actions/checkout@v4" in p for p in problems)
    no_schedule = _workflow().replace('  schedule:\n    - cron: "17 3 * * *"\n', "")
    ready.write(workflow, no_schedule)
    problems = _problems(_doctor(ready)[1], "ci")
    assert len(problems) == 1 and "no scheduled re-check" in problems[0], problems
    branches_only = _workflow().replace('tags: ["v*"]', 'branches: ["main"]')
    ready.write(workflow, branches_only)
    assert "runs on no tag push" in _problems(_doctor(ready)[1], "ci")[0]


def test_a_gate_check_of_its_own_under_the_trusted_policy_passes(ready: Repo) -> None:
    """What doctor asks of a `run: gate check` (--policy-ref, nothing after it on its line)
    in the forms teams write it: continued over lines, `=`, output redirected."""
    workflow = _workflow()
    start = workflow.index("      - uses: acme/gatekeeper@")  # the gate job's
    end = workflow.index("\n  deploy:")
    own = (
        "      - run: pip install gatekeeper-release==1.0.0\n"
        "      - run: |\n"
        '          gate check --tag "$GITHUB_REF_NAME" --at now \\\n'
        "            --policy-ref origin/main --format github 2>&1\n"
        '      - run: gate check --tag "$GITHUB_REF_NAME" --policy-ref=origin/main >> out.txt\n'
    )
    ready.write(".github/workflows/release-gate.yml", workflow[:start] + own + workflow[end:])
    assert _problems(_doctor(ready)[1], "ci") == []
    own = own.replace("--policy-ref origin/main --format github 2>&1", "--format github | cat")
    ready.write(".github/workflows/release-gate.yml", workflow[:start] + own + workflow[end:])
    problems = _problems(_doctor(ready)[1], "ci")
    assert [p[p.index("steps") :].split(":")[0] for p in problems] == ["steps[2]", "steps[2]"]
    assert "no --policy-ref" in problems[0] and "followed by `|`" in problems[1], problems


GITLAB = """include:
  - component: $CI_SERVER_FQDN/tools/gatekeeper/release-gate@{ref}
    inputs:
      on-fail: delete-tag
{more}
deploy:
  needs: [release-gate]
  script: [./deploy.sh]
"""


def test_gitlab_components_pinned_and_scheduled(ready: Repo) -> None:
    (ready.path / ".github/workflows/release-gate.yml").unlink()
    ready.write(".gitlab-ci.yml", GITLAB.format(ref="1.0.0", more=""))
    problems = _problems(_doctor(ready)[1], "ci")
    assert problems[0].startswith(
        ".gitlab-ci.yml: $CI_SERVER_FQDN/tools/gatekeeper/release-gate: '1.0.0' can be moved"
    )
    assert "no scheduled re-check" in problems[1]
    scheduled = f"  - component: $CI_SERVER_FQDN/tools/gatekeeper/release-gate-scheduled@{SHA}"
    ready.write(".gitlab-ci.yml", GITLAB.format(ref=SHA, more=scheduled))
    assert _problems(_doctor(ready)[1], "ci") == []
    own = (
        "gate:\n  script:\n    - pip install gatekeeper-release\n"
        '    - gate check --tag x --policy-ref "origin/$CI_DEFAULT_BRANCH"\n'
    )
    ready.write(".gitlab-ci.yml", GITLAB.format(ref=SHA, more=scheduled) + own)
    problems = _problems(_doctor(ready)[1], "ci")
    assert problems == [
        ".gitlab-ci.yml: job 'gate' runs the gate on a shallow clone (GIT_DEPTH unset: the "
        "project default, 20); gate refuses it"
    ]


def test_trusted_ref_must_exist_and_hold_a_policy(ready: Repo, tmp_path: Path) -> None:
    ready.git("remote", "set-head", "origin", "--delete")
    _, data = _doctor(ready)
    assert _problems(data, "trusted-ref") == [
        "origin/HEAD is not set, so nothing here names the default branch CI trusts"
    ]
    fix = _fix(data, "trusted-ref")
    assert fix == "git remote set-head origin --auto"
    ready.git("remote", "set-head", "origin", "--auto")
    assert _problems(_doctor(ready)[1], "trusted-ref") == []
    # The default branch loses its policy: CI would have nothing to judge with.
    ready.git("rm", "-q", "policies/release.toml")
    ready.commit("drop the policy")
    ready.git("push", "-q", "origin", "main")
    problems = _problems(_doctor(ready)[1], "trusted-ref")
    assert len(problems) == 1 and "the policy CI trusts (refs/remotes/origin/main)" in problems[0]
    res = ready.gate("doctor", "--policy-ref", "no-such-branch")
    assert res.code == 1 and "--policy-ref no-such-branch: no commit at" in res.out


def test_every_person_needs_a_key_in_a_signed_mode(ready: Repo, tmp_path: Path) -> None:
    keys = {"alice": _key(tmp_path, "alice2"), "bob": ""}
    ready.write("policies/release.toml", _policy(keys))
    ready.commit("bob has no key yet")
    ready.git("push", "-q", "origin", "main")
    ready.git("fetch", "-q", "origin")
    _, data = _doctor(ready)
    assert _problems(data, "keys") == [
        "people.bob has no key: in 'ssh' mode no sign-off or request of bob can count"
    ]


def test_editor_schema_copy_must_be_this_gates(ready: Repo) -> None:
    copy = ready.path / "policies/policy.schema.json"
    copy.write_text(copy.read_text().replace('"Policy"', '"Old policy"'))
    _, data = _doctor(ready)
    assert _problems(data, "editor-schema") == [
        "policies/policy.schema.json is not the schema of this gate: the editor checks the "
        "policy against other rules than `gate check`"
    ]
    fix = _fix(data, "editor-schema")
    assert fix == "gate schema policy > policies/policy.schema.json"
    copy.unlink()
    assert "a file that does not exist" in _problems(_doctor(ready)[1], "editor-schema")[0]


def _long_history(r: Repo, commits: int) -> None:
    """`commits` commits on a side branch, made by git fast-import in one process."""
    lines = []
    for i in range(commits):
        lines += ["commit refs/heads/long", f"mark :{i + 1}"]
        lines += [f"committer Bot <bot@example.com> {1_700_000_000 + i} +0000", "data 2", "c"]
        lines += [f"from :{i}"] if i else []
        lines += ["M 644 inline f", "data 2", f"{i % 10}", ""]
    proc = subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=r.path,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_a_long_history_wants_a_commit_graph_with_bloom_filters(ready: Repo) -> None:
    from gatekeeper.doctor.environment import LARGE_HISTORY

    _long_history(ready, LARGE_HISTORY + 1)
    problems = _problems(_doctor(ready)[1], "commit-graph")
    assert len(problems) == 1 and "and no commit-graph" in problems[0], problems
    ready.git("commit-graph", "write", "--reachable")
    problems = _problems(_doctor(ready)[1], "commit-graph")
    assert "has no changed-path (Bloom) filters" in problems[0], problems
    ready.git("commit-graph", "write", "--reachable", "--split", "--changed-paths")
    problems = _problems(_doctor(ready)[1], "commit-graph")
    assert "has no changed-path (Bloom) filters" in problems[0], problems  # old layer has none
    ready.git("commit-graph", "write", "--reachable", "--changed-paths")
    res, data = _doctor(ready)
    assert _problems(data, "commit-graph") == [] and res.code == 0
    note = next(c["note"] for c in data["checks"] if c["check"] == "commit-graph")
    assert note == f"{LARGE_HISTORY + 2} commits; commit-graph with changed-path filters"


def test_openssh_versions() -> None:
    from gatekeeper.doctor.environment import openssh_problem

    assert openssh_problem("OpenSSH_9.2p1", "8.2") is None
    assert openssh_problem("OpenSSH_8.2p1", "8.2") is None
    assert "older than OpenSSH 8.2" in (openssh_problem("OpenSSH_7.4p1", "8.2") or "")
    assert "OpenSSH 8.2 or newer" in (openssh_problem("an unknown OpenSSH", "8.2") or "")


def test_skip_and_bad_input(ready: Repo, tmp_path: Path) -> None:
    (ready.path / ".git/hooks/pre-push").unlink()
    res, data = _doctor(ready, "--skip", "hooks")
    assert res.code == 0 and "hooks" not in {c["check"] for c in data["checks"]}
    res = ready.gate("doctor", "--skip", "hookz")
    assert res.code == 2 and "unknown check 'hookz'" in res.err
    (tmp_path / "nothing").mkdir()
    res = ready.gate("-C", str(tmp_path / "nothing"), "doctor")
    assert res.code == 2 and "not inside a git repository" in res.err


# -- GitHub rulesets, from a local server ---------------------------------------------------


def _ruleset(ruleset_id: int = 42, **changes: Any) -> dict[str, Any]:
    """A ruleset as `GET /repos/{owner}/{repo}/rulesets/{id}` documents it."""
    body: dict[str, Any] = {
        "id": ruleset_id,
        "name": "release tags",
        "target": "tag",
        "source_type": "Repository",
        "source": "acme/app",
        "enforcement": "active",
        "bypass_actors": [],
        # `**`: the policy's `v*` also names v2.0.0/hotfix, which GitHub's `*` stops short of
        "conditions": {"ref_name": {"include": ["refs/tags/v**"], "exclude": []}},
        "rules": [
            {"type": "creation"},
            {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}},
            {"type": "deletion"},
            {"type": "non_fast_forward"},
        ],
        "node_id": "RRS_lACkVXNlcgQB",
        "current_user_can_bypass": "never",
        "_links": {
            "self": {"href": f"https://api.github.com/repos/acme/app/rulesets/{ruleset_id}"},
            "html": {"href": f"https://github.com/acme/app/rules/{ruleset_id}"},
        },
        "created_at": "2026-07-15T08:43:03Z",
        "updated_at": "2026-08-23T16:29:47Z",
    }
    body.update(changes)
    return body


def _listed(ruleset: dict[str, Any]) -> dict[str, Any]:
    """The same ruleset as the list endpoint documents it (no rules, no conditions)."""
    keep = ("id", "name", "target", "source_type", "source", "enforcement", "node_id")
    return {k: ruleset[k] for k in (*keep, "_links", "created_at", "updated_at")}


class GitHub:
    """A local stand-in for api.github.com: canned bodies (JSON, or bytes as they are) per
    path, every request kept."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, Any]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.url = ""

    def serve(self, rulesets: list[dict[str, Any]]) -> None:
        self.routes = {"/repos/acme/app/rulesets": (200, [_listed(r) for r in rulesets])}
        for r in rulesets:
            self.routes[f"/repos/acme/app/rulesets/{r['id']}"] = (200, r)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHub]:
    api = GitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append((self.path, dict(self.headers)))
            status, body = api.routes.get(
                self.path.split("?")[0], (404, {"message": "Not Found", "status": "404"})
            )
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", str(body))
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", api.url)
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def _github(r: Repo, *args: str) -> tuple[Result, dict[str, Any]]:
    res = r.gate("doctor", "--github", "acme/app", "--format", "json", *args)
    assert TOKEN not in res.out + res.err
    assert res.code in (0, 1), res.err
    return res, json.loads(res.out)


def test_a_well_protected_ruleset_passes(ready: Repo, github: GitHub) -> None:
    github.serve([_ruleset(), _ruleset(7, name="main", target="branch")])
    res, data = _github(ready)
    assert res.code == 0 and _problems(data, "github-rulesets") == []
    paths = [path for path, _ in github.requests]
    assert paths[0].startswith("/repos/acme/app/rulesets?") and "includes_parents=true" in paths[0]
    assert paths[1:] == ["/repos/acme/app/rulesets/42?includes_parents=true"]  # not the branch one
    for _, headers in github.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Accept"] == "application/vnd.github+json"
    res = ready.gate("doctor", "--github", "acme/app")
    assert "[ok  ] github-rulesets: acme/app: tag rulesets 'release tags' protect v*" in res.out
    assert TOKEN not in res.out + res.err


def test_missing_creation_rule(ready: Repo, github: GitHub) -> None:
    rules = [{"type": "update"}, {"type": "deletion"}]
    github.serve([_ruleset(rules=rules)])
    res, data = _github(ready)
    assert res.code == 1
    assert _problems(data, "github-rulesets") == [
        "no active ruleset on refs/tags/v* has the 'creation' rule: anyone with write access "
        "can push a new release tag; the gate only judges it after"
    ]
    fix = _fix(data, "github-rulesets")
    assert "Restrict creations" in fix and "release tags" in fix


def test_bypass_actor_is_named_unless_allowed(ready: Repo, github: GitHub) -> None:
    actors = [{"actor_id": 234, "actor_type": "Team", "bypass_mode": "always"}]
    github.serve([_ruleset(bypass_actors=actors)])
    res, data = _github(ready)
    problems = _problems(data, "github-rulesets")
    assert res.code == 1 and len(problems) == 1
    assert "ruleset 'release tags' lets Team:234 bypass it (always)" in problems[0]
    res, data = _github(ready, "--allow-bypass", "Team:234")
    assert res.code == 0 and _problems(data, "github-rulesets") == []
    hidden = _ruleset()
    del hidden["bypass_actors"]  # what a token that cannot edit the ruleset is shown
    github.serve([hidden])
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems == [
        "ruleset 'release tags': GitHub did not say who may bypass it (the token cannot edit "
        "rulesets), so bypasses are unchecked"
    ]


def test_evaluate_mode_and_uncovered_tags(ready: Repo, github: GitHub) -> None:
    github.serve([_ruleset(enforcement="evaluate")])
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems[0] == (
        "ruleset 'release tags' covers refs/tags/v* but its enforcement is 'evaluate': it "
        "blocks nothing"
    )
    assert problems[1].startswith("no active tag ruleset covers refs/tags/v*")
    # A ruleset for other tags, and one that excludes ours, protect nothing of ours:
    other = {"ref_name": {"include": ["refs/tags/docs-*"], "exclude": []}}
    excluded = {"ref_name": {"include": ["~ALL"], "exclude": ["refs/tags/v*"]}}
    github.serve([_ruleset(conditions=other), _ruleset(43, conditions=excluded)])
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert len(problems) == 1 and problems[0].startswith("no active tag ruleset covers")


def test_a_narrower_pattern_covers_the_release_tags_that_exist_and_the_next(
    ready: Repo, github: GitHub
) -> None:
    narrower = {"ref_name": {"include": ["refs/tags/v[0-9]**"], "exclude": []}}
    github.serve([_ruleset(conditions=narrower)])
    assert _problems(_github(ready)[1], "github-rulesets") == []  # v0.0.1 ... v10.0.0
    ready.git("tag", "-a", "vnext", "-m", "a release too, by the policy's v*")
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems[0].startswith("no active tag ruleset covers refs/tags/v* (vnext is in none)")
    assert "target refs/tags/v**" in _fix(_github(ready)[1], "github-rulesets")


def test_a_tag_regex_without_slashes_needs_no_double_star(
    ready: Repo, github: GitHub, tmp_path: Path
) -> None:
    """GitHub's `refs/tags/v*` stops at `/`; when the policy's tag_regex names no tag with
    one, that is every release tag."""
    keys = {"alice": _key(tmp_path, "alice2"), "bob": _key(tmp_path, "bob2")}
    strict = _policy(keys).replace(
        'tags = ["v*"]', "tags = [\"v*\"]\ntag_regex = '^v\\d+\\.\\d+\\.\\d+$'"
    )
    ready.write("policies/release.toml", strict)
    ready.commit("release tags are vX.Y.Z")
    ready.git("push", "-q", "origin", "main")
    ready.git("fetch", "-q", "origin")
    star = {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}}
    github.serve([_ruleset(conditions=star)])
    assert _problems(_github(ready)[1], "github-rulesets") == []


@pytest.mark.parametrize(
    ("status", "said", "hint"),
    [
        (401, "401, GITHUB_TOKEN was refused", "export GITHUB_TOKEN"),
        (404, "404, acme/app does not exist or the token cannot see it", "check OWNER/REPO"),
    ],
)
def test_api_refusals_are_bad_input(
    ready: Repo, github: GitHub, status: int, said: str, hint: str
) -> None:
    github.routes = {"/repos/acme/app/rulesets": (status, {"message": "Bad credentials"})}
    res = ready.gate("doctor", "--github", "acme/app")
    assert res.code == 2 and said in res.err and f"hint: {hint}" in res.err
    assert TOKEN not in res.out + res.err
    assert github.requests[0][1]["Authorization"] == f"Bearer {TOKEN}"


def test_github_needs_a_token_and_a_name(
    ready: Repo, github: GitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = ready.gate("doctor", "--github", "not a repo")
    assert res.code == 2 and "is not OWNER/REPO" in res.err
    monkeypatch.delenv("GITHUB_TOKEN")
    res = ready.gate("doctor", "--github", "acme/app")
    assert res.code == 2 and "GITHUB_TOKEN is not set" in res.err
    assert github.requests == []  # nothing was asked without a token


def test_a_redirect_to_another_host_gets_no_token(ready: Repo, github: GitHub) -> None:
    elsewhere = github.url.replace("127.0.0.1", "localhost") + "/repos/acme/app/rulesets"
    github.routes = {"/repos/acme/app/rulesets": (302, elsewhere)}
    res = ready.gate("doctor", "--github", "acme/app")
    assert res.code == 2 and "redirected to another host (localhost:" in res.err
    assert len(github.requests) == 1  # the token went to the API host only
    assert TOKEN not in res.out + res.err
