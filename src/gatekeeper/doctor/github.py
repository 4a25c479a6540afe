"""9. `--github OWNER/REPO`: the repository's tag rulesets, read through GitHub's REST API.

`GET /repos/{owner}/{repo}/rulesets?includes_parents=true` lists the rulesets that apply
(the organisation's too); `GET /repos/{owner}/{repo}/rulesets/{id}` returns one with its
conditions, rules and bypass actors. The token is read from GITHUB_TOKEN only (never an
option: a command line is visible to every user of the machine), sent only to the API's
own host, and never printed.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Result
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
PAGE = 100
MAX_PAGES = 10
ACCESS_HINT = (
    "export GITHUB_TOKEN with a token that can read the repository's rulesets (bypass "
    "actors are shown only to those who may edit them: a repository admin)"
)


def rulesets(setup: Setup) -> Result:
    """9. Release tags are protected by an active tag ruleset nobody bypasses."""
    from gatekeeper.doctor.rulesets import tag_problems

    options = setup.options
    if options.github is None:
        return Result("not asked (--github OWNER/REPO)", skipped=True)
    api = GitHubApi(options.github, options.api_url, options.environ.get("GITHUB_TOKEN", ""))
    found = api.tag_rulesets()
    policy = setup.policy
    globs = list(policy.tags) if policy is not None else ["v*"]
    examples = _existing_tags(setup, globs)
    problems = tag_problems(found, globs, examples, frozenset(options.allow_bypass))
    names = ", ".join(f"'{r.get('name')}'" for r in found) or "none"
    return Result(
        f"{options.github}: tag rulesets {names} protect {', '.join(globs)}", tuple(problems)
    )


def _existing_tags(setup: Setup, globs: list[str]) -> dict[str, list[str]]:
    """Release tags that exist here, per policy glob (what a narrower ruleset must cover)."""
    import fnmatch

    names = setup.repo.tag_names()
    return {glob: [n for n in names if fnmatch.fnmatchcase(n, glob)] for glob in globs}


class GitHubApi:
    """The few GET requests doctor makes."""

    def __init__(self, repository: str, api_url: str, token: str) -> None:
        if not REPOSITORY.match(repository):
            raise InputError(
                f"--github: '{repository}' is not OWNER/REPO", hint="e.g. --github octo-org/app"
            )
        url = urllib.parse.urlsplit(api_url)
        if url.scheme not in {"https", "http"} or not url.netloc:
            raise InputError(
                f"--api-url: '{api_url}' is not an http(s) URL",
                hint="e.g. https://api.github.com or https://HOST/api/v3 (GitHub Enterprise)",
            )
        if not token:
            raise InputError("--github: GITHUB_TOKEN is not set", hint=ACCESS_HINT)
        self.repository = repository
        self.base = api_url.rstrip("/")
        self._token = token
        self._opener = urllib.request.build_opener(_SameHost(url.netloc))

    def tag_rulesets(self) -> list[dict[str, Any]]:
        """Every ruleset that applies to the repository and may target tags, in full."""
        listed = []
        for page in range(1, MAX_PAGES + 1):
            query = {"includes_parents": "true", "per_page": str(PAGE), "page": str(page)}
            batch = self.get(f"/repos/{self.repository}/rulesets", query)
            if not isinstance(batch, list):
                raise self._shape("a list of rulesets")
            listed += batch
            if len(batch) < PAGE:
                break
        wanted = [r for r in listed if isinstance(r, dict) and r.get("target", "tag") == "tag"]
        return [self._ruleset(r.get("id")) for r in wanted]

    def _ruleset(self, ruleset_id: Any) -> dict[str, Any]:
        if not isinstance(ruleset_id, int):
            raise self._shape("rulesets with a numeric id")
        body = self.get(
            f"/repos/{self.repository}/rulesets/{ruleset_id}", {"includes_parents": "true"}
        )
        if not isinstance(body, dict):
            raise self._shape("a ruleset object")
        return body

    def get(self, path: str, query: dict[str, str]) -> Any:
        """GET `path` as JSON; an HTTP or network failure is exit 2 naming what to do."""
        # The scheme was checked to be http(s) when the API URL was given.
        request = urllib.request.Request(  # noqa: S310
            f"{self.base}{path}?{urllib.parse.urlencode(query)}",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "gatekeeper-doctor",
            },
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                data = response.read()
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection
            raise self._refused(path, exc.code) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(
                f"--api-url: cannot reach {self.base} ({reason})",
                hint="check --api-url / GITHUB_API_URL and the network",
            ) from None
        try:
            return json.loads(data)
        except ValueError:
            raise self._shape("JSON") from None

    def _refused(self, path: str, code: int) -> InputError:
        if code == 401:
            return InputError(f"GitHub API {path}: 401, GITHUB_TOKEN was refused", hint=ACCESS_HINT)
        if code == 404:
            return InputError(
                f"GitHub API {path}: 404, {self.repository} does not exist or the token cannot "
                "see it",
                hint="check OWNER/REPO, and give the token access to that repository",
            )
        if code == 403:
            return InputError(
                f"GitHub API {path}: 403, the token may not read rulesets (or the rate limit "
                "is spent)",
                hint=ACCESS_HINT,
            )
        return InputError(f"GitHub API {path}: HTTP {code}", hint="try again later")

    def _shape(self, expected: str) -> InputError:
        return InputError(
            f"GitHub API at {self.base}: the answer is not {expected}",
            hint="is --api-url the REST API (https://api.github.com, or https://HOST/api/v3)?",
        )


class _SameHost(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the API's own host: urllib would carry the Authorization
    header to any host a redirect names."""

    def __init__(self, netloc: str) -> None:
        self.netloc = netloc

    def redirect_request(  # noqa: PLR0917  (urllib's signature)
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urllib.parse.urlsplit(newurl).netloc != self.netloc:
            fp.close()
            raise InputError(
                f"GitHub API: redirected to another host ({urllib.parse.urlsplit(newurl).netloc})",
                hint="give that host as --api-url if you trust it",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)
