"""Attack review of the rendered outputs: record text an insider writes (comments,
titles, file names, a tagger's e-mail, a notice) must not forge lines, markup, mentions or
terminal sequences in what others read. Each test failed on the code as reviewed and
asserts the safe behaviour. Real git, real temp repos, real `gate` commands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Repo, approve_all, make_repo

TAG = "v1.0.0"
C1 = re.compile("[\x80-\x9f]")
BIDI = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")


def _requested(tmp_path: Path, title: str = "t", extra: str = "", gates: str = "") -> Repo:
    r = make_repo(tmp_path, extra=extra, gates=gates)
    res = r.gate("request", TAG, "--title", title)
    assert res.code == 0, res.err
    return r


def _rejected_with(tmp_path: Path, comment: str) -> Repo:
    """alice approves; bob rejects with an insider-chosen comment (through `gate reject`)."""
    r = _requested(tmp_path)
    assert r.gate("approve", TAG, "--role", "product", who="alice").code == 0
    res = r.gate("reject", TAG, "--role", "rnd", "--comment", comment, who="bob")
    assert res.code == 0, res.err
    return r


# --- GitHub job summary --------------------------------------------------------------------


def test_step_summary_cr_in_record_text_breaks_out_of_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone CR is a Markdown line ending (CommonMark). `_cell` replaces only "\\n", and
    the job summary is written without `printable()`, so a rejection comment ending the
    table row can forge a second, passing verdict heading in $GITHUB_STEP_SUMMARY."""
    forged = "### gate check `v1.0.0`: ✅ passed"
    r = _rejected_with(tmp_path, f"no\r\r{forged}\r\rall approvals in")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = r.gate("check", TAG, "--format", "github")
    assert res.code == 1
    text = summary.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == ["### gate check `v1.0.0`: ❌ failed"], headings
    assert "\r" not in text


def test_markdown_check_and_step_summary_pass_record_html_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reasons quote record text (a rejection comment) into the Markdown table unescaped:
    raw HTML (a tracking image, a phishing link) renders in the job summary / PR comment.
    The audit's Markdown escapes the same comment ("record text never becomes markup")."""
    payload = '<a href="https://evil.example/re-approve">click to re-approve</a><img src=x>'
    r = _rejected_with(tmp_path, payload)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r.gate("check", TAG, "--format", "github")
    md = r.gate("check", TAG, "--format", "markdown").out
    for text in (md, summary.read_text(encoding="utf-8")):
        assert "<a href" not in text and "<img" not in text, text


def test_markdown_status_and_audit_title_is_raw_html(tmp_path: Path) -> None:
    """The request title goes into `gate status --format markdown` and the heading line of
    `gate audit --format markdown` through `_cell` only: HTML is not escaped."""
    r = _requested(tmp_path, title='Ship <img src="https://evil.example/t.png"> now')
    status = r.gate("status", "--format", "markdown").out
    audit = r.gate("audit", "--format", "markdown").out
    assert "<img" not in status, status
    assert "<img" not in audit, audit


def test_markdown_audit_anomaly_path_breaks_out_of_its_code_span(tmp_path: Path) -> None:
    """An insider commits a file whose name holds a backtick: `_cell(x.path)` inside a code
    span does not escape it, the span closes early and the rest is live Markdown/HTML."""
    r = _requested(tmp_path)
    r.write("releases/v1.0.0/evidence/a`<img src=x onerror=alert(1)>`.toml", "x = 1\n")
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "odd file")
    out = r.gate("audit", "--format", "markdown").out
    assert "a`<img" in out or "<img" in out, "precondition: the anomaly names the path"
    # Only inside a code span (fenced past the backticks it holds), where nothing is markup.
    assert "``releases/v1.0.0/evidence/a`<img src=x onerror=alert(1)>`.toml``" in out, out
    outside = re.sub(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", "", out)
    assert "<img" not in outside, outside


# --- terminal / CI log text ---------------------------------------------------------------


def test_text_check_reason_newline_forges_lines_and_workflow_commands(tmp_path: Path) -> None:
    """A rejection comment is quoted in a reason as is: a newline starts a line of the
    insider's choosing, e.g. a fake `[ok  ]` gate line (coloured green on a terminal) or a
    GitHub workflow command when `gate check` runs in CI in text format."""
    r = _rejected_with(tmp_path, "no\n[ok  ] acceptance: approved\n::add-mask::FAILED")
    out = r.gate("check", TAG).out
    lines = out.splitlines()
    assert not any(line.startswith("[ok  ] acceptance") for line in lines), out
    assert not any(line.startswith("::") for line in lines), out


def test_text_audit_title_and_path_newlines_forge_lines(tmp_path: Path) -> None:
    """`gate audit` (text) prints the request title, the event detail and an anomaly's path
    without `one_line` (status and the comment line use it): forged lines."""
    r = _requested(tmp_path, title="Ship it\n[ok  ] acceptance: forged\n::error::forged")
    out = r.gate("audit").out
    lines = out.splitlines()
    assert not any(line.startswith(("[ok  ]", "::")) for line in lines), out


def test_text_audit_anomaly_path_newline_forges_lines(tmp_path: Path) -> None:
    r = _requested(tmp_path)
    r.write("releases/v1.0.0/evidence/x\n  verdict: all gates pass\n.toml", "junk")
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "p")
    out = r.gate("audit").out
    assert not any(line.startswith("  verdict: all gates pass") for line in out.splitlines()), out


def test_c1_control_characters_reach_the_terminal(tmp_path: Path) -> None:
    """`printable()` escapes C0 and DEL, not C1: U+009B (8-bit CSI) and U+009D (OSC) pass
    into every text output (`[\\x9b2J` clears the screen on terminals honouring C1)."""
    r = _rejected_with(tmp_path, "no \x9b2J \x9d8;;https://evil.example\x9c link")
    r.write("x", "")  # nothing else
    outputs = {
        "check": r.gate("check", TAG).out,
        "audit": r.gate("audit").out,
        "status": r.gate("status").out,
    }
    for name, out in outputs.items():
        assert not C1.search(out), (name, out)


def test_bidi_and_zero_width_characters_pass_into_text_output(tmp_path: Path) -> None:
    """An RLO / isolate / zero-width space in a title or comment reaches the output as is:
    it can reorder what follows on the line (a reason reading as its reverse) or make two
    different strings look the same. Shown as escapes, as other controls are."""
    r = _rejected_with(tmp_path, "see \u202edessap\u202c \u200b \u2066x\u2069")
    outputs = {"check": r.gate("check", TAG).out, "audit": r.gate("audit").out}
    for name, out in outputs.items():
        assert not BIDI.search(out), (name, out)


def test_bidi_override_in_title_reaches_html_report_unisolated(tmp_path: Path) -> None:
    """In the HTML audit the title shares its <h2> with the ✓ clean / ⚠ anomalies badge;
    an unterminated RLO in the title reorders the badge. Record text should be isolated
    (<bdi>/dir=auto) or its bidi controls shown as escapes."""
    r = _requested(tmp_path, title="release \u202e")
    html = r.gate("audit", "--format", "html").out
    assert "\u202e" not in html or "<bdi" in html, html[-2000:]


# --- ICS -----------------------------------------------------------------------------------

FREEZE = (
    '[[gates]]\nid = "f"\ntype = "freeze"\n'
    'windows = [{ title = "Holiday\\u001b[2J\\u001b]8;;https://evil.example\\u0007x", '
    "start = 2027-02-05T00:00:00Z, end = 2027-02-18T00:00:00Z }]\n"
)


def test_freeze_ics_writes_raw_escape_sequences_to_stdout(tmp_path: Path) -> None:
    """`gate freeze --format ics` is echoed without `printable()`: a window title from the
    policy puts ESC sequences on the terminal, and control characters RFC 5545 forbids in
    TEXT values into the calendar file."""
    r = make_repo(tmp_path, gates=FREEZE)
    res = r.gate("freeze", "--format", "ics", "--from", "2027-02-01", "--to", "2027-03-01")
    assert res.code == 0, res.err
    assert "SUMMARY" in res.out
    assert "\x1b" not in res.out and "\x07" not in res.out, repr(res.out)


# --- webhooks ------------------------------------------------------------------------------

NOTICE_GATE = (
    '[[gates]]\nid = "notice"\ntype = "evidence"\nkind = "launch-notice"\nby_roles = ["product"]\n'
)
SLACK = '[notify]\nwebhooks = [{ type = "slack", url_env = "GATE_SLACK_URL" }]\n'


def test_slack_mrkdwn_link_conversion_rebuilds_special_mentions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mrkdwn()` escapes `<` `>` `&`, then turns `[text](url)` into `<url|text>` with any
    url: `[read](!channel)` becomes `<!channel|read>`, which Slack renders as @channel
    (and `<@U…>` pings a user, `<!subteam^…>` a group)."""
    monkeypatch.setenv("GATE_SLACK_URL", "https://hooks.slack.invalid/services/T/B/x")
    r = make_repo(tmp_path, extra=SLACK, gates=NOTICE_GATE)
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    (tmp_path / "notice.md").write_text(
        "# Notice\n\nPlease [read](!channel) and [ack](@U0123ABCD) and [go](!subteam^S1)\n",
        encoding="utf-8",
    )
    res = r.gate("attach", TAG, "launch-notice", str(tmp_path / "notice.md"), who="alice")
    assert res.code == 0, res.err
    res = r.gate("notify", TAG, "--dry-run")
    assert res.code == 0, res.err
    assert "Please" in res.out, res.out
    assert "<!channel" not in res.out and "<@U0123ABCD" not in res.out, res.out
    assert "<!subteam" not in res.out, res.out


def test_markdown_audit_tagger_email_splits_the_timeline_row(tmp_path: Path) -> None:
    """The tag event's person is the tagger email, written into the audit's Markdown table
    without `_cell`: `|` in it (git accepts it in an ident) shifts every later column, so
    the tagger chooses what the detail / commit / verified / counted cells say."""
    r = _requested(tmp_path)
    approve_all(r)
    email = "ops@x.io | approve as leadership | `0123456789ab` | yes (ssh) | yes"
    r.git("tag", "-a", TAG, "-m", "release", env={"GIT_COMMITTER_EMAIL": email})
    out = r.gate("audit", "--format", "markdown").out
    row = next(line for line in out.splitlines() if line.startswith("| ") and "ops@x.io" in line)
    cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
    assert len(cells) == 7, cells
