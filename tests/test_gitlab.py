"""GitLab and Forgejo/Gitea: `gate check --format junit` read back by a JUnit parser, the
CI/CD components validated offline against GitLab's CI schema, and their job run as a
GitLab runner would (the CI_* variables, a clone of an origin served over HTTP by
`git http-backend` on 127.0.0.1 that wants a token to delete a tag). The composite action
is run with the variables act_runner sets."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from defusedxml.ElementTree import fromstring as parse_xml
from junitparser import JUnitXml, TestCase

from conftest import Repo, approve_all, identity, make_repo, policy_text
from test_action import _clone, approved_origin, run_action

ROOT = Path(__file__).parents[1]
TEMPLATES = {
    "tag": (ROOT / "templates/release-gate.yml", "release-gate"),
    "schedule": (ROOT / "templates/release-gate-scheduled.yml", "release-gate-recheck"),
}
INPUT = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
HOSTILE_TITLE = '验收 <b>&amp; "双重" ]]> \x1b[31m \ufffe end'
SKIPPED_GATE = (
    '[[gates]]\nid = "leadership"\ntitle = "领导审批 / Leadership"\ntype = "approval"\n'
    'roles = ["leadership"]\nwhen = { risk = ["major"] }\n'
)
# Test tokens: CI_JOB_TOKEN may read the repository, never push; GATE_TOKEN may delete tags.
PROJECT_ID = "42"
JOB_TOKEN = "job-token-4711"  # noqa: S105
PUSH_TOKEN = "glpat-s3cret-0815"  # noqa: S105


# --- gate check --format junit ------------------------------------------------------------


def _junit(text: str) -> JUnitXml:
    parse_xml(text.encode())  # well-formed for a strict parser too (expat)
    return JUnitXml.fromstring(text.encode())


def _cases(xml: JUnitXml) -> dict[tuple[str, str], TestCase]:
    return {(case.classname, case.name): case for suite in xml for case in suite}


def test_junit_passing_release_one_case_per_gate(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, gates=SKIPPED_GATE)
    repo.gate("request", "v1.0.0", "--title", "上线 v1")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    res = repo.gate("check", "v1.0.0", "--format", "junit")
    assert res.code == 0, res.err
    xml = _junit(res.out)
    suites = list(xml)
    assert [s.name for s in suites] == ["v1.0.0"]
    cases = _cases(xml)
    assert set(cases) == {
        ("v1.0.0", "tag: The release tag is well-formed"),
        ("v1.0.0", "records: Release records are append-only"),
        ("v1.0.0", "request: Release request"),
        ("v1.0.0", "acceptance: acceptance"),
        ("v1.0.0", "leadership: 领导审批 / Leadership"),
    }
    skipped = cases["v1.0.0", "leadership: 领导审批 / Leadership"]
    assert skipped.is_skipped and "risk" in skipped.result[0].message
    assert all(c.is_passed for k, c in cases.items() if k[1] != skipped.name)
    assert suites[0].tests == 5 and suites[0].failures == 0 and suites[0].skipped == 1
    props = {p.name: p.value for p in suites[0].properties()}
    assert props["passed"] == "true" and props["signatures"] == "none"


def test_junit_failing_release_names_reasons_and_stays_well_formed(repo: Repo) -> None:
    policy = policy_text().replace('id = "acceptance"', 'id = "acceptance"\ntitle = "T"')
    repo.write("policies/release.toml", policy.replace('"T"', _toml(HOSTILE_TITLE)))
    repo.commit("a title with markup, controls and a noncharacter")
    repo.gate("request", "v1.0.0", "--title", "t")
    repo.git("tag", "-a", "-m", "unapproved", "v1.0.0")
    res = repo.gate("check", "v1.0.0", "--format", "junit")
    assert res.code == 1
    cases = _cases(_junit(res.out))
    name = 'acceptance: 验收 <b>&amp; "双重" ]]> \\u001b[31m \\ufffe end'
    failed = cases["v1.0.0", name]  # markup kept as text; controls shown as escapes
    assert not failed.is_passed and not failed.is_skipped
    failure = failed.result[0]
    assert failure.message.startswith("role 'product' has 0 of 1 approvals; role 'rnd'")
    assert "role 'rnd' has 0 of 1 approvals" in failure.text.splitlines()
    assert failed._elem.get("file") == "releases/v1.0.0/request.toml"
    assert cases["v1.0.0", "request: Release request"].is_passed
    assert "\x1b" not in res.out


def test_junit_all_tags_one_suite_per_release(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    res = repo.gate("check", "--all-tags", "--format", "junit")
    assert res.code == 1
    xml = _junit(res.out)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"v1.0.0", "v2.0.0"}
    assert suites["v1.0.0"].failures == 0 and suites["v2.0.0"].failures >= 1
    assert {c.classname for c in suites["v2.0.0"]} == {"v2.0.0"}
    assert xml.failures == suites["v2.0.0"].failures and xml.tests == sum(
        s.tests for s in suites.values()
    )


@pytest.mark.parametrize("command", [["status"], ["explain", "v1.0.0"]])
def test_junit_refused_where_there_is_no_verdict_per_gate(repo: Repo, command: list[str]) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    res = repo.gate(*command, "--format", "junit")
    assert res.code == 2
    assert "only gate check writes JUnit" in res.err and res.out == ""


def _toml(text: str) -> str:
    """`text` as a TOML basic string, every control or noncharacter as a \\u escape."""
    return (
        '"'
        + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04X}" for c in text)
        + '"'
    )


# --- the components, offline against GitLab's CI schema -----------------------------------


def _documents(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    header, job = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return header, job


def _interpolated(path: Path, given: dict[str, str]) -> dict[str, Any]:
    """The job document as GitLab builds it: `$[[ inputs.x ]]` replaced in every string
    by the given value or the input's default; an unknown input is an error, as there."""
    header, job = _documents(path)
    values = {k: str(v.get("default", "")) for k, v in header["spec"]["inputs"].items()}
    assert set(given) <= set(values), set(given) - set(values)
    values.update(given)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            return INPUT.sub(lambda m: values[m.group(1)], node)
        return node

    return walk(job)  # type: ignore[no-any-return]


def test_components_match_gitlab_ci_schema(tmp_path: Path) -> None:
    """check-jsonschema reads one YAML document a file: the `spec:` header and the job are
    validated each on its own (the schema knows `spec` as a top-level key), and the job
    once more with its inputs interpolated, as GitLab validates it after `include:`."""
    files = []
    for name, (path, _job) in TEMPLATES.items():
        header, job = _documents(path)
        assert set(header) == {"spec"}
        for part, doc in (("header", header), ("job", job), ("built", _interpolated(path, {}))):
            target = tmp_path / f"{name}-{part}.yml"
            target.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
            files.append(str(target))
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_check_catches_a_broken_job(tmp_path: Path) -> None:
    """The offline check is not vacuous: a misspelt keyword fails it."""
    _header, job = _documents(TEMPLATES["tag"][0])
    job["release-gate"]["artifacts"]["reports"]["junti"] = "gate-junit.xml"
    target = tmp_path / "broken.yml"
    target.write_text(yaml.safe_dump(job), encoding="utf-8")
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_component_inputs_are_declared_used_and_pinned(kind: str) -> None:
    path, job_name = TEMPLATES[kind]
    header, job = _documents(path)
    inputs = header["spec"]["inputs"]
    used = set(INPUT.findall(path.read_text(encoding="utf-8").split("\n---\n", 1)[1]))
    assert used == set(inputs)
    assert inputs["on-fail"]["options"] == ["fail", "delete-tag"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert inputs["gatekeeper"]["default"] == f"gatekeeper-release=={version}"
    body = job[job_name]
    assert body["variables"]["GIT_DEPTH"] == "0"
    assert body["artifacts"]["when"] == "always"
    assert body["artifacts"]["reports"]["junit"] == body["variables"]["GATE_JUNIT"]
    # Inputs reach the script through variables only, never spliced into a command line.
    assert not any("$[[" in line for line in body["script"])
    rule = body["rules"][0]["if"]
    assert rule == "$CI_COMMIT_TAG" if kind == "tag" else "schedule" in rule


def test_every_python_in_ci_scripts_is_isolated() -> None:
    """The working directory of every CI script is the tagged commit: `python -m pip` or
    `python3 -` would import a `pip/` or `json.py` planted there. Every call says -I."""
    texts = [
        *(p.read_text() for p, _ in TEMPLATES.values()),
        (ROOT / "action.yml").read_text(),
        (ROOT / "action/check.sh").read_text(),
        (ROOT / "action/gitlab.sh").read_text(),
    ]
    lines = [line for t in texts for line in t.splitlines() if not line.lstrip().startswith("#")]
    calls = [m for line in lines for m in re.findall(r"(?<![\w.-])python3?\s+\S+", line)]
    assert len(calls) >= 7, calls
    for call in calls:
        assert call.split()[1] == "-I", call


# --- a git server on 127.0.0.1, as GitLab serves a project over HTTP -----------------------


@dataclass
class Forge:
    """`git http-backend` behind Basic auth: the job token may read, only the push token
    may write. Records who wrote, to prove a deletion went through the token."""

    root: Path
    port: int = 0
    pushes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    api_deletes: list[str] = field(default_factory=list)

    def protect_tags(self) -> None:
        """GitLab's answer to a push that deletes a protected tag, as a real hook."""
        hook = self.bare / "hooks" / "pre-receive"
        hook.write_text(
            '#!/bin/sh\nwhile read old new ref; do case "$new $ref" in\n'
            "  0000000000000000000000000000000000000000\\ refs/tags/v*)\n"
            "    echo 'GitLab: You can only delete protected tags using the web interface.'\n"
            "    exit 1 ;;\nesac; done\n"
        )
        hook.chmod(0o755)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bare(self) -> Path:
        return self.root / "group" / "project.git"


class _GitHTTP(BaseHTTPRequestHandler):
    forge: Forge

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/api/v4/"):
            self._tag()
        else:
            self._serve()

    def _tag(self) -> None:
        """`GET /api/v4/projects/:id/repository/tags/:tag_name`: `target` is the tag object
        for an annotated tag (the commit for a lightweight one), `commit.id` the commit."""
        prefix = f"/api/v4/projects/{PROJECT_ID}/repository/tags/"
        body, status = b"", 404
        if self.headers.get("PRIVATE-TOKEN") != PUSH_TOKEN:
            status = 401
        elif self.path.startswith(prefix):
            ref = f"refs/tags/{unquote(self.path.removeprefix(prefix))}"
            found = [
                subprocess.run(
                    ["git", "rev-parse", "--verify", "--quiet", rev],
                    cwd=self.forge.bare,
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.strip()
                for rev in (ref, f"{ref}^{{commit}}")
            ]
            if found[0]:
                body = json.dumps({"target": found[0], "commit": {"id": found[1]}}).encode()
                status = 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        """`DELETE /api/v4/projects/:id/repository/tags/:tag_name` as GitLab documents it:
        PRIVATE-TOKEN header, the tag name URL-encoded, 204 on success."""
        prefix = f"/api/v4/projects/{PROJECT_ID}/repository/tags/"
        status = 404
        if self.headers.get("PRIVATE-TOKEN") != PUSH_TOKEN:
            status = 401
        elif self.path.startswith(prefix):
            name = unquote(self.path.removeprefix(prefix))
            deleted = subprocess.run(
                ["git", "update-ref", "-d", f"refs/tags/{name}"],
                cwd=self.forge.bare,
                capture_output=True,
                check=False,
            )
            if deleted.returncode == 0:
                self.forge.api_deletes.append(name)
                status = 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _token(self) -> str | None:
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return None
        return base64.b64decode(value).decode().partition(":")[2]

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding") == "chunked":
            data = b""
            while size := int(self.rfile.readline().strip(), 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        writing = path.endswith("git-receive-pack") or query == "service=git-receive-pack"
        token = self._token()
        body = self._body()
        allowed = {PUSH_TOKEN} if writing else {PUSH_TOKEN, JOB_TOKEN}
        if token not in allowed:
            if token is not None:
                self.forge.refused.append(self.command)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="GitLab"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if writing and self.command == "POST":
            self.forge.pushes.append(path)
        env = {
            "PATH": os.environ["PATH"],
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": str(self.forge.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "gate-bot",
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            else:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def forge(repo: Repo, tmp_path: Path) -> Iterator[tuple[Repo, Forge]]:
    """The project on a forge: v1.0.0 approved and tagged, served on 127.0.0.1."""
    site = Forge(tmp_path / "forge")
    site.bare.parent.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(site.bare)], check=True)
    repo.git("remote", "add", "origin", str(site.bare))
    repo.gate("request", "v1.0.0", "--title", "上线 v1")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.git("push", "-q", "origin", "main", "v1.0.0")
    handler = type("Handler", (_GitHTTP,), {"forge": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield repo, site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _origin_tags(site: Forge) -> list[str]:
    return subprocess.run(
        ["git", "tag", "-l"], cwd=site.bare, capture_output=True, text=True, check=True
    ).stdout.split()


def _runner_clone(site: Forge, tmp_path: Path, ref: str, *, depth: int | None = None) -> Path:
    """What a GitLab runner does: init, origin = CI_REPOSITORY_URL (job token inside),
    fetch only the pipeline's ref (GitLab's default refspecs), check out detached."""
    clone = tmp_path / "builds" / "group" / "project"
    clone.mkdir(parents=True)
    env = {**os.environ, **identity("dave"), "GIT_TERMINAL_PROMPT": "0"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=clone, check=True, env=env, capture_output=True)

    git("init", "-q")
    git("remote", "add", "origin", _repository_url(site))
    local = ref if ref.startswith("refs/tags/") else "refs/remotes/origin/" + ref.rsplit("/", 1)[-1]
    git("fetch", "-q", *(["--depth", str(depth)] if depth else []), "origin", f"+{ref}:{local}")
    git("checkout", "-q", "--detach", local)
    if ref.startswith("refs/tags/"):  # what the runner puts in CI_COMMIT_TAG
        (clone / ".git" / "pipeline-tag").write_text(ref.removeprefix("refs/tags/"))
    return clone


def _repository_url(site: Forge) -> str:
    return f"http://gitlab-ci-token:{JOB_TOKEN}@127.0.0.1:{site.port}/group/project.git"


# --- the job, run as a GitLab runner runs it ---------------------------------------------


@dataclass
class Job:
    code: int
    log: str
    junit: Path
    report: Path


def run_job(
    site: Forge,
    clone: Path,
    kind: str,
    inputs: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    *,
    install: bool = False,
) -> Job:
    """The component's `script:` lines, verbatim, in one bash (as the runner's shell does,
    errexit on), with the job's `variables:` (inputs interpolated) and the CI_* GitLab sets.
    With `install`, the pip line runs too, with the package index switched off (gatekeeper
    is installed here already, so pip finds its requirement satisfied); without, it is
    left out to save seconds."""
    path, name = TEMPLATES[kind]
    job = _interpolated(path, inputs or {})[name]
    tag = (clone / ".git" / "pipeline-tag").read_text() if kind == "tag" else ""
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        "PIP_NO_INDEX": "1",
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "push" if kind == "tag" else "schedule",
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_URL": site.url,
        "CI_SERVER_HOST": "127.0.0.1",
        "CI_SERVER_PORT": str(site.port),
        "CI_SERVER_PROTOCOL": "http",
        "CI_PROJECT_PATH": "group/project",
        "CI_PROJECT_ID": PROJECT_ID,
        "CI_API_V4_URL": f"{site.url}/api/v4",
        "CI_PROJECT_DIR": str(clone),
        "CI_REPOSITORY_URL": _repository_url(site),
        "CI_JOB_TOKEN": JOB_TOKEN,
        "GATE_TOKEN": PUSH_TOKEN,
        "GIT_TERMINAL_PROMPT": "0",
        **({"CI_COMMIT_TAG": tag, "CI_COMMIT_REF_NAME": tag} if kind == "tag" else {}),
        **({"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"} if kind != "tag" else {}),
        **{k: str(v) for k, v in job["variables"].items()},
        **(variables or {}),
    }
    env = {k: v for k, v in env.items() if v is not None}
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", "\n".join(job["script"][0 if install else 1 :])],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return Job(
        proc.returncode,
        proc.stdout + proc.stderr,
        clone / job["artifacts"]["reports"]["junit"],
        clone / job["artifacts"]["paths"][0],
    )


def _secrets_absent(job: Job, clone: Path) -> None:
    header = base64.b64encode(f"oauth2:{PUSH_TOKEN}".encode()).decode()
    for secret in (PUSH_TOKEN, header, JOB_TOKEN):
        assert secret not in job.log
        assert secret not in job.junit.read_text(encoding="utf-8")
    assert PUSH_TOKEN not in (clone / ".git" / "config").read_text()


def _unapproved_tag(repo: Repo, site: Forge, tmp_path: Path, tag: str) -> Path:
    """`tag` made by hand on main (no request, no sign-offs), pushed; the runner's clone."""
    repo.git("tag", "-a", "-m", "sneaky", tag)
    repo.git("push", "-q", "origin", tag)
    return _runner_clone(site, tmp_path, f"refs/tags/{tag}")


def test_approved_tag_passes_and_keeps_its_tag(forge: tuple[Repo, Forge], tmp_path: Path) -> None:
    _repo, site = forge
    clone = _runner_clone(site, tmp_path, "refs/tags/v1.0.0")
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"}, install=True)
    assert job.code == 0, job.log
    assert "release v1.0.0: PASSED" in job.log
    cases = _cases(_junit(job.junit.read_text(encoding="utf-8")))
    assert cases and all(c.is_passed for c in cases.values())
    assert {k[0] for k in cases} == {"v1.0.0"}
    assert _origin_tags(site) == ["v1.0.0"] and site.pushes == []
    _secrets_absent(job, clone)


def test_unapproved_tag_fails_then_is_deleted_with_the_token(
    forge: tuple[Repo, Forge], tmp_path: Path
) -> None:
    repo, site = forge
    clone = _unapproved_tag(repo, site, tmp_path, "v2.0.0")
    job = run_job(site, clone, "tag")  # on-fail: fail (the default)
    assert job.code == 1
    assert "release v2.0.0: FAILED" in job.log and "[FAIL] request" in job.log
    cases = _cases(_junit(job.junit.read_text(encoding="utf-8")))
    failed = cases["v2.0.0", "request: Release request"]
    assert not failed.is_passed and "no request for 'v2.0.0'" in failed.result[0].message
    assert _origin_tags(site) == ["v1.0.0", "v2.0.0"]

    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"})
    assert job.code == 1
    assert "deleted unapproved tag v2.0.0 from origin" in job.log
    assert _origin_tags(site) == ["v1.0.0"]
    assert site.pushes == ["/group/project.git/git-receive-pack"]
    assert job.report.is_file()
    _secrets_absent(job, clone)


def test_delete_tag_without_a_valid_token_deletes_nothing(
    forge: tuple[Repo, Forge], tmp_path: Path
) -> None:
    repo, site = forge
    clone = _unapproved_tag(repo, site, tmp_path, "v2.0.0")
    wrong = "glpat-wrong-1234"
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"}, {"GATE_TOKEN": wrong})
    assert job.code == 1
    assert "could not delete tag v2.0.0" in job.log and wrong not in job.log
    assert site.refused and site.pushes == []
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"}, {"GATE_TOKEN": ""})
    assert job.code == 1 and "needs the CI/CD variable GATE_TOKEN" in job.log
    assert _origin_tags(site) == ["v1.0.0", "v2.0.0"]


def test_protected_tag_is_deleted_through_the_api(
    forge: tuple[Repo, Forge], tmp_path: Path
) -> None:
    """GitLab refuses a push deleting a protected tag; the job then deletes it with the
    REST API (the tag name URL-encoded: a component tag holds a slash)."""
    repo, site = forge
    site.protect_tags()
    clone = _unapproved_tag(repo, site, tmp_path, "v2/billing")
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"})
    assert job.code == 1
    assert "deleted unapproved tag v2/billing from origin (through the API" in job.log
    assert site.api_deletes == ["v2/billing"] and _origin_tags(site) == ["v1.0.0"]
    _secrets_absent(job, clone)


def test_scheduled_recheck_deletes_every_failing_tag(
    forge: tuple[Repo, Forge], tmp_path: Path
) -> None:
    repo, site = forge
    for name in ("v3.0.0", "v3.0.1", "v3.0.2", "v3.0.3"):
        repo.git("tag", "-a", "-m", "bot", name)
    repo.git("push", "-q", "origin", "--tags")
    clone = _runner_clone(site, tmp_path, "refs/heads/main")
    job = run_job(site, clone, "schedule", {"on-fail": "delete-tag"})
    assert job.code == 1, job.log
    suites = {s.name: s for s in _junit(job.junit.read_text(encoding="utf-8"))}
    assert set(suites) == {"v1.0.0", "v3.0.0", "v3.0.1", "v3.0.2", "v3.0.3"}
    assert suites["v1.0.0"].failures == 0 and suites["v3.0.2"].failures >= 1
    assert _origin_tags(site) == ["v1.0.0"]
    assert len(site.pushes) == 4
    _secrets_absent(job, clone)


def test_shallow_runner_clone_is_deepened(forge: tuple[Repo, Forge], tmp_path: Path) -> None:
    """GitLab's project default is a shallow clone; the job fetches the history it needs."""
    _repo, site = forge
    clone = _runner_clone(site, tmp_path, "refs/tags/v1.0.0", depth=1)
    job = run_job(site, clone, "tag", variables={"GIT_DEPTH": "1"})
    assert job.code == 0, job.log


def test_hostile_tag_name_executes_nothing(forge: tuple[Repo, Forge], tmp_path: Path) -> None:
    repo, site = forge
    hostile = 'v1";touch${IFS}pwned;#'
    repo.git("tag", "-a", "-m", "x", hostile)
    repo.git("push", "-q", "origin", f"refs/tags/{hostile}")
    clone = _runner_clone(site, tmp_path, f"refs/tags/{hostile}")
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"})
    assert job.code == 2
    assert not (clone / "pwned").exists() and not (ROOT / "pwned").exists()
    assert hostile in _origin_tags(site) and site.pushes == []  # bad input: nothing deleted
    cases = _cases(_junit(job.junit.read_text(encoding="utf-8")))
    error = cases[hostile, "gate check could not run"]
    assert "not a valid release tag name" in error.result[0].message


def test_modules_planted_in_the_tagged_commit_are_not_imported(
    forge: tuple[Repo, Forge], tmp_path: Path
) -> None:
    """A tagger controls the working directory: a `pip/`, `json.py` and `gatekeeper/` there
    could pass the gate or keep its tag alive, if any python imported from it."""
    repo, site = forge
    for module in ("pip/__main__.py", "json.py", "gatekeeper/__init__.py"):
        marker = "pwned-" + module.split("/")[0].removesuffix(".py")
        repo.write(module, f"open({marker!r}, 'w').close()\nraise SystemExit(0)\n")
    repo.write("pip/__init__.py", "")
    repo.commit("planted", who="mallory")
    repo.git("tag", "-a", "-m", "x", "v2.0.0")
    repo.git("push", "-q", "origin", "main", "v2.0.0")
    clone = _runner_clone(site, tmp_path, "refs/tags/v2.0.0")
    assert (clone / "json.py").is_file()
    job = run_job(site, clone, "tag", {"on-fail": "delete-tag"}, install=True)
    assert job.code == 1, job.log
    assert sorted(p.name for p in clone.glob("pwned-*")) == []
    assert _origin_tags(site) == ["v1.0.0"]


# --- Forgejo / Gitea Actions (act_runner) -------------------------------------------------

# What act_runner adds to, or sets differently from, a GitHub runner's environment.
ACT_RUNNER_ENV = {
    "GITEA_ACTIONS": "true",
    "GITEA_ACTIONS_RUNNER_VERSION": "v0.2.11",
    "FORGEJO_ACTIONS": "true",
    "GITHUB_SERVER_URL": "http://forge.example:3000",
    "GITHUB_API_URL": "http://forge.example:3000/api/v1",
    "GITHUB_GRAPHQL_URL": "",
    "GITHUB_REPOSITORY": "group/project",
}
IGNORED_BY_ACT_RUNNER = ("environment", "permissions", "timeout-minutes", "concurrency")


def test_workflow_template_does_not_rest_on_what_act_runner_ignores() -> None:
    """act_runner ignores `environment`, `permissions` and `timeout-minutes`: the template may
    use them to narrow a GitHub token, never to stop a release. What stops it is the gate
    job's exit code, and the deploy job `needs:` it (act_runner honours `needs`)."""
    workflow = yaml.safe_load((ROOT / "docs/workflows/release-gate.yml").read_text())
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    jobs = workflow["jobs"]
    for job in jobs.values():
        assert not {"environment", "timeout-minutes", "concurrency"} & set(job)
        for step in job.get("steps", []):
            assert "timeout-minutes" not in step and "continue-on-error" not in step
    assert jobs["deploy"]["needs"] == "gate"
    assert "permissions" not in action["runs"] and "if" not in action["runs"]["steps"][-1]
    for step in action["runs"]["steps"]:
        assert not set(step) & set(IGNORED_BY_ACT_RUNNER)


@pytest.fixture
def forgejo(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, Path]:
    """An origin on a forge, with v1.0.0 approved, and the variables act_runner sets."""
    for key, value in ACT_RUNNER_ENV.items():
        monkeypatch.setenv(key, value)
    return approved_origin(repo, tmp_path)


def test_composite_action_on_act_runner(forgejo: tuple[Repo, Path], tmp_path: Path) -> None:
    """check.sh reads no forge URL and no GITEA_* variable: with act_runner's environment it
    passes an approved tag and fails and deletes an unapproved one, exactly as on GitHub;
    a `json.py` in the tagged commit cannot keep the tag alive (python -I)."""
    repo, remote = forgejo
    clone = _clone(remote, tmp_path)
    code, log, outputs, _ = run_action(clone, tmp_path, "refs/tags/v1.0.0", {})
    assert code == 0 and outputs["passed"] == "true", log

    repo.write("json.py", "open('pwned-json', 'w').close()\nraise SystemExit(0)\n")
    repo.commit("planted", who="mallory")
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    repo.git("push", "-q", "origin", "main", "v2.0.0")
    subprocess.run(["git", "fetch", "-q", "--tags", "origin"], cwd=clone, check=True)
    subprocess.run(["git", "checkout", "-q", "--detach", "v2.0.0"], cwd=clone, check=True)
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"}
    )
    assert code == 1 and outputs["passed"] == "false"
    assert "deleted unapproved tag v2.0.0" in log
    assert not (clone / "pwned-json").exists()
    tags = subprocess.run(
        ["git", "tag", "-l"], cwd=remote, capture_output=True, text=True, check=True
    )
    assert tags.stdout.split() == ["v1.0.0"]
