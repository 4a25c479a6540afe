"""`gate notify TAG`, as a numbered checklist: nothing is sent unless the release passes the
check `gate check TAG` runs, and nothing is sent that could not then be recorded."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gatekeeper.errors import GateError, InputError
from gatekeeper.notify.config import SmtpOptions

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.check.report import Report
    from gatekeeper.models.notify import Notify
    from gatekeeper.notify.delivery import Delivery, Outcome
    from gatekeeper.notify.message import Notice
    from gatekeeper.records.session import Session
    from gatekeeper.records.writing import Written
    from gatekeeper.repo import GitRepo

KIND = "notice-sent"


@dataclass(frozen=True)
class NotifyOptions:
    """What `gate notify` was asked for."""

    policy_ref: str | None = None
    only: tuple[str, ...] = ()  # channel names; empty: every channel of [notify]
    resend: bool = False  # send to channels a notice-sent record already names
    dry_run: bool = False
    smtp: SmtpOptions = field(default_factory=SmtpOptions)
    timeout: float = 10.0
    key: str | None = None
    commit: bool = True


@dataclass(frozen=True)
class Publication:
    """What `gate notify` did: refused (the report says why), previewed, or sent."""

    report: Report
    notice: Notice | None = None
    deliveries: tuple[Delivery, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    written: Written | None = None
    person: str = ""
    record_problem: str = ""  # sent, but the notice-sent record could not be written

    @property
    def refused(self) -> bool:
        """The release fails its gates: nothing was sent."""
        return not self.report.passed

    @property
    def passed(self) -> bool:
        """Every channel sent to without a problem, and recorded."""
        ok = all(o.ok for o in self.outcomes) and not self.record_problem
        return not self.refused and ok


def publish(
    repo: GitRepo, tag: str, opts: NotifyOptions, env: Mapping[str, str] | None = None
) -> Publication:
    """Check, plan every channel, send, record."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.envflags import in_ci
    from gatekeeper.notify.config import check_options
    from gatekeeper.records.session import open_session

    check_options(opts.smtp, opts.timeout)  # 0. values no server could be reached with
    if opts.policy_ref is None and in_ci(os.environ if env is None else env):
        # A runner judges under the trusted policy, never the tagged commit's own: a
        # release branch's weakened policy would send the notice (and record it).
        raise InputError(
            "gate notify on a CI runner without --policy-ref; expected the trusted branch "
            "whose policy says who approves and whom to tell",
            hint="run `gate notify TAG --policy-ref main` (your default branch)",
        )
    evaluation = evaluate(repo, tag, CheckOptions(policy_ref=opts.policy_ref))  # 1. the check
    if not evaluation.report.passed:
        return Publication(evaluation.report)
    notice, deliveries = plan(evaluation, opts, os.environ if env is None else env)  # 2.
    refuse_repeat(repo, evaluation, [d.channel for d in deliveries], resend=opts.resend)  # 3.
    session = open_session(repo, tag, opts.key)  # 4. who records it, with which key
    done = Publication(evaluation.report, notice, tuple(deliveries), person=session.person)
    if opts.dry_run:
        return done
    outcomes = tuple(d.send() for d in deliveries)  # 5. send
    if not any(o.sent for o in outcomes):
        return replace(done, outcomes=outcomes)
    try:  # 6. record what reached its channel
        written = record(session, tag, notice, outcomes, commit=opts.commit)
    except GateError as exc:
        return replace(done, outcomes=outcomes, record_problem=exc.message)
    return replace(done, outcomes=outcomes, written=written)


def plan(
    evaluation: Evaluation, opts: NotifyOptions, env: Mapping[str, str]
) -> tuple[Notice, list[Delivery]]:
    """The notice and a delivery per selected channel; exit 2 on anything missing."""
    from gatekeeper.notify import mail, webhooks
    from gatekeeper.notify.config import endpoints, recipients, smtp_settings
    from gatekeeper.notify.message import notice_of

    policy = evaluation.policy.policy
    notify = policy.notify
    if notify is None:
        raise InputError(
            f"policy at {evaluation.policy.commit[:12]}: no [notify] table; nobody to send to",
            hint='add [notify] with email = ["..."] and/or webhooks = [...] (docs/notify.md)',
        )
    notice = notice_of(evaluation, notify)
    wanted = _selected(notify, opts.only)
    deliveries = []
    if "email" in wanted:
        smtp = smtp_settings(opts.smtp, env, opts.timeout)
        to = recipients(policy, notify)
        if not to:
            raise InputError(
                "[notify]: email: nobody to send to (the roles listed have no members)",
                hint="add addresses to [notify] email, or members to the roles",
            )
        now = datetime.now(UTC).astimezone()  # the Date header in the sender's own zone
        deliveries.append(mail.delivery(notice, smtp, to, now))
    deliveries += [
        webhooks.delivery(ep, notice, opts.timeout) for ep in endpoints(notify, env, wanted)
    ]
    return notice, deliveries


def _selected(notify: Notify, only: tuple[str, ...]) -> set[str]:
    """The channels to send to: `--only` ones, else all that [notify] names."""
    from gatekeeper.models.tomlfile import did_you_mean

    available = ["email"] if notify.email or notify.roles else []
    available += [hook.channel for hook in notify.webhooks]
    if not available:
        raise InputError(
            "[notify] names no channel: no email, roles or webhooks",
            hint="add email = [...] or webhooks = [...] to [notify]",
        )
    for name in only:
        if name not in available:
            raise InputError(
                f"--only {name}: not a channel of [notify]" + did_you_mean(name, available),
                hint=f"channels: {', '.join(available)}",
            )
    return set(only or available)


def refuse_repeat(
    repo: GitRepo, evaluation: Evaluation, channels: list[str], *, resend: bool
) -> None:
    """A notice is sent once per channel: a channel a notice-sent record (at HEAD) already
    names is refused unless `resend`, so a re-run after a partial failure resends nothing."""
    from gatekeeper.evidence.notice_sent import NoticeSentDetails
    from gatekeeper.records.reading import read_release

    head = repo.head()
    if resend or head is None:
        return
    tag = evaluation.report.release
    records = read_release(repo, head, evaluation.policy.policy.releases, tag)
    done: dict[str, str] = {}
    for item in records.evidence:
        if item.manifest.kind == KIND and isinstance(item.details, NoticeSentDetails):
            for channel in item.details.channels:
                done.setdefault(channel, item.path)
    again = [c for c in channels if c in done]
    if not again:
        return
    rest = [c for c in channels if c not in done]
    others = f"send the rest with {' '.join(f'--only {c}' for c in rest)}, or " if rest else ""
    raise InputError(
        f"{tag}: the launch notice was already sent to {', '.join(again)} ({done[again[0]]})",
        hint=f"{others}send it again with --resend",
    )


def record(
    s: Session, tag: str, notice: Notice, outcomes: tuple[Outcome, ...], *, commit: bool
) -> Written:
    """The `notice-sent` record, written and signed as `gate attach` writes evidence."""
    from gatekeeper.records.attaching import attach

    emailed = next((o for o in outcomes if o.channel == "email" and o.sent), None)
    sets = {  # `sent_at` is now: the kind's own default
        "channels": ",".join(o.channel for o in outcomes if o.sent),
        "recipients": str(emailed.recipients if emailed else 0),
        "message_id": emailed.message_id if emailed else "",
        "notice": notice.path,
        "notice_sha256": notice.sha256,
    }
    return attach(s, tag, KIND, None, sets, commit=commit)
