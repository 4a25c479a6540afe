"""9. `--github OWNER/REPO`: the repository's tag rulesets, read through GitHub's REST API.

`GET /repos/{owner}/{repo}/rulesets?includes_parents=true` lists the rulesets that apply
(the organisation's too); `GET /repos/{owner}/{repo}/rulesets/{id}` returns one with its
conditions, rules and bypass actors. The token is read from GITHUB_TOKEN only (never an
option: a command line is visible to every user of the machine), sent only to the API's
own scheme and host, over https unless that host is this machine, and never printed.
"""

from __future__ import annotations

import http.client
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
URL_HINT = "e.g. https://api.github.com or https://HOST/api/v3 (GitHub Enterprise)"
ACCESS_HINT = (
    "export GITHUB_TOKEN with a token that can read the repository's rulesets (bypass "
    "actors are shown only to those who may edit them: a repository admin)"
)


def rulesets(setup: Setup) -> Result:
    """9. Release tags are protected by an active tag ruleset nobody bypasses."""
    from gatekeeper.doctor.names import release_names
    from gatekeeper.doctor.rulesets import tag_problems

    options = setup.options
    if options.github is None:
        return Result("not asked (--github OWNER/REPO)", skipped=True)
    api = GitHubApi(options.github, options.api_url, options.environ.get("GITHUB_TOKEN", ""))
    found = api.tag_rulesets()
    policy = setup.policy
    globs = list(policy.tags) if policy is not None else ["v*"]
    tags = {glob: release_names(setup, glob, across=True) for glob in globs}
    problems = tag_problems(found, globs, tags, frozenset(options.allow_bypass))
    names = ", ".join(f"'{r.get('name')}'" for r in found) or "none"
    return Result(
        f"{options.github}: tag rulesets {names} protect {', '.join(globs)}", tuple(problems)
    )


class GitHubApi:
    """The few GET requests doctor makes."""

    def __init__(self, repository: str, api_url: str, token: str) -> None:
        if not REPOSITORY.match(repository):
            raise InputError(
                f"--github: '{repository}' is not OWNER/REPO", hint="e.g. --github octo-org/app"
            )
        origin = _origin(api_url)
        self.repository = repository
        self.base = api_url.rstrip("/")
        self._token = _token(token)
        self._opener = urllib.request.build_opener(_SameOrigin(origin))

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
        from gatekeeper.doctor.rulesets import misshapen

        if not isinstance(body, dict):
            raise self._shape("a ruleset object")
        wrong = misshapen(body)
        if wrong:
            raise InputError(
                f"GitHub API at {self.base}: ruleset {ruleset_id}: {wrong}",
                hint="is --api-url the REST API (https://api.github.com, or https://HOST/api/v3)?",
            )
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
        except (http.client.HTTPException, ValueError) as exc:
            # Named by its type only: http.client quotes what it could not send or read.
            raise InputError(
                f"--api-url: {self.base} did not answer as an HTTP server ({type(exc).__name__})",
                hint="check --api-url / GITHUB_API_URL: is it GitHub's REST API?",
            ) from None
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
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


def _origin(api_url: str) -> tuple[str, str]:
    """The API's scheme and host (the only place the token goes); plain http only to this
    machine, since the token would cross the network in clear text."""
    import ipaddress

    try:
        url = urllib.parse.urlsplit(api_url)
        host, _ = url.hostname, url.port  # a port that is no number raises here
    except ValueError as exc:
        raise InputError(f"--api-url: not a URL ({exc})", hint=URL_HINT) from None
    if url.username is not None or url.password is not None:
        raise InputError(
            "--api-url: has a user name or password in it",
            hint="give the URL alone; the token is read from GITHUB_TOKEN",
        )
    if url.scheme not in {"https", "http"} or not host:
        raise InputError(f"--api-url: '{api_url}' is not an http(s) URL", hint=URL_HINT)
    if url.scheme == "http" and host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise InputError(
                f"--api-url: {url.netloc} over plain http would send GITHUB_TOKEN in clear text",
                hint=URL_HINT,
            )
    return url.scheme, url.netloc


def _token(token: str) -> str:
    """GITHUB_TOKEN without the line break a file or secret store leaves; anything else
    that is not visible ASCII is refused without saying the value."""
    token = token.strip()
    if not token:
        raise InputError("--github: GITHUB_TOKEN is not set", hint=ACCESS_HINT)
    if not all("!" <= c <= "~" for c in token):
        raise InputError(
            "GITHUB_TOKEN: holds a space, a control character or a character that is not "
            "ASCII; a token is visible ASCII only",
            hint="set it again from the token itself, e.g. GITHUB_TOKEN=$(cat token-file)",
        )
    return token


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the API's own scheme and host: urllib would carry the
    Authorization header to any host a redirect names, and from https to plain http."""

    def __init__(self, origin: tuple[str, str]) -> None:
        self.origin = origin

    def redirect_request(  # noqa: PLR0917  (urllib's signature)
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        target = urllib.parse.urlsplit(newurl)
        if (target.scheme, target.netloc) == self.origin:
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        fp.close()
        if target.netloc != self.origin[1]:
            said = f"redirected to another host ({target.netloc})"
        else:
            said = f"redirected from {self.origin[0]} to {target.scheme} on {target.netloc}"
        raise InputError(
            f"GitHub API: {said}; the token is not sent there",
            hint="give that address as --api-url if you trust it",
        )
