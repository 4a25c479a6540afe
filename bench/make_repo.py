"""Build a large synthetic gatekeeper repository with `git fast-import`.

Each release: one code commit (the candidate), the request, five sign-offs and four
evidence records, each its own commit (~11 commits per release), then an annotated tag.

    python bench/make_repo.py DIR [--releases 5000] [--files 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tomli_w

PEOPLE = {"alice": "product", "bob": "rnd", "carol": "pm", "dave": "ops", "erin": "leadership"}
REQUESTER = "gina"
JUNIT = b'<testsuite name="s"><testcase name="a"/><testcase name="b"/></testsuite>\n'


def policy() -> bytes:
    doc = {
        "schema": 1,
        "tags": ["v*"],
        "signatures": "none",
        "people": {p: {"email": f"{p}@bench.example"} for p in [*PEOPLE, REQUESTER]},
        "roles": {role: {"members": [p]} for p, role in PEOPLE.items()},
        "gates": [
            {"id": "acceptance", "type": "approval", "roles": ["product", "rnd"], "min_each": 1},
            {
                "id": "countersign",
                "type": "approval",
                "roles": ["pm", "ops", "leadership"],
                "min": 3,
            },
            {"id": "tests", "type": "evidence", "kind": "test-report"},
            {
                "id": "backup",
                "type": "evidence",
                "kind": "backup",
                "targets": ["database", "files"],
            },
            {"id": "env", "type": "evidence", "kind": "env-check", "checks": ["servers"]},
        ],
    }
    return tomli_w.dumps(doc).encode()


class Importer:
    """A fast-import stream we can ask for commit SHAs mid-way (`get-mark`)."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done"],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.mark = 0
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(data)

    def commit(self, who: str, message: str, files: dict[str, bytes]) -> int:
        self.mark += 1
        self.clock += timedelta(minutes=1)
        stamp = f"{int(self.clock.timestamp())} +0000"
        ident = f"{who} <{who}@bench.example> {stamp}"
        msg = message.encode()
        head = (
            (
                f"commit refs/heads/main\nmark :{self.mark}\nauthor {ident}\ncommitter {ident}\n"
                f"data {len(msg)}\n"
            ).encode()
            + msg
            + b"\n"
        )
        if self.mark > 1:
            head += f"from :{self.mark - 1}\n".encode()
        self.write(head)
        for path, data in files.items():
            self.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        self.write(b"\n")
        return self.mark

    def sha(self, mark: int) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.write(f"get-mark :{mark}\n".encode())
        self.proc.stdin.flush()
        return self.proc.stdout.readline().decode().strip()

    def tag(self, name: str, mark: int) -> None:
        ident = f"{REQUESTER} <{REQUESTER}@bench.example> {int(self.clock.timestamp())} +0000"
        msg = f"Release {name}\n".encode()
        self.write(f"tag {name}\nfrom :{mark}\ntagger {ident}\ndata {len(msg)}\n".encode() + msg)

    def done(self) -> None:
        self.write(b"done\n")
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait()


def toml(doc: dict[str, object]) -> bytes:
    return tomli_w.dumps(doc).encode()


def release(imp: Importer, i: int, files: int) -> None:
    tag = f"v{i // 10000}.{i // 100 % 100}.{i % 100}"
    base = f"releases/{tag}"
    candidate_mark = imp.commit(
        "gina", f"work {i}", {f"src/m{i % files}.py": f"x = {i}\n".encode()}
    )
    candidate = imp.sha(candidate_mark)
    request = toml(
        {
            "schema": 1,
            "release": tag,
            "title": f"release {i}",
            "candidate": candidate,
            "requester": REQUESTER,
            "requested_at": imp.clock,
        }
    )
    imp.commit(REQUESTER, f"gate: request {tag}", {f"{base}/request.toml": request})
    digest = hashlib.sha256(request).hexdigest()
    common = {"schema": 1, "release": tag, "candidate": candidate, "request_sha256": digest}
    for person, role in PEOPLE.items():
        doc = {**common, "role": role, "decision": "approve", "person": person, "at": imp.clock}
        imp.commit(
            person, f"gate: {person} approves", {f"{base}/approvals/{person}.toml": toml(doc)}
        )
    evidence = {
        "tests": (
            {
                "kind": "test-report",
                "attachments": [
                    {
                        "path": "tests.xml",
                        "sha256": hashlib.sha256(JUNIT).hexdigest(),
                        "size": len(JUNIT),
                    }
                ],
            },
            {f"{base}/evidence/tests.xml": JUNIT},
        ),
        "db": (
            {
                "kind": "backup",
                "details": {"target": "database", "location": "s3://b", "taken_at": imp.clock},
            },
            {},
        ),
        "files": (
            {
                "kind": "backup",
                "details": {"target": "files", "location": "s3://b", "taken_at": imp.clock},
            },
            {},
        ),
        "env": ({"kind": "env-check", "details": {"checks": {"servers": "pass"}}}, {}),
    }
    mark = 0
    for name, (fields, extra) in evidence.items():
        doc = {**common, "person": "dave", "at": imp.clock, **fields}
        mark = imp.commit(
            "dave", f"gate: attach {name}", {f"{base}/evidence/{name}.toml": toml(doc), **extra}
        )
    imp.tag(tag, mark)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--releases", type=int, default=5000)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    args.dir.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(args.dir)], check=True)
    started = time.monotonic()
    imp = Importer(args.dir)
    code = {f"src/m{i}.py": b"x = 0\n" for i in range(args.files)}
    imp.commit(REQUESTER, "initial", {"policies/release.toml": policy(), **code})
    for i in range(args.releases):
        release(imp, i, args.files)
    imp.done()
    subprocess.run(["git", "-C", str(args.dir), "reset", "-q", "--hard", "main"], check=True)
    print(
        f"built {args.releases} releases, {imp.mark} commits in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
