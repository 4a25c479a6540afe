"""The JSON Schemas ship as files (schemas/*.json) and stay equal to what `gate schema`
prints; the real taplo (npm's @taplo/cli, what Even Better TOML runs) accepts the shipped
templates, `gate init`'s policy and real records against them, and flags a broken policy.

Regenerate the files after changing a model: UPDATE_SCHEMAS=1 pytest tests/test_schema_files.py
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import JUNIT_OK, Repo, approve_all, make_repo

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "schemas"
REGENERATE = "UPDATE_SCHEMAS=1 pytest tests/test_schema_files.py"
TAPLO = "@taplo/cli@0.7"  # taplo 0.9 inside; .ci/run installs the same


def _names() -> tuple[str, ...]:
    from gatekeeper.models.schemas import NAMES

    return NAMES


@pytest.mark.parametrize("which", _names())
def test_shipped_schema_is_what_gate_schema_prints(which: str) -> None:
    from gatekeeper.cli import main
    from gatekeeper.models.schemas import schema_text

    path = SHIPPED / f"{which}.json"
    expected = schema_text(which)
    if os.environ.get("UPDATE_SCHEMAS") == "1":
        SHIPPED.mkdir(exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.is_file(), f"schemas/{which}.json is missing; regenerate: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == expected, (
        f"schemas/{which}.json differs from the models; regenerate: {REGENERATE}"
    )
    assert main(["schema", which]) == 0


def test_no_stale_schema_file_is_shipped() -> None:
    shipped = {p.stem for p in SHIPPED.glob("*.json")}
    assert shipped == set(_names()), f"remove or regenerate: {REGENERATE}"


# -- taplo ---------------------------------------------------------------------------------


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(
        Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache"
    )
    return Path(base) / "gatekeeper-tests" / "node"


def _find_taplo() -> str | None:
    given = os.environ.get("GATE_TAPLO")
    if given:
        return given
    found = shutil.which("taplo")
    if found:
        return found
    for prefix in (*sorted(ROOT.glob(".venv*/node")), _cache()):
        binary = prefix / "node_modules" / ".bin" / "taplo"
        if binary.is_file():
            return str(binary)
    return None


@pytest.fixture(scope="session")
def taplo() -> str:
    """The real taplo from npm: found, or installed into a cache when npm is there."""
    found = _find_taplo()
    if found:
        return found
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("npm/node are not installed, so @taplo/cli cannot run (.ci/run installs it)")
    prefix = _cache()
    proc = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), TAPLO],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"npm install @taplo/cli failed: {proc.stderr[-2000:]}"
    return str(prefix / "node_modules" / ".bin" / "taplo")


def _lint(taplo: str, *paths: Path, schema: str | None = None) -> dict[Path, str]:
    """One taplo run over many files (each run costs seconds of WebAssembly start-up): the
    errors taplo printed for each file, "" for a file it accepted."""
    args = ["--schema", schema] if schema else []
    proc = subprocess.run(
        [taplo, "check", "--no-auto-config", "--colors", "never", *args, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    said: dict[Path, str] = dict.fromkeys(paths, "")
    block: list[str] = []
    for line in [*(proc.stdout + proc.stderr).splitlines(), "error: (end)"]:
        if line.startswith("error:") and block:
            where = next((b.split("┌─ ", 1)[1] for b in block if "┌─ " in b), "")
            file = Path(where.rsplit(":", 2)[0]) if where else None
            if file in said:
                said[file] += "\n".join(block) + "\n"
            block = []
        block.append(line)
    flagged = set(re.findall(r'invalid file error=.*? path="([^"]+)"', proc.stderr + proc.stdout))
    assert {p for p, text in said.items() if text} <= {Path(f) for f in flagged}, proc.stderr
    assert (proc.returncode == 0) == (not flagged), proc.stdout + proc.stderr
    return said


def _with_directive(folder: Path, name: str, text: str, schema: str = "policy") -> Path:
    """A file whose `#:schema` line points at a shipped schema, relative to the file."""
    from gatekeeper.policy.scaffold import with_schema_line

    path = folder / name
    relative = os.path.relpath(SHIPPED / f"{schema}.json", folder)
    line = with_schema_line(text).replace("./policy.schema.json", relative, 1)
    path.write_text(line, encoding="utf-8")
    return path


def test_shipped_templates_validate_against_the_shipped_schema(taplo: str, tmp_path: Path) -> None:
    templates = sorted((ROOT / "policies").glob("*.toml"))
    assert len(templates) >= 3
    paths = [_with_directive(tmp_path, t.name, t.read_text(encoding="utf-8")) for t in templates]
    for path, errors in _lint(taplo, *paths).items():
        assert not errors, f"{path.name}:\n{errors}"


def test_gate_init_writes_a_schema_line_taplo_follows(taplo: str, tmp_path: Path) -> None:
    policies = []
    for template in ("minimal", "standard", "strict"):
        r = Repo(tmp_path / template)
        r.path.mkdir()
        r.git("init", "-q", "-b", "main")
        assert r.gate("init", "--template", template, who="alice").code == 0
        policy = r.path / "policies/release.toml"
        assert policy.read_text(encoding="utf-8").startswith("#:schema ./policy.schema.json\n")
        copy = r.path / "policies/policy.schema.json"
        assert copy.read_bytes() == (SHIPPED / "policy.json").read_bytes()
        assert "policies/policy.schema.json" in r.git("ls-files")  # committed with the policy
        policies.append(policy)
    broken = policies[0].with_name("broken.toml")
    text = policies[0].read_text(encoding="utf-8")
    broken.write_text(text.replace("schema = 1", "schema = 1\ncolour = 1"), encoding="utf-8")
    said = _lint(taplo, *policies, broken)
    assert [p for p in policies if said[p]] == [], said
    assert "'colour' was unexpected" in said[broken]


GOOD = """schema = 1
tags = ["v*"]
signatures = "none"
approval_ttl_days = 30

[people.alice]
email = "alice@example.com"

[roles.product]
members = ["alice"]

[[gates]]
id = "acceptance"
type = "approval"
roles = ["product"]
min_each = 1

[[gates]]
id = "notice"
type = "evidence"
kind = "launch-notice"
by_roles = ["product"]

[[gates]]
id = "dba"
type = "evidence"
kind = "dba-review"
fields = ["ticket"]

[[gates]]
id = "freeze"
type = "freeze"
timezone = "Asia/Shanghai"
windows = [
  { title = "春节封网", start = 2027-02-05T00:00:00+08:00, end = 2027-02-18T00:00:00+08:00 },
  { rrule = "FREQ=WEEKLY;BYDAY=FR", start = 2026-01-02T18:00:00+08:00, duration_hours = 62 },
]
"""

BROKEN = {
    "unknown-top-level-key": (("schema = 1\n", "schema = 1\ncolour = 1\n"), "'colour'"),
    "unknown-key-in-a-gate": (("min_each = 1\n", "min_each = 1\nquorum = 2\n"), "'quorum'"),
    "wrong-type": (("approval_ttl_days = 30", 'approval_ttl_days = "30"'), '"30"'),
    "unknown-signature-mode": (('signatures = "none"', 'signatures = "gpg"'), '"gpg"'),
    # (taplo 0.9 misreads a local datetime followed straight by a comma: docs/editors.md)
    "datetime-without-offset": (
        ("end = 2027-02-18T00:00:00+08:00 }", "end = 2027-02-18T00:00:00 }"),
        '"2027-02-18T00:00:00" is not valid',
    ),
    "unknown-gate-type": (('type = "approval"', 'type = "approvals"'), '"approvals"'),
    "custom-kind-named-like-a-built-in": (
        ('kind = "dba-review"', 'kind = "backup"'),
        "'fields' was unexpected",
    ),
}


def test_a_good_policy_passes_and_each_break_is_flagged(taplo: str, tmp_path: Path) -> None:
    from gatekeeper.errors import PolicyError
    from gatekeeper.policy.loading import parse_policy

    parse_policy(GOOD.encode(), "good.toml")  # gate itself accepts it
    good = _with_directive(tmp_path, "good.toml", GOOD)
    broken = {}
    for name, ((old, new), _) in BROKEN.items():
        assert old in GOOD, name
        text = GOOD.replace(old, new, 1)
        with pytest.raises(PolicyError):  # gate refuses it: the editor must flag it too
            parse_policy(text.encode(), f"{name}.toml")
        broken[name] = _with_directive(tmp_path, f"{name}.toml", text)
    said = _lint(taplo, good, *broken.values())
    assert not said[good], said[good]
    for name, (_, expected) in BROKEN.items():
        assert expected in said[broken[name]], f"{name}: {said[broken[name]] or 'accepted'}"


def test_real_records_validate_against_the_shipped_schemas(taplo: str, tmp_path: Path) -> None:
    gates = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'
    r = make_repo(tmp_path, gates=gates + '\n[emergency]\nroles = ["leadership"]\n')
    assert r.gate("request", "v1.0.0", "--title", "发布 1.0", "--risk", "major").code == 0
    approve_all(r)
    report = tmp_path / "report.xml"
    report.write_bytes(JUNIT_OK)
    assert r.gate("attach", "v1.0.0", "test-report", str(report)).code == 0
    assert r.gate("emergency", "v1.0.0", "--reason", "outage", who="erin").code == 0
    folder = r.path / "releases/v1.0.0"
    records = {
        "request": [folder / "request.toml"],
        "approval": sorted((folder / "approvals").glob("*.toml")),
        "evidence": sorted((folder / "evidence").glob("*.toml")),
        "emergency": sorted((folder / "emergency").glob("*.toml")),
    }
    copies = tmp_path / "copies"
    copies.mkdir()
    paths = []
    for which, found in records.items():
        assert found, which
        for i, path in enumerate(found):
            text = path.read_text(encoding="utf-8")
            paths.append(_with_directive(copies, f"{which}-{i}.toml", text, schema=which))
    text = (folder / "request.toml").read_text(encoding="utf-8")
    assert 'risk = "major"' in text
    bad = _with_directive(copies, "bad.toml", text.replace('"major"', '"huge"'), "request")
    said = _lint(taplo, *paths, bad)
    assert {p.name: e for p, e in said.items() if e and p != bad} == {}
    assert '"huge"' in said[bad]
