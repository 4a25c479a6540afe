"""Attack review of `gate notify` and release receipts, by a helper session. Each test
failed on the code it was written against. Real git, real `gate` commands (through the
CLI app, as the project's own tests run it), a real SMTP server (aiosmtpd) and a real
HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity, make_repo
from test_failclosed_trust import _approve_ssh, _as, keys, signed  # noqa: F401 (fixtures)
from test_notify import (
    EMAIL,
    NOTICE,
    NOTICE_GATE,
    TAG,
    _no_proxy,  # noqa: F401 (an autouse fixture)
    _ready,
    _smtp_env,
    robots,
    smtp_server,
)


def _released(tmp_path: Path, notify: str, title: str) -> Repo:
    """An approved release with a launch notice by the product office; the request's
    title is the requester's (any insider's) free text."""
    return _ready(tmp_path, notify, title=title, who="carol")


# --- 1. mail header injection through an RFC 2047 encoded-word in the request title ------

INJECTED_TITLE = (
    "支付改版 =?utf-8?q?=0D=0AReply-To=3A_attacker=40evil=2Eexample=0D=0A"
    "X-Release-Verdict=3A_APPROVED?="
)


def test_encoded_word_in_the_title_cannot_inject_mail_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the requester (any insider) files a request whose title holds an RFC 2047
    encoded-word that decodes to CR LF + `Reply-To: attacker@evil.example` (and any other
    header). The policy's subject uses `{title}` (as docs/notify.md's example does).

    What happens: `_subject` collapses real whitespace only, so the encoded-word survives;
    `mail.build` assigns it to `msg["Subject"]`, the email package *decodes* encoded-words
    when it parses a header value set on a message, so the stored subject holds a real
    CR LF, and Python 3.11.7's generator (pre CVE-2024-6923 fix) writes it unquoted. The
    recipients' mail carries a `Reply-To:` (and `X-Release-Verdict:`) header gatekeeper
    never set; replies to the launch notice go to the attacker. With two CR LFs the body
    can be replaced too.

    At fault: notify/message.py `_subject` / notify/mail.py `build` (no check that the
    subject as the email package stores it is one line; email.policy without
    `verify_generated_headers`).

    Rule that should catch it: a value from a record is one printable line *as sent*:
    encode the subject explicitly (email.header.Header / a policy that refuses CR LF in
    generated headers), or refuse `=?` ... `?=` in titles used in headers.
    """
    r = _released(tmp_path, EMAIL, INJECTED_TITLE)
    before = r.state()
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG)
    assert inbox.messages == [], res.out + res.err  # nothing sent, nothing recorded
    assert res.code == 2 and "holds an encoded word" in res.err and "hint:" in res.err
    assert r.state() == before
    (tmp_path / "plain").mkdir()
    plain = _released(tmp_path / "plain", EMAIL, "支付改版 =? ?= (not an encoded word)")
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        assert plain.gate("notify", TAG).code == 0
    raw = inbox.messages[0]["data"].decode("ascii", "replace")
    header_block = raw.split("\r\n\r\n", 1)[0]
    names = [line.split(":", 1)[0] for line in header_block.split("\r\n") if line[:1] not in " \t"]
    assert "Reply-To" not in names, header_block


# --- 2. Slack mention / link injection through the subject's `text` fallback --------------

SLACK = (
    '[notify]\nsubject = "上线通告 / Release {tag}: {title}"\n'
    'webhooks = [{ type = "slack", url_env = "GATE_SLACK_URL" }]\n'
)


def test_a_title_cannot_ping_the_whole_slack_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the requester titles the release `<!channel> rollback NOW: see
    <https://evil.example/login|the runbook>`. The policy's subject uses `{title}`.

    What happens: payloads.slack puts `notice.subject` unescaped into the top-level
    `text` field, which Slack parses as mrkdwn (the field notifications show), so the
    notice pings everyone in the channel (`<!channel>`) and shows a disguised link. The
    body sections escape `&<>` (mrkdwn()) and the header block is plain_text, but the
    `text` field escapes nothing.

    At fault: notify/payloads.py `slack` (`{"text": notice.subject, ...}`).

    Rule that should catch it: threat-model row "a Slack mention ... into a title ...
    only http(s)/mailto links for Slack": every value from a record is `&<>`-escaped in
    mrkdwn (use `_escape(notice.subject)` for `text`).
    """
    title = "<!channel> rollback NOW: see <https://evil.example/login|the runbook>"
    r = _released(tmp_path, SLACK, title)
    with robots() as hub:
        monkeypatch.setenv("GATE_SLACK_URL", f"{hub.base}/slack/services/T0/B0/tok")
        res = r.gate("notify", TAG)
    assert "slack" in hub.received, res.out + res.err
    text = hub.received["slack"]["json"]["text"]
    assert "<!channel>" not in text, text
    assert "<https://evil.example/login|" not in text, text


# --- 3. a webhook URL's password printed when the URL carries user:password@ -------------


def test_a_webhook_password_in_the_url_never_reaches_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack/accident: a Slack-compatible robot (Mattermost, Rocket.Chat behind a proxy
    with basic auth) is configured as `https://relay:<password>@host/hooks/...` in the CI
    secret GATE_SLACK_URL. CI masks the whole secret, not the password inside it.

    What happens: config._endpoint accepts the URL (urlsplit finds no port); urllib hands
    `relay:<password>@host` to http.client as host:port, which raises
    InvalidURL("nonnumeric port: '<password>@host'"). InvalidURL is an HTTPException, so
    webhooks._unsendable prints `str(exc)` with only the *whole* URL replaced by ***; the
    password is printed on stdout (the CI log) as `slack: FAILED: ... did not answer in
    HTTP (InvalidURL: nonnumeric port: '<password>@127.0.0.1')`.

    At fault: notify/config.py `_endpoint` (accepts userinfo) and notify/webhooks.py
    `_unsendable` (quotes an exception that holds part of the URL).

    Rule that should catch it (docs/notify.md): "URLs and secrets never reach the output";
    refuse a URL with userinfo at exit 2, and never quote exception text built from it.
    """
    password = "S3cretPW-do-not-print"  # noqa: S105 (the secret that must not be printed)
    r = _released(tmp_path, SLACK, "支付改版")
    monkeypatch.setenv("GATE_SLACK_URL", f"https://relay:{password}@127.0.0.1/hooks/abc")
    res = r.gate("notify", TAG)
    assert password not in res.out + res.err, res.out + res.err


# --- 4. `gate audit --format intoto` hands out hand-typed receipts as attestations --------


def _tag_with_message(r: Repo, tag: str, message: str, target: str = "HEAD") -> None:
    path = r.path.parent / f"{tag}-message.txt"
    path.write_text(message)
    r.git("tag", "-f", "-a", "-F", str(path), "--cleanup=verbatim", tag, r.git("rev-parse", target))


def test_the_intoto_audit_does_not_publish_a_forged_passing_receipt(tmp_path: Path) -> None:
    """Attack: an insider tags an unapproved release v1.1.0 by hand and types into the tag
    message a receipt copied from v1.0.0's, edited to name v1.1.0 (PASSED, every gate
    passed). The tag-push CI job may delete the tag later, but until then (or if the
    scheduled job runs with `on-fail: fail`) it is there.

    What happens: `gate audit --format intoto` (cli/auditing.py `audit` ->
    check/receipt.py `receipts`) extracts every receipt the release tags carry and prints
    them as the audit's in-toto Statements, verified by nothing: an auditor (or a
    policy engine fed this output) receives a Statement saying v1.1.0 PASSED its
    verification, although the same audit's own check at that tag fails.

    At fault: check/receipt.py `receipts` (extract only, no verify) used by
    cli/auditing.py `audit` for `--format intoto`.

    Rule that should catch it (design.md): "Receipts prove nothing by themselves" — a
    receipt is only vouched for after `verify-receipt`'s fresh evaluation; the audit
    should emit only receipts that verify (or state per receipt that it does not), never
    a bare PASSED Statement for a release its check fails.
    """
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    message = r.git("cat-file", "tag", "v1.0.0").partition("\n\n")[2]
    assert r.gate("request", "v1.1.0", "--title", "not approved", who="carol").code == 0
    assert r.gate("check", "v1.1.0").code == 1
    head = r.git("rev-parse", "HEAD")
    forged = message.replace("v1.0.0", "v1.1.0")
    begin = forged.index("{")
    end = forged.rindex("}") + 1
    doc = json.loads(forged[begin:end])
    doc["subject"][0]["digest"]["gitCommit"] = head
    forged = forged[:begin] + json.dumps(doc, indent=2) + forged[end:]
    _tag_with_message(r, "v1.1.0", forged)
    assert r.gate("verify-receipt", "v1.1.0", "--allow-unsigned").code == 1  # verify: caught
    res = r.gate("audit", "v1.1.0", "--format", "intoto")
    assert res.code == 0, res.out + res.err
    statements = json.loads(res.out)
    passing = [
        s
        for s in statements
        if s["subject"][0]["name"] == "refs/tags/v1.1.0"
        and s["predicate"]["verificationResult"] == "PASSED"
    ]
    assert passing == [], json.dumps(passing)[:400]


# --- 5. a receipt with duplicate keys verifies, and first-key readers see another commit -


def test_a_receipt_with_duplicate_keys_does_not_verify(tmp_path: Path) -> None:
    """Attack: the release manager's approved v1.0.0 tag (made by `gate tag`) is re-made
    by an insider on the same commit with the receipt's JSON carrying `subject` twice: first
    naming an unapproved commit (the build the insider wants deployed), then the real one.

    What happens: check/receipt.py `parse` uses `json.loads`, which keeps the *last*
    duplicate, so `gate verify-receipt` prints VERIFIED (exit 0). A consumer that keeps
    the first key (simdjson on-demand, `object_pairs_hook` readers, many streaming
    parsers) reads the same bytes — the ones gate just vouched for — as a receipt for the
    unapproved commit. The same works for `verificationResult`, `policy`, any claim.

    At fault: check/receipt.py `parse` (no duplicate-key check, no canonical form).

    Rule that should catch it: a receipt is untrusted input; refuse duplicate keys
    (object_pairs_hook) or require the receipt to be byte-identical to
    `json.dumps(..., indent=2, sort_keys=True)` of what it parses to.
    """
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    assert r.gate("verify-receipt", "v1.0.0", "--allow-unsigned").code == 0
    message = r.git("cat-file", "tag", "v1.0.0").partition("\n\n")[2]
    r.write("evil.py", "steal()\n")
    evil = r.commit("unapproved build", who="mallory")
    r.git("reset", "-q", "--hard", "HEAD~1")
    subject = {"digest": {"gitCommit": evil}, "name": "refs/tags/v1.0.0"}
    first = f'"subject": [{json.dumps(subject)}],\n  '
    doubled = message.replace('"_type":', first + '"_type":', 1)
    assert doubled != message
    _tag_with_message(r, "v1.0.0", doubled, "v1.0.0^{}")
    # what a first-key reader makes of the receipt gate is about to vouch for
    body = doubled[doubled.index("{") : doubled.rindex("}") + 1]
    first_wins = json.loads(body, object_pairs_hook=lambda kv: dict(reversed(kv)))
    assert first_wins["subject"][0]["digest"]["gitCommit"] == evil
    res = r.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1, res.out


# --- 6. docs/notify.md's CI job judges the release under the tagged branch's own policy ---


def test_the_documented_ci_notify_does_not_judge_under_a_branch_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: on a release branch an insider drops the R&D sign-off from the policy (and
    may point `[notify] email` wherever they like), gets only product's approval and the
    product office's notice, and pushes the tag. The tag-push job runs the step
    docs/notify.md gives for CI: `gate notify "$TAG" ...` — with no `--policy-ref`.

    What happens: sending.publish evaluates with `CheckOptions(policy_ref=None)`, i.e.
    (policy/loading.py `policy_in_force`) the policy *at the tagged commit*; the release
    passes its own weakened policy and the launch notice "v1.0.0 今晚上线" goes to every
    recipient, and a notice-sent record is written, although under main's policy the
    release fails (`gate notify --policy-ref main` refuses). The check job may delete the
    tag; the mail is out.

    At fault: docs/notify.md "In CI" (omits `--policy-ref`, unlike README's "In CI, pass
    --policy-ref main"); notify/sending.py `publish` has no CI default for the trusted ref.

    Rule that should catch it (threat model, "Weaken the policy ... on a release branch"):
    CI reads the policy from the trusted ref. The documented CI command should pass
    `--policy-ref main`, or `gate notify` on a runner should refuse without one.
    """
    r = make_repo(tmp_path, extra=EMAIL, gates=NOTICE_GATE)
    r.git("checkout", "-q", "-b", "release")
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml", policy.replace('roles = ["product", "rnd"]', 'roles = ["product"]')
    )
    r.commit("simplify", who="mallory")
    assert r.gate("request", TAG, "--title", "支付改版", who="carol").code == 0
    assert r.gate("approve", TAG, "--role", "product", who="alice").code == 0
    (tmp_path / "notice.md").write_text(NOTICE, encoding="utf-8")
    assert (
        r.gate("attach", TAG, "launch-notice", str(tmp_path / "notice.md"), who="alice").code == 0
    )
    r.git("tag", "-a", "-m", "release", TAG)
    assert r.gate("check", TAG, "--policy-ref", "main").code == 1  # the trusted verdict
    r.git("checkout", "-q", "--detach", TAG)  # a tag-push job's checkout
    monkeypatch.setenv("CI", "true")
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG)  # docs/notify.md "In CI" before, without --policy-ref
        assert res.code == 2 and "--policy-ref" in res.err, res.out + res.err
        res = r.gate("notify", TAG, "--policy-ref", "main")  # as docs/notify.md says now
        assert res.code == 1, res.out + res.err
    assert inbox.messages == [], res.out


# --- 7. GATE_SMTP_REQUIRE_TLS with an unrecognised value silently means "no" -------------


@pytest.mark.parametrize("value", ["required", "y"])
def test_an_unrecognised_require_tls_value_is_not_a_silent_no(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Attack (downgrade): the operator sets GATE_SMTP_REQUIRE_TLS=required; an attacker
    on the path strips STARTTLS from the server's EHLO answer (here: a server that offers
    none), hoping the notice goes out in clear — and can then be altered in transit.

    What happens: config.smtp_settings reads it with envflags.flag, which knows only
    1/true/yes/on; anything else is False without a word, so mail._secure sends the
    notice in clear, exit 0. The operator believed TLS was required.

    At fault: notify/config.py `smtp_settings` (`flag(env.get("GATE_SMTP_REQUIRE_TLS"))`).

    Rule that should catch it (design: exit 2 for bad input, naming the field and what
    was expected): a setting that guards security is parsed strictly — anything but a
    known yes/no is exit 2 before sending.
    """
    r = _released(tmp_path, EMAIL, "支付改版")
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        monkeypatch.setenv("GATE_SMTP_REQUIRE_TLS", value)
        res = r.gate("notify", TAG)
    assert inbox.messages == [], res.out
    assert res.code != 0


# --- 8. a receipt appended after the tag's signature is reported as signed ----------------


def test_a_receipt_outside_the_signed_part_of_the_tag_is_not_signed(
    signed: Repo,  # noqa: F811 (the fixture)
    keys: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Attack: dave (a person of the policy) signs a plain release tag with `git tag -s`
    (no receipt: he vouches for nothing gate-related). An insider re-writes the tag
    object as dave's signed bytes followed by a receipt block *after* the
    `-----END SSH SIGNATURE-----` line (hash-object -t tag), and moves the ref.

    What happens: trust/signing.py `split_signed_tag` takes everything from the last
    `-----BEGIN SSH SIGNATURE-----` to the end as the signature; ssh-keygen ignores what
    follows the armour, so the signature verifies over a payload that holds no receipt,
    while receipt_verify.verify reads the receipt from the whole message. `gate
    verify-receipt` (without --allow-unsigned) says "the tag (and so the receipt) is
    signed by dave" and VERIFIED: an unsigned receipt passes the signed-receipt rule.

    At fault: check/receipt_verify.py `verify` / `_signature` (the receipt is not taken
    from the signed payload) and trust/signing.py `split_signed_tag` (trailing bytes after
    the armour accepted).

    Rule that should catch it (design.md): "a receipt that is unsigned ... is reported
    as such (exit 1 unless --allow-unsigned)": read the receipt only from the signed
    payload, and refuse anything after the signature's END line.
    """
    r = signed
    assert _as(r, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    _approve_ssh(r, keys)
    assert r.gate("tag", "v1.0.0").code == 0  # an unsigned gate tag: the receipt to reuse
    message = r.git("cat-file", "tag", "v1.0.0").partition("\n\n")[2]
    block = message[message.index("-----BEGIN GATEKEEPER RECEIPT-----") :]
    r.git("tag", "-d", "v1.0.0")
    r.git("config", "gpg.format", "ssh")
    r.git("config", "user.signingkey", str(keys["dave"]))
    r.git("tag", "-s", "-m", "Release v1.0.0", "v1.0.0", env=identity("dave"))
    raw = r.git("cat-file", "tag", "v1.0.0") + "\n"
    assert "-----END SSH SIGNATURE-----" in raw and "GATEKEEPER" not in raw
    obj = r.hash_object((raw + "\n" + block).encode(), "tag")
    r.git("update-ref", "refs/tags/v1.0.0", obj)
    res = r.gate("verify-receipt", "v1.0.0")
    assert res.code == 1, res.out
