#!/usr/bin/env bash
# The gate step of action.yml. Every input arrives through an environment variable,
# never through ${{ }} in the script, so a hostile tag or branch name stays data.
#
#   INPUT_TAG         release tag (default: the pushed tag, from GITHUB_REF)
#   INPUT_POLICY_REF  trusted ref for the policy (default: origin/<default branch>)
#   INPUT_ON_FAIL     fail | delete-tag
#   INPUT_ALL_TAGS    true: check every release tag (the scheduled re-check)
#   DEFAULT_BRANCH    the repository's default branch
set -uo pipefail

on_fail="${INPUT_ON_FAIL:-fail}"
case "$on_fail" in
  fail|delete-tag) ;;
  *) echo "::error title=gatekeeper::on-fail must be 'fail' or 'delete-tag'"; exit 2 ;;
esac

policy_ref="${INPUT_POLICY_REF:-}"
if [ -z "$policy_ref" ]; then
  branch="${DEFAULT_BRANCH:-}"
  # A scheduled run's event carries no repository; it runs on the default branch. Never
  # a guessed name: a branch called `main` anyone pushed would be the trusted policy.
  if [ -z "$branch" ] && [ "${GITHUB_EVENT_NAME:-}" = "schedule" ] \
     && [ "${GITHUB_REF:-}" != "${GITHUB_REF#refs/heads/}" ]; then
    branch="${GITHUB_REF#refs/heads/}"
  fi
  if [ -z "$branch" ]; then
    echo "::error title=gatekeeper::the default branch is not known from this event: set the 'policy-ref' input"
    exit 2
  fi
  if git rev-parse --verify --quiet "refs/remotes/origin/$branch" >/dev/null; then
    policy_ref="refs/remotes/origin/$branch"
  else
    policy_ref="refs/heads/$branch"
  fi
fi

report="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gate-report.json"
if [ "${INPUT_ALL_TAGS:-false}" = "true" ]; then
  gate check --all-tags --policy-ref="$policy_ref" --format github --report-json "$report"
  code=$?
else
  tag="${INPUT_TAG:-}"
  if [ -z "$tag" ] && [ "${GITHUB_REF:-}" != "${GITHUB_REF#refs/tags/}" ]; then
    tag="${GITHUB_REF#refs/tags/}"
  fi
  if [ -z "$tag" ]; then
    echo "::error title=gatekeeper::no tag to check: run on a tag push or set the 'tag' input"
    exit 2
  fi
  # The run is for GITHUB_SHA (what later jobs deploy). If the pushed tag was moved
  # before the checkout fetched it, that commit is not what the tag names now (the moved
  # tag's own run judges that): fail, and delete nothing.
  pushed=""
  if [ "${GITHUB_REF:-}" != "${GITHUB_REF#refs/tags/}" ]; then pushed="${GITHUB_REF#refs/tags/}"; fi
  if { [ -z "${INPUT_TAG:-}" ] || [ "$tag" = "$pushed" ]; } && [ -n "${GITHUB_SHA:-}" ]; then
    # What origin's tag names now, not the checkout's: actions/checkout points the local
    # tag at GITHUB_SHA when origin's has moved, which would hide the move.
    listed="$(git ls-remote --exit-code origin "refs/tags/$tag" 2>/dev/null)"
    case $? in
      0) if [ "$(git rev-parse --verify --quiet "refs/tags/$tag")" != "${listed%%$'\t'*}" ]; then
           git fetch --quiet --no-tags origin "+refs/tags/$tag:refs/tags/$tag" || true
         fi ;;
      2) git tag -d "$tag" >/dev/null 2>&1 || true ;;  # gone from origin
    esac
    tagged="$(git rev-parse --verify --quiet --end-of-options "refs/tags/$tag^{commit}")"
    running="$(git rev-parse --verify --quiet --end-of-options "$GITHUB_SHA^{commit}")"
    if [ -z "$tagged" ] || [ "$tagged" != "$running" ]; then
      echo "::error title=gatekeeper::the tag was moved or deleted after the push: this run's commit (GITHUB_SHA) is not what it names now; do not deploy it"
      if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "passed=false" >> "$GITHUB_OUTPUT"; fi
      exit 1
    fi
  fi
  # A tag push is judged now, not at the tagger date the pusher wrote (TTLs, backup ages).
  gate check --tag="$tag" --policy-ref="$policy_ref" --at now --format github --report-json "$report"
  code=$?
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "report=$report"; [ "$code" -eq 0 ] && echo "passed=true" || echo "passed=false"; } >> "$GITHUB_OUTPUT"
fi

# Delete only on a gate failure (exit 1), never on bad input (exit 2): a name gate
# refused is never passed on to git.
if [ "$code" -eq 1 ] && [ "$on_fail" = "delete-tag" ]; then
  python3 -I - "$report" <<'PY' | while IFS= read -r failed; do
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
for release in data.get("releases", [data]):
    if not release["passed"]:
        print(release["release"])
PY
    # Only the tag object judged: one re-made under the name meanwhile (the approved
    # release, tagged again) is not this run's to delete.
    judged="$(git rev-parse --verify --quiet "refs/tags/$failed")"
    if [ -n "$judged" ] && git push --quiet --force-with-lease="refs/tags/$failed:$judged" origin ":refs/tags/$failed"; then
      echo "::warning title=gatekeeper::deleted unapproved tag $failed from origin"
    else
      echo "::error title=gatekeeper::could not delete tag $failed from origin (gone, or made again since it was judged)"
    fi
  done
fi
exit "$code"
