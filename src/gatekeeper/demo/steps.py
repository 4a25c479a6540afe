"""The demo's steps, each taken as the person who would take it: a release filed a week
ahead and approved, the freeze calendar, then a hotfix shipped in an emergency."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.demo import PEOPLE, TAG, acting_as, environment

if TYPE_CHECKING:
    from gatekeeper.records.session import Session
    from gatekeeper.repo import GitRepo

HOTFIX = "v1.0.1"


def dated(moment: datetime) -> AbstractContextManager[None]:
    """Commits made inside carry `moment` as their author and committer date."""
    return environment(dict.fromkeys(("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"), moment.isoformat()))


@dataclass(frozen=True)
class Demo:
    """The demo's steps."""

    repo: GitRepo
    keys: dict[str, Path]
    files: Path
    say: Callable[[str], None]
    now: datetime

    def session(self, who: str, tag: str = TAG) -> Session:
        from gatekeeper.records.session import open_session

        return replace(open_session(self.repo, tag, self.keys[who]), now=datetime.now(UTC))

    def request(self) -> None:
        """Filed eight days ago: 上线预知 asks for a week's notice of a normal release."""
        from gatekeeper.records.recording import RequestFields, file_request

        filed = self.now - timedelta(days=8)
        with acting_as("dave"), dated(filed - timedelta(minutes=5)):
            self.repo.commit_files(["policies/release.toml", "app.py"], "app and release policy")
        with acting_as("dave"), dated(filed):
            self.say("1. dave (ops) filed the release request eight days ago (上线预知), signed")
            fields = RequestFields(
                "First release", summary="hello world", rollback_plan="redeploy the previous build"
            )
            file_request(replace(self.session("dave"), now=filed), TAG, fields)

    def check(self, label: str, tag: str = TAG) -> None:
        from gatekeeper.check.evaluation import check_release
        from gatekeeper.render.text import check as render

        self.say(f"\n{label}")
        self.say(render(check_release(self.repo, tag)))

    def approve(self) -> None:
        from gatekeeper.records.recording import sign_off

        for pid in ("alice", "bob", "carol"):
            role = PEOPLE[pid][1]
            with acting_as(pid):
                self.say(f"\n3. {pid} approves as {role} (an ssh-keygen -Y signature in the file)")
                sign_off(self.session(pid), TAG, role, "approve", "looks good")

    def attach_evidence(self) -> None:
        from gatekeeper.records.attaching import attach

        with acting_as("dave"):
            self.say("\n4. dave attaches the test report, the backups and the environment check")
            for kind, source, sets in self._evidence(env_check=True):
                attach(self.session("dave"), TAG, kind, source, sets)
        with acting_as("alice"):
            self.say("\n5. alice (product) publishes the launch notice")
            attach(self.session("alice"), TAG, "launch-notice", self.files / "notice.md", {})

    def _evidence(self, *, env_check: bool) -> list[tuple[str, Path | None, dict[str, str]]]:
        evidence: list[tuple[str, Path | None, dict[str, str]]] = [
            ("test-report", self.files / "report.xml", {}),
            ("backup", None, {"target": "database", "location": "s3://backups/db"}),
            ("backup", None, {"target": "files", "location": "s3://backups/files"}),
        ]
        if env_check:
            evidence.append(("env-check", None, {"servers": "pass", "database": "pass"}))
        return evidence

    def freeze(self, window: tuple[datetime, datetime]) -> None:
        """The freeze calendar, and what a tag inside the window would have been told."""
        from gatekeeper.check.evaluation import CheckOptions, check_release
        from gatekeeper.gates.calendar import freeze_spans
        from gatekeeper.models.gates import FreezeGate
        from gatekeeper.policy.loading import load_policy
        from gatekeeper.render import calendar
        from gatekeeper.zones import zone

        policy = load_policy(self.repo, "HEAD").policy
        gates = [g for g in policy.all_gates() if isinstance(g, FreezeGate)]
        now = self.now.astimezone(zone(gates[0].timezone))
        until = now + timedelta(days=7)
        self.say("\n7. gate freeze: the freeze windows of the coming week (封网)")
        self.say(calendar.text(freeze_spans(gates, now, until), now, until, now))
        inside = window[0] + timedelta(hours=1)
        report = check_release(self.repo, TAG, CheckOptions(at="now", now=inside))
        frozen = next(g for g in report.gates if g.id == "freeze")
        self.say(f"   gate check {TAG} --at {inside:%Y-%m-%dT%H:%M%z}: {frozen.reasons[0]}")

    def tag_and_verify(self) -> None:
        from gatekeeper.check.receipt_verify import verify
        from gatekeeper.check.tagging import create_release_tag

        report, created = create_release_tag(self.repo, TAG, "HEAD", None, sign=True)
        if created:
            self.say(
                f"\n8. gate tag {TAG} --sign: tagged {report.revision[:12]}, with a receipt "
                "(in-toto Statement, SLSA verification summary) in the signed tag message"
            )
            ok, bad = verify(self.repo, TAG, None)
            self.say(f"\n9. gate verify-receipt {TAG}: {len(ok)} checks hold, {len(bad)} fail")

    def hotfix(self) -> None:
        """重大问题处理流程: a fix ships at once; leadership declares the emergency."""
        from gatekeeper.check.tagging import create_release_tag
        from gatekeeper.records.attaching import attach
        from gatekeeper.records.recording import RequestFields, declare_emergency, file_request

        (self.repo.root / "app.py").write_text("print('hello, fixed release')\n", "utf-8")
        with acting_as("dave"):
            self.repo.commit_files(["app.py"], "fix: checkout crashes")
            self.say(f"\n10. checkout is down in production: dave files {HOTFIX} now")
            fields = RequestFields("Hotfix", summary="checkout crash", rollback_plan=TAG)
            file_request(self.session("dave", HOTFIX), HOTFIX, fields)
            for kind, source, sets in self._evidence(env_check=False):
                attach(self.session("dave", HOTFIX), HOTFIX, kind, source, sets)
        self.check(f"11. gate check {HOTFIX}: filed today, nothing approved — it fails", HOTFIX)
        with acting_as("erin"):
            self.say("\n12. erin (leadership) declares an emergency, with the incident ticket")
            session = self.session("erin", HOTFIX)
            declare_emergency(session, HOTFIX, "checkout down for all users", "INC-2041")
        self.check(f"13. gate check {HOTFIX}: waived, except tests and backup", HOTFIX)
        create_release_tag(self.repo, HOTFIX, "HEAD", None, sign=True)
        self.say(f"\n14. gate tag {HOTFIX}: shipped; the waived gates are due again in 48 h:")
        self.status()

    def status(self) -> None:
        from gatekeeper.check.status import statuses
        from gatekeeper.render.text import status

        self.say(status(statuses(self.repo)))
