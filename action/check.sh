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
  branch="${DEFAULT_BRANCH:-main}"
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
    if git push --quiet origin --delete "refs/tags/$failed"; then
      echo "::warning title=gatekeeper::deleted unapproved tag $failed from origin"
    else
      echo "::error title=gatekeeper::could not delete tag $failed from origin"
    fi
  done
fi
exit "$code"
