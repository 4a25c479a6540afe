"""Time SSH signature verification: in-process (trust/sshsig.py) against one ssh-keygen each.

    python bench/verify.py [--signatures 200]

Both ways go through gatekeeper's Verifier (GATE_SSH_VERIFY=ssh-keygen forces the old way),
over the same good signatures of every key type ssh-keygen makes here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

TYPES = {
    "ed25519": ["-t", "ed25519"],
    "ecdsa-p256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa-p384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa-p521": ["-t", "ecdsa", "-b", "521"],
    "rsa-3072": ["-t", "rsa", "-b", "3072"],
}
DATA = b"gatekeeper-record-v1\n{}"


def policy_text(keys: dict[str, Path]) -> str:
    people = "".join(
        f'[people.p{i}]\nemail = "p{i}@bench.example"\nkeys = ["{k.read_text().strip()}"]\n'
        for i, k in enumerate(keys.values())
    )
    return (
        'schema = 1\ntags = ["v*"]\nsignatures = "ssh"\n'
        + people
        + '[roles.r]\nmembers = ["p0"]\n'
        + '[[gates]]\nid = "a"\ntype = "approval"\nroles = ["r"]\nmin_each = 1\n'
    )


def run(folder: Path, count: int) -> None:
    from gatekeeper.policy.loading import parse_policy
    from gatekeeper.trust.signing import NAMESPACE, Verifier

    keys, signatures = {}, []
    for name, args in TYPES.items():
        path = folder / name
        subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-f", str(path)], check=True)
        keys[name] = path.with_name(name + ".pub")
        sign = ["ssh-keygen", "-Y", "sign", "-q", "-f", str(path), "-n", NAMESPACE]
        sig = subprocess.run(sign, input=DATA, capture_output=True, check=True).stdout.decode()
        signatures.append((f"p{len(signatures)}", sig))
    policy = parse_policy(policy_text(keys).encode(), "policies/release.toml")
    per_type: dict[str, list[float]] = {"in-process": [], "ssh-keygen": []}
    for way in ("in-process", "ssh-keygen", "in-process", "ssh-keygen"):
        os.environ.pop("GATE_SSH_VERIFY", None)
        if way == "ssh-keygen":
            os.environ["GATE_SSH_VERIFY"] = "ssh-keygen"
        with Verifier(policy) as verifier:
            start = time.perf_counter()
            for i in range(count):
                person, sig = signatures[i % len(signatures)]
                assert verifier.data_problem(person, DATA, sig) is None
            per_type[way].append((time.perf_counter() - start) * 1000 / count)
    inproc, keygen = (statistics.median(per_type[w]) for w in ("in-process", "ssh-keygen"))
    print(f"{count} signatures ({', '.join(TYPES)} in turn), ms per signature:")
    print(f"  in-process {inproc:.2f}  ssh-keygen {keygen:.2f}  speed-up {keygen / inproc:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as folder:
        run(Path(folder), args.signatures)


if __name__ == "__main__":
    main()
