#!/usr/bin/env bash
# The job of templates/release-gate.yml and templates/release-gate-scheduled.yml (GitLab
# CI/CD). Every input arrives through an environment variable, never interpolated into the
# script, so a hostile tag or branch name stays data.
#
#   GATE_TAG         release tag (default: the pushed tag, $CI_COMMIT_TAG)
#   GATE_POLICY_REF  trusted ref for the policy (default: origin's $CI_DEFAULT_BRANCH)
#   GATE_ON_FAIL     fail | delete-tag
#   GATE_ALL_TAGS    true: check every release tag (the scheduled re-check)
#   GATE_JUNIT       where the JUnit report goes (artifacts: reports: junit)
#   GATE_REPORT      where the JSON report goes
#   GATE_TOKEN       CI/CD variable (masked): a token allowed to delete tags; only for
#                    delete-tag, sent as an HTTP header, never printed, never in a URL
#
# Every python runs with -I: the working directory is the tagged commit, and a `json.py`
# or `pip/` planted there must not be imported in place of the real one.
set -uo pipefail

say() { printf 'gatekeeper: %s\n' "$*"; }

on_fail="${GATE_ON_FAIL:-fail}"
case "$on_fail" in
  fail|delete-tag) ;;
  *) say "ERROR: on-fail must be 'fail' or 'delete-tag'"; exit 2 ;;
esac
# The reports are written outside the checkout and copied to the artifact paths at the
# end: the tagged tree could hold a folder or a link where they go.
junit_out="${GATE_JUNIT:-gate-junit.xml}"
report_out="${GATE_REPORT:-gate-report.json}"
work="$(mktemp -d)"
junit="$work/junit.xml"
report="$work/report.json"
errors="$work/errors"
publish() {
  rm -rf -- "$junit_out" "$report_out"
  [ -e "$junit" ] && cp -- "$junit" "$junit_out"
  [ -e "$report" ] && cp -- "$report" "$report_out"
  rm -rf -- "$work"
}
trap publish EXIT

# A JUnit report even when gate could not run (bad tag name, no history): the pipeline's
# Tests tab then says why instead of showing nothing.
error_report() {
  python3 -I - "$junit" "$1" "$2" <<'PY'
import sys
from xml.etree.ElementTree import Element, ElementTree, SubElement
def clean(text):  # printable and XML-legal, whatever the tag name or message held
    return "".join(c if c.isprintable() or c == "\n" else "\\u%04x" % ord(c) for c in text)
path, release, message = sys.argv[1], clean(sys.argv[2]), clean(sys.argv[3])
counts = {"tests": "1", "failures": "0", "errors": "1", "skipped": "0"}
root = Element("testsuites", name="gate check", **counts)
suite = SubElement(root, "testsuite", name=release, **counts)
case = SubElement(suite, "testcase", classname=release, name="gate check could not run")
SubElement(case, "error", message=message.replace("\n", " ")).text = message
ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
PY
}

fail_input() {
  say "ERROR: $1"
  error_report "${2:-gate}" "$1"
  exit 2
}

# 1. History is the evidence: gate refuses a shallow clone, so undo GitLab's default depth.
if [ "$(git rev-parse --is-shallow-repository)" = "true" ]; then
  git fetch --quiet --unshallow origin || fail_input "could not fetch full history (set GIT_DEPTH: 0)"
fi
# 2. Every release tag (the previous release matters to changed-path gates).
git fetch --quiet --force origin "+refs/tags/*:refs/tags/*" || fail_input "could not fetch tags"

# 3. The trusted policy: the default branch as origin has it, never the tagged tree.
policy_ref="${GATE_POLICY_REF:-}"
if [ -z "$policy_ref" ]; then
  branch="${CI_DEFAULT_BRANCH:-}"
  if [ -z "$branch" ] || ! git check-ref-format --branch "$branch" >/dev/null 2>&1; then
    fail_input "CI_DEFAULT_BRANCH is not a branch name; set the policy-ref input"
  fi
  git fetch --quiet origin "+refs/heads/$branch:refs/remotes/origin/$branch" \
    || fail_input "could not fetch the default branch '$branch' from origin"
  policy_ref="refs/remotes/origin/$branch"
fi

# 4. The check.
if [ "${GATE_ALL_TAGS:-false}" = "true" ]; then
  release="all release tags"
  gate check --all-tags --policy-ref="$policy_ref" --format junit \
    --report-json "$report" >"$junit" 2>"$errors"
  code=$?
else
  tag="${GATE_TAG:-${CI_COMMIT_TAG:-}}"
  [ -n "$tag" ] || fail_input "no tag to check: run on a tag pipeline or set the tag input"
  release="$tag"
  # The pipeline deploys CI_COMMIT_SHA; the tag was just fetched as origin has it now. If
  # it was moved since the push, this pipeline's commit is not what the tag names (the
  # moved tag's own pipeline judges that): fail, and delete nothing.
  if [ -z "${GATE_TAG:-}" ] || [ "$tag" = "${CI_COMMIT_TAG:-}" ]; then
    tagged="$(git rev-parse --verify --quiet --end-of-options "refs/tags/$tag^{commit}")"
    running="$(git rev-parse --verify --quiet --end-of-options "${CI_COMMIT_SHA:-HEAD}^{commit}")"
    if [ -z "$tagged" ] || [ "$tagged" != "$running" ]; then
      say "ERROR: origin's tag names ${tagged:-nothing}, but this pipeline runs ${running:-an unknown commit}: the tag was moved or deleted after the push; this pipeline's commit is not judged and must not be deployed"
      error_report "$tag" "the tag was moved after the push: this pipeline's commit is not the release"
      exit 1
    fi
  fi
  # A tag push is judged now, not at the tagger date the pusher wrote (TTLs, backup ages).
  gate check --tag="$tag" --policy-ref="$policy_ref" --at now --format junit \
    --report-json "$report" >"$junit" 2>"$errors"
  code=$?
fi
cat "$errors" >&2

# 5. The verdict in the job log, from the JSON report (control characters escaped: the
# log is rendered like a terminal, and record data must not draw in it).
if [ "$code" -le 1 ] && [ -s "$report" ]; then
  python3 -I - "$report" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
bad = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
def s(text):
    return bad.sub(lambda m: "\\u%04x" % ord(m.group()), str(text))
for rel in data.get("releases", [data]):
    print("release %s: %s" % (s(rel["release"]), "PASSED" if rel["passed"] else "FAILED"))
    for warning in rel["warnings"]:
        print("  warning: " + s(warning))
    for g in rel["gates"]:
        mark = "skip" if not g["applies"] else "wait" if g["pending"] else "ok  " if g["passed"] else "FAIL"
        print("[%s] %s: %s" % (mark, s(g["id"]), s(g["title"])))
        for reason in g["reasons"]:
            print("         " + s(reason))
PY
else
  error_report "$release" "$(tail -n 5 "$errors")"
fi

# 6. Delete only on a gate failure (exit 1), never on bad input (exit 2): a name gate
# refused is never passed on to git. First with git over HTTPS; GitLab refuses a push that
# deletes a protected tag (that works only in the web UI or the REST API, for Maintainers),
# so then through the API. The token reaches git and python only through their environment
# (exported by builtins): never in a process's argv, in .git/config, or in a URL git prints.
push_delete() {
  local url auth n
  if [ -n "${CI_SERVER_URL:-}" ] && [ -n "${CI_PROJECT_PATH:-}" ]; then
    url="${CI_SERVER_URL%/}/${CI_PROJECT_PATH}.git"
  else  # the clone URL without the job token in it
    url="$(printf '%s' "${CI_REPOSITORY_URL:-}" | sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://)[^@/]*@#\1#')"
  fi
  auth="$(printf 'oauth2:%s' "$GATE_TOKEN" | base64 | tr -d '\n')"
  n="${GIT_CONFIG_COUNT:-0}"
  (
    export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_COUNT="$((n + 1))"
    export "GIT_CONFIG_KEY_$n=http.extraHeader" "GIT_CONFIG_VALUE_$n=Authorization: Basic $auth"
    # Only the tag object judged ($2): one made again under the name since is left.
    git push --quiet --force-with-lease="refs/tags/$1:$2" "$url" ":refs/tags/$1"
  )
}

api_delete() {
  [ -n "${CI_API_V4_URL:-}" ] && [ -n "${CI_PROJECT_ID:-}" ] || return 1
  python3 -I - "$1" "$2" <<'PY'
import json, os, sys, urllib.error, urllib.parse, urllib.request
url = "%s/projects/%s/repository/tags/%s" % (
    os.environ["CI_API_V4_URL"].rstrip("/"),
    urllib.parse.quote(os.environ["CI_PROJECT_ID"], safe=""),
    urllib.parse.quote(sys.argv[1], safe=""),
)
headers = {"PRIVATE-TOKEN": os.environ["GATE_TOKEN"]}
try:
    # Only the tag judged: one made again under the name since is left (its target is
    # the tag object for an annotated tag, the commit for a lightweight one).
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as got:
        tag = json.load(got)
    if sys.argv[2] not in {tag.get("target"), (tag.get("commit") or {}).get("id")}:
        sys.exit("GitLab API: the tag was made again since it was judged; not deleted")
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE", headers=headers), timeout=60):
        pass
except urllib.error.HTTPError as exc:
    sys.exit("GitLab API: DELETE tag answered HTTP %d" % exc.code)
except OSError as exc:
    sys.exit("GitLab API: %s" % type(exc).__name__)
PY
}

failing_releases() {
  python3 -I - "$report" <<'PY'
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
for release in data.get("releases", [data]):
    if not release["passed"]:
        print(release["release"])
PY
}

if [ "$code" -eq 1 ] && [ "$on_fail" = "delete-tag" ]; then
  if [ -z "${GATE_TOKEN:-}" ]; then
    say "ERROR: on-fail delete-tag needs the CI/CD variable GATE_TOKEN (a token that may delete tags); nothing was deleted"
  else
    failing_releases | while IFS= read -r failed; do
      judged="$(git rev-parse --verify --quiet "refs/tags/$failed")"
      if [ -z "$judged" ]; then
        say "ERROR: tag $failed is not here any more; nothing was deleted"
      elif push_delete "$failed" "$judged" 2>"$errors"; then
        say "deleted unapproved tag $failed from origin"
      elif api_delete "$failed" "$judged" 2>>"$errors"; then
        say "deleted unapproved tag $failed from origin (through the API: git may not delete a protected tag)"
      else
        say "ERROR: could not delete tag $failed from origin (GATE_TOKEN needs the api scope and the Maintainer role to delete a protected tag)"
        sed 's/^/  /' "$errors"
      fi
    done
  fi
fi
exit "$code"
