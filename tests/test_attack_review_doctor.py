"""Attack review of `gate doctor`, by a helper session: nine findings, each test failed
on the code it was written against. Real git, real files, real `gate doctor` (through the
CLI app, as the project's own tests run it), and real HTTP, HTTPS and TCP servers on
127.0.0.1; nothing is mocked."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import test_doctor
from conftest import Repo, Result
from test_doctor import SHA, TOKEN, GitHub, _doctor, _github, _problems, _ruleset, _workflow

# test_doctor's fixtures, used here by name (gate_on_path is autouse)
gate_on_path, github, ready = test_doctor.gate_on_path, test_doctor.github, test_doctor.ready


def _refused_cleanly(res: Result, *named: str) -> None:
    """Exit 2 with one `error:` line naming what is wrong and a `hint:`, not an internal
    error (an unexpected exception the CLI edge caught)."""
    assert "internal error" not in res.err, res.err
    assert res.code == 2, (res.code, res.out, res.err)
    lines = res.err.strip().splitlines()
    assert lines[0].startswith("error: ") and any(x.startswith("hint: ") for x in lines), res.err
    for name in named:
        assert name in lines[0], res.err


class _Raw(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes], str]]:
    """A TCP server on 127.0.0.1 that reads a request and answers `reply` byte for byte
    (whatever it is), then closes: a hostile or broken API endpoint."""
    servers: list[_Raw] = []

    def start(reply: bytes) -> str:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    self.request.recv(65536)
                    self.request.sendall(reply)
                except OSError:
                    pass

        server = _Raw(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# == Finding 4: the token =================================================================


def test_a_token_with_a_trailing_newline_is_never_printed(
    ready: Repo, github: GitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`GITHUB_TOKEN=$(cat token-file)` is safe, but a token set from a file or a secret store
    often keeps its newline (env files, `echo ... >> $GITHUB_ENV`). http.client refused the
    header with a ValueError whose message is the header value, and the CLI edge printed it.
    No token holds white space: the line break around it is dropped (the review asked for
    exit 2; a team whose secret store adds one would gain nothing from it), one inside it
    is refused, and neither is ever printed."""
    github.serve([_ruleset()])
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "\n")
    res, _ = _github(ready)  # the token is not in the output
    assert res.code == 0, res.out
    assert {h["Authorization"] for _, h in github.requests} == {f"Bearer {TOKEN}"}
    github.requests.clear()
    monkeypatch.setenv("GITHUB_TOKEN", f"{TOKEN[:20]}\n{TOKEN[20:]}")
    res = ready.gate("doctor", "--github", "acme/app")
    assert TOKEN[:20] not in res.out + res.err and TOKEN[20:] not in res.out + res.err
    _refused_cleanly(res, "GITHUB_TOKEN")
    assert github.requests == []


def test_a_token_that_is_not_ascii_is_refused_naming_the_variable(
    ready: Repo, github: GitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.serve([_ruleset()])
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_\u2019pasted-from-a-word-processor")
    res = ready.gate("doctor", "--github", "acme/app")
    _refused_cleanly(res, "GITHUB_TOKEN")


# == Finding 7: hostile or broken API answers, a malformed --api-url =====================


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", id="not-http-at-all"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n[{}",
            id="body-cut-short",
        ),
    ],
)
def test_an_api_that_does_not_speak_http_properly_is_exit_2(
    ready: Repo, github: GitHub, raw_server: Callable[[bytes], str], reply: bytes
) -> None:
    url = raw_server(reply)
    res = ready.gate("doctor", "--github", "acme/app", "--api-url", url)
    assert TOKEN not in res.out + res.err
    _refused_cleanly(res, "127.0.0.1")


def test_deeply_nested_json_from_the_api_is_exit_2(ready: Repo, github: GitHub) -> None:
    github.routes = {"/repos/acme/app/rulesets": (200, b"[" * 100_000 + b"]" * 100_000)}
    res = ready.gate("doctor", "--github", "acme/app")
    _refused_cleanly(res, "GitHub API")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rules", ["creation", "update", "deletion"]),
        ("rules", {"type": "creation"}),
        ("bypass_actors", ["Team:234"]),
        ("conditions", {"ref_name": ["refs/tags/v*"]}),
    ],
)
def test_a_malformed_ruleset_body_is_exit_2_naming_the_field(
    ready: Repo, github: GitHub, field: str, value: Any
) -> None:
    github.serve([_ruleset(**{field: value})])
    res = ready.gate("doctor", "--github", "acme/app")
    assert TOKEN not in res.out + res.err
    _refused_cleanly(res, field)


@pytest.mark.parametrize("url", ["http://127.0.0.1:notaport", "http://[::1"])
def test_a_malformed_api_url_is_exit_2_naming_the_option(
    ready: Repo, github: GitHub, url: str
) -> None:
    res = ready.gate("doctor", "--github", "acme/app", "--api-url", url)
    _refused_cleanly(res, "--api-url")


# == Finding 3: rulesets that leave release tags open, called protected ===================


@pytest.mark.parametrize(
    "names",
    [
        # `?` is one character: it matches the glob's own `*`, not v1.0.0
        pytest.param({"include": ["refs/tags/v?"], "exclude": []}, id="include-v?"),
        # a set: `[!0-9]` matches the `*` of the glob's text, not the digit of v1.0.0
        pytest.param({"include": ["refs/tags/v[!0-9]*"], "exclude": []}, id="include-v[!0-9]*"),
        # every v1 release is carved out; the glob's text `v*` does not match `v1*`
        pytest.param({"include": ["~ALL"], "exclude": ["refs/tags/v1*"]}, id="exclude-v1*"),
    ],
)
def test_a_ruleset_that_misses_the_existing_release_tags_is_not_called_protection(
    ready: Repo, github: GitHub, names: dict[str, list[str]]
) -> None:
    """Coverage is judged on the policy glob's *text* (`refs/tags/v*`) as if it were a tag
    name, and the existing release tags are consulted only when that fails."""
    ready.git("tag", "-a", "v1.0.0", "-m", "release")
    ready.git("tag", "-a", "v1.4.0", "-m", "release")
    github.serve([_ruleset(conditions={"ref_name": names})])
    from gatekeeper.doctor.rulesets import covers

    assert not covers(_ruleset(conditions={"ref_name": names}), "refs/tags/v1.0.0")  # GitHub's view
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems, "doctor called refs/tags/v1.0.0 protected"


def test_a_pattern_narrowed_to_the_existing_tags_leaves_the_next_release_open(
    ready: Repo, github: GitHub
) -> None:
    """The rule "a narrower pattern counts when it covers every existing release tag" accepts
    `refs/tags/v1.*` while every release so far is v1.x: creating v2.0.0 is unrestricted."""
    from gatekeeper.doctor.rulesets import covers

    ready.git("tag", "-a", "v1.0.0", "-m", "release")
    ready.git("tag", "-a", "v1.4.0", "-m", "release")
    narrowed = _ruleset(conditions={"ref_name": {"include": ["refs/tags/v1.*"], "exclude": []}})
    assert not covers(narrowed, "refs/tags/v2.0.0")
    github.serve([narrowed])
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems, "doctor called refs/tags/v* protected by a ruleset on refs/tags/v1.*"


def test_policy_glob_star_crosses_slashes_but_the_ruleset_pattern_does_not(
    ready: Repo, github: GitHub
) -> None:
    """The policy's `tags = ["v*"]` is fnmatch: `v2/hotfix` is a release tag (gate check
    judges it). GitHub's `refs/tags/v*` stops at `/`, so nothing restricts creating it."""
    from gatekeeper.doctor.rulesets import covers
    from gatekeeper.models.policy import Policy
    from gatekeeper.policy.tagname import is_release_tag

    policy = Policy.model_validate(
        {
            "schema": 1,
            "tags": ["v*"],
            "signatures": "none",
            "people": {"a": {"email": "a@example.com"}},
            "roles": {"r": {"members": ["a"]}},
            "gates": [{"id": "g", "type": "approval", "roles": ["r"]}],
        }
    )
    star = _ruleset(conditions={"ref_name": {"include": ["refs/tags/v*"], "exclude": []}})
    assert is_release_tag("v2/hotfix", policy)
    assert not covers(star, "refs/tags/v2/hotfix")
    github.serve([star])
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems, "doctor called every v* release tag protected"  # v2.0.0/hotfix, made up
    ready.git("tag", "-a", "v2/hotfix", "-m", "a release, by the policy")
    problems = _problems(_github(ready)[1], "github-rulesets")
    assert problems, "doctor called every v* release tag protected"


# == Finding 5: the token over plain HTTP ==================================================


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_redirect_from_https_to_http_on_the_same_host_does_not_carry_the_token(
    ready: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The redirect handler compared only `netloc`: https://H:P -> http://H:P (or, on default
    ports, https://api.example -> http://api.example) is followed, and urllib copies the
    Authorization header onto the clear-text request. One port here speaks both: TLS for
    the API, and clear text, where whatever arrives is recorded."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this test's API
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    clear: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer(conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
            if first == b"\x16":  # a TLS ClientHello: the API, which redirects to http
                with tls.wrap_socket(conn, server_side=True) as secure:
                    secure.recv(65536)
                    where = f"http://127.0.0.1:{port}/repos/acme/app/rulesets?page=1"
                    secure.sendall(
                        f"HTTP/1.1 302 Found\r\nLocation: {where}\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
            else:
                clear.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
                conn.close()
        except (OSError, ssl.SSLError):
            conn.close()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        res = ready.gate("doctor", "--github", "acme/app", "--api-url", f"https://127.0.0.1:{port}")
    finally:
        listener.close()
    sent_in_clear = b"".join(clear)
    assert TOKEN.encode() not in sent_in_clear, sent_in_clear.decode(errors="replace")
    _refused_cleanly(res)
    assert "from https to http" in res.err


def test_plain_http_to_another_machine_is_refused_before_the_token_is_sent(
    ready: Repo, github: GitHub
) -> None:
    """`--api-url http://...` sent the token in clear text to any host, without a word.
    Plain http is for this machine only (a local stand-in, as these tests use)."""
    res = ready.gate("doctor", "--github", "acme/app", "--api-url", "http://ghe.invalid/api/v3")
    _refused_cleanly(res, "--api-url")
    assert "clear text" in res.err


# == Findings 1, 2 and 6: CI that runs the gate and lets an unapproved release through ====

WORKFLOW = ".github/workflows/release-gate.yml"

OWN_STEPS = f"""name: release gate
on:
  push:
    tags: ["v*"]
  schedule:
    - cron: "17 3 * * *"
permissions:
  contents: read
jobs:
  gate:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}  # v4.2.2
        with:
          fetch-depth: 0
      - run: pip install gatekeeper-release==1.0.0
      - run: gate check --tag "$GITHUB_REF_NAME" --at now
  deploy:
    needs: gate
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
  recheck:
    if: github.event_name != 'push'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}  # v4.2.2
        with:
          fetch-depth: 0
      - run: pip install gatekeeper-release==1.0.0
      - run: gate check --all-tags --policy-ref origin/main
"""


@pytest.mark.parametrize(
    "workflow",
    [
        # `gate check` with no --policy-ref reads the policy of the tagged commit: whoever
        # tags can drop the approval gate in that commit (docs/threat-model.md, "Weaken the
        # policy ... on a release branch": CI reads the policy from the trusted ref).
        pytest.param(OWN_STEPS, id="run-gate-check-without-policy-ref"),
        # the action told to read the policy from the pushed tag itself
        pytest.param(
            _workflow().replace(
                "          on-fail: delete-tag\n",
                "          on-fail: delete-tag\n          policy-ref: ${{ github.sha }}\n",
                1,
            ),
            id="action-policy-ref-is-the-tagged-commit",
        ),
    ],
)
def test_ci_that_judges_a_release_under_its_own_policy_is_a_problem(
    ready: Repo, workflow: str
) -> None:
    ready.write(WORKFLOW, workflow)
    problems = _problems(_doctor(ready)[1], "ci")
    assert any("policy" in p for p in problems), problems


@pytest.mark.parametrize(
    "workflow",
    [
        # the step fails, the job is green, `deploy` (needs: gate) ships the tag
        pytest.param(
            _workflow().replace(
                f"      - uses: acme/gatekeeper@{SHA}\n",
                f"      - uses: acme/gatekeeper@{SHA}\n        continue-on-error: true\n",
                1,
            ),
            id="step-continue-on-error",
        ),
        pytest.param(
            _workflow().replace(
                "    if: github.event_name == 'push'\n",
                "    if: github.event_name == 'push'\n    continue-on-error: true\n",
                1,
            ),
            id="job-continue-on-error",
        ),
        pytest.param(
            OWN_STEPS.replace(
                'gate check --tag "$GITHUB_REF_NAME" --at now',
                'gate check --tag "$GITHUB_REF_NAME" --at now --policy-ref origin/main || true',
            ),
            id="run-or-true",
        ),
    ],
)
def test_a_gate_whose_failure_stops_nothing_is_a_problem(ready: Repo, workflow: str) -> None:
    ready.write(WORKFLOW, workflow)
    problems = _problems(_doctor(ready)[1], "ci")
    assert problems, "doctor says the gate runs in CI; a failing check would still deploy"


@pytest.mark.parametrize(
    ("push", "why"),
    [
        # GitHub: with only tags-ignore (or only branches-ignore), no push of a tag that
        # is not excluded... : `tags-ignore: [v*]` runs on no release tag
        pytest.param('    tags-ignore: ["v*"]\n', "tags-ignore", id="tags-ignore"),
        # only a branch filter (the -ignore form): the workflow runs for no tag at all
        pytest.param(
            '    branches-ignore: ["gh-pages"]\n', "branches-ignore", id="branches-ignore"
        ),
        # a negative pattern after the positive one excludes every release
        pytest.param('    tags: ["v*", "!v[0-9]*"]\n', "negative", id="negated-tags"),
        # one literal tag name: doctor's only example (v1.0.0) happens to match it
        pytest.param('    tags: ["v1.0.0"]\n', "literal", id="literal-example"),
    ],
)
def test_a_push_filter_no_release_tag_passes_is_a_problem(ready: Repo, push: str, why: str) -> None:
    ready.git("tag", "-a", "v1.4.0", "-m", "an existing release")
    ready.write(WORKFLOW, _workflow().replace('    tags: ["v*"]\n', push, 1))
    problems = _problems(_doctor(ready)[1], "ci")
    assert any("tag" in p for p in problems), (why, problems)


GITLAB_OWN = f"""include:
  - component: $CI_SERVER_FQDN/tools/gatekeeper/release-gate-scheduled@{SHA}
gate:
  variables:
    GIT_DEPTH: "0"
  rules:
    - if: $CI_COMMIT_TAG
  script:
    - pip install gatekeeper-release==1.0.0
    - gate check --tag "$CI_COMMIT_TAG" --policy-ref "origin/$CI_DEFAULT_BRANCH"
{{more}}
deploy:
  needs: [gate]
  rules:
    - if: $CI_COMMIT_TAG
  script: [./deploy.sh]
"""


@pytest.mark.parametrize(
    "more",
    [
        pytest.param("  allow_failure: true", id="allow-failure"),
        pytest.param("  allow_failure:\n    exit_codes: [1]", id="allow-failure-on-exit-1"),
    ],
)
def test_a_gitlab_gate_job_whose_failure_stops_nothing_is_a_problem(ready: Repo, more: str) -> None:
    (ready.path / WORKFLOW).unlink()
    ready.write(".gitlab-ci.yml", GITLAB_OWN.format(more=""))
    assert _problems(_doctor(ready)[1], "ci") == []  # the baseline doctor passes
    ready.write(".gitlab-ci.yml", GITLAB_OWN.format(more=more))
    problems = _problems(_doctor(ready)[1], "ci")
    assert problems, "a failing gate job lets `deploy` run"


# == Finding 8: crafted files in the working tree or the hooks folder ====================


@pytest.mark.parametrize(
    ("workflow", "field"),
    [
        # `with:` written as a string (a common slip: `with: fetch-depth=0`)
        pytest.param(
            _workflow().replace(
                "        with:\n          fetch-depth: 0  # history",
                "        with: fetch-depth=0  # history",
                1,
            ),
            "with",
            id="checkout-with-is-a-string",
        ),
        # a job id YAML reads as a number
        pytest.param(
            _workflow().replace("  gate:\n", "  2024:\n", 1).replace("needs: gate", "needs: 2024"),
            "2024",
            id="job-id-is-a-number",
        ),
        # nesting deeper than the parser's recursion
        pytest.param(
            "on: push\njobs:\n  gate:\n    steps:\n      - run: " + "[" * 5000 + "]" * 5000 + "\n",
            "",
            id="deeply-nested",
        ),
    ],
)
def test_a_crafted_workflow_is_a_finding_or_exit_2_naming_the_file(
    ready: Repo, workflow: str, field: str
) -> None:
    ready.write(WORKFLOW, workflow)
    res = ready.gate("doctor", "--format", "json")
    assert "internal error" not in res.err, res.err
    assert res.code == 1, res.err
    problems = _problems(json.loads(res.out), "ci")
    assert any(WORKFLOW in p and field in p for p in problems), problems


def test_a_deeply_nested_gitlab_ci_is_a_finding_naming_the_file(ready: Repo) -> None:
    ready.write(".gitlab-ci.yml", "gate:\n  script: " + "[" * 5000 + "]" * 5000 + "\n")
    res = ready.gate("doctor", "--format", "json")
    assert "internal error" not in res.err, res.err
    assert any(".gitlab-ci.yml" in p for p in _problems(json.loads(res.out), "ci"))


def test_a_pre_commit_hook_with_bytes_that_are_not_utf8_is_read(ready: Repo) -> None:
    """The hook is read with errors='replace' to decide it is pre-commit's, then read again
    strictly for INSTALL_PYTHON (a Latin-1 comment, or a path in a legacy encoding)."""
    hooks = ready.path / ".git/hooks"
    for name in ("pre-commit", "pre-push"):
        (hooks / name).write_bytes(
            b"#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n"
            b"# Install\xe9 par l'\xe9quipe\nINSTALL_PYTHON=/nonexistent/python3\n"
            b"exec pre-commit hook-impl --hook-type=" + name.encode() + b' -- "$@"\n'
        )
        (hooks / name).chmod(0o755)
    res = ready.gate("doctor", "--format", "json")
    assert "internal error" not in res.err, res.err
    assert res.code in (0, 1), res.err


def test_an_unreadable_toml_name_under_policies_is_not_an_internal_error(ready: Repo) -> None:
    """editor-schema reads every policies/*.toml of the working tree: a dangling symlink
    (a shared policy not checked out) or a folder named *.toml stops the whole run."""
    (ready.path / "policies/shared.toml").symlink_to("../../shared-config/release.toml")
    res = ready.gate("doctor", "--format", "json")
    assert "internal error" not in res.err, res.err
    assert res.code in (0, 1), res.err


# == Finding 9: a small crafted workflow that takes the machine's memory ===================


def test_a_yaml_alias_bomb_in_a_workflow_does_not_exhaust_memory(ready: Repo) -> None:
    """Under 1 KB of YAML aliases (safe_load builds them as shared references, cheaply);
    `str(step.get("run"))` in ci.py then spells out 10**9 strings. Without a limit this
    takes all memory; here, under a 1 GiB address-space limit, it dies in MemoryError."""
    lines = ['x0: &x0 ["gate check", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]
    lines += ["on: push", "jobs:", "  gate:", "    steps:", "      - run: *x8"]
    ready.write(WORKFLOW, "\n".join(lines) + "\n")
    assert (ready.path / WORKFLOW).stat().st_size < 1000
    limit = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
        "from gatekeeper.cli import main\n"
        "sys.argv = ['gate', '-C', sys.argv[1], 'doctor', '--skip', 'hooks']\n"
        "raise SystemExit(main())\n"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", limit, str(ready.path)],
            capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("doctor still running after 60 s on a 1 KB workflow")
    assert "MemoryError" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode in (1, 2), proc.stderr
