"""Known vulnerabilities of the installed Python distributions, from PyPI's JSON API.

Why not pip-audit alone: it asks ``https://pypi.org/pypi/NAME/VERSION/json``
(or api.osv.dev) for each distribution. Where that release endpoint answers
404 — as on the machines and CI this project runs on — pip-audit reports every
package as "Dependency not found on PyPI and could not be audited" and still
exits 0, which reads like a clean bill of health.

What this script does for each installed distribution (or each NAME==VERSION
given on the command line):

1. the release endpoint ``/pypi/NAME/VERSION/json``; when it answers, its
   ``vulnerabilities`` list is exactly that version's (what pip-audit uses);
2. otherwise the project endpoint ``/pypi/NAME/json``, whose
   ``vulnerabilities`` list covers only the newest release (PyPI's JSON API
   documentation says so). When the installed version *is* the newest, that
   list is exact; when it is not, the version is reported as **not audited**
   with the reason — never as clean;
3. withdrawn advisories and those named with ``--ignore ID`` are left out; a
   yanked installed release is reported as a warning.

Exit status: 0 no known vulnerability among what could be audited (the ones
that could not are listed); 1 known vulnerabilities; 2 nothing could be
audited (PyPI unreachable); 3 with ``--strict``, some distributions could not
be audited. ``make audit`` prints the whole report.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi"
TIMEOUT = 20.0
# The project itself is installed in editable mode and is not on PyPI.
OWN_DISTRIBUTIONS = frozenset({"hottelecom-gateway"})

# (status, parsed JSON or None); status 0 means the request itself failed.
Fetch = Callable[[str], tuple[int, Any]]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    link: str
    summary: str


@dataclass
class Result:
    name: str
    version: str
    source: str = ""  # "release" or "newest" when audited
    advisories: list[Advisory] = field(default_factory=list)
    not_audited: str = ""  # the reason, when it could not be audited
    warning: str = ""

    @property
    def audited(self) -> bool:
        return not self.not_audited


def fetch_json(url: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return 0, None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def advisories(document: Any, ignored: frozenset[str]) -> list[Advisory]:
    """The advisories of a JSON answer; one per vulnerability (PYSEC and GHSA name the same)."""
    found = []
    named: set[str] = set()
    for entry in document.get("vulnerabilities") or []:
        if entry.get("withdrawn"):
            continue
        ids = {entry.get("id", ""), *(entry.get("aliases") or [])}
        if ids & ignored or entry.get("id", "") in named:
            continue
        named |= ids
        found.append(
            Advisory(
                id=str(entry.get("id", "")),
                aliases=tuple(entry.get("aliases") or ()),
                fixed_in=tuple(entry.get("fixed_in") or ()),
                link=str(entry.get("link") or ""),
                summary=str(entry.get("summary") or entry.get("details") or "")[:160],
            )
        )
    return found


def _yanked(document: Any, version: str) -> str:
    files = (document.get("releases") or {}).get(version) or []
    if files and all(f.get("yanked") for f in files):
        reason = files[0].get("yanked_reason") or "no reason given"
        return f"release {version} was yanked from PyPI ({reason})"
    return ""


def release_endpoint_answers(fetch: Fetch, probe: str = "pip") -> bool:
    """Whether ``/pypi/NAME/VERSION/json`` works here, asked once for a release that exists."""
    status, document = fetch(f"{PYPI}/{probe}/json")
    if status != 200 or not isinstance(document, dict):
        return False
    newest = (document.get("info") or {}).get("version")
    status, document = fetch(f"{PYPI}/{probe}/{newest}/json")
    return status == 200 and isinstance(document, dict)


def audit_one(
    name: str, version: str, fetch: Fetch, ignored: frozenset[str], by_release: bool = True
) -> Result:
    result = Result(name, version)
    if canonicalize_name(name) in OWN_DISTRIBUTIONS:
        result.not_audited = "this project itself (not published on PyPI)"
        return result
    if by_release:
        status, document = fetch(f"{PYPI}/{name}/{version}/json")
        if status == 200 and isinstance(document, dict):
            result.source = "release"
            result.advisories = advisories(document, ignored)
            return result
    status, document = fetch(f"{PYPI}/{name}/json")
    if status == 0:
        result.not_audited = "PyPI did not answer"
        return result
    if status == 404:
        result.not_audited = "not on PyPI"
        return result
    if status != 200 or not isinstance(document, dict):
        result.not_audited = f"PyPI answered {status}"
        return result
    newest = str((document.get("info") or {}).get("version", ""))
    result.warning = _yanked(document, version)
    if not _same_version(newest, version):
        result.not_audited = (
            f"installed {version}, newest is {newest}; PyPI lists vulnerabilities of the "
            "newest release only, and its per-release endpoint does not answer here"
        )
        return result
    result.source = "newest"
    result.advisories = advisories(document, ignored)
    return result


def installed() -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            seen.setdefault(canonicalize_name(name), (name, dist.version))
    return sorted(seen.values(), key=lambda item: canonicalize_name(item[0]))


def audit(
    packages: Iterable[tuple[str, str]],
    fetch: Fetch = fetch_json,
    ignored: Iterable[str] = (),
    workers: int = 8,
) -> list[Result]:
    skip = frozenset(ignored)
    items = list(packages)
    # Where the release endpoint is down for all (as here), asking it per package
    # would only double the requests.
    by_release = release_endpoint_answers(fetch)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(lambda item: audit_one(item[0], item[1], fetch, skip, by_release), items)
        )


def report(results: Sequence[Result], verbose: bool = False) -> str:
    lines = []
    vulnerable = [r for r in results if r.advisories]
    for r in vulnerable:
        for a in r.advisories:
            aliases = f" ({', '.join(a.aliases)})" if a.aliases else ""
            fixed = ", ".join(a.fixed_in) or "no fixed release"
            lines.append(f"VULNERABLE {r.name} {r.version}: {a.id}{aliases}; fixed in: {fixed}")
            if a.link:
                lines.append(f"    {a.link}")
    for r in results:
        if r.warning:
            lines.append(f"WARNING {r.name} {r.version}: {r.warning}")
    unaudited = [r for r in results if not r.audited]
    if unaudited:
        lines.append(f"Not audited ({len(unaudited)}):")
        lines.extend(f"    {r.name} {r.version}: {r.not_audited}" for r in unaudited)
    if verbose:
        for r in results:
            if r.audited and not r.advisories:
                lines.append(f"ok {r.name} {r.version} (from the {r.source} endpoint)")
    audited = len(results) - len(unaudited)
    count = sum(len(r.advisories) for r in vulnerable)
    lines.append(
        f"dependency audit: {audited} of {len(results)} distributions audited, "
        f"{count} known vulnerabilities in {len(vulnerable)}, {len(unaudited)} not audited"
    )
    return "\n".join(lines)


def exit_status(results: Sequence[Result], strict: bool = False) -> int:
    if any(r.advisories for r in results):
        return 1
    if results and all(r.not_audited == "PyPI did not answer" for r in results):
        return 2
    if strict and any(not r.audited for r in results):
        return 3
    return 0


def _pin(text: str) -> tuple[str, str]:
    name, sep, version = text.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise argparse.ArgumentTypeError(f"expected NAME==VERSION, got {text!r}")
    return name.strip(), version.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pins", nargs="*", type=_pin, help="NAME==VERSION to audit instead of the installed ones"
    )
    parser.add_argument("--ignore", action="append", default=[], help="advisory id to accept")
    parser.add_argument("--strict", action="store_true", help="fail when any is not audited")
    parser.add_argument("-v", "--verbose", action="store_true", help="list clean ones too")
    args = parser.parse_args(argv)
    results = audit(args.pins or installed(), ignored=args.ignore)
    print(report(results, verbose=args.verbose))
    return exit_status(results, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
