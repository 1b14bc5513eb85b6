"""tools/dependency_audit.py finds what is known, and says what it cannot see.

Offline tests feed it answers recorded from PyPI's JSON API (tests/data/pypi);
the live tests ask PyPI itself: a release with published advisories
(pycrypto 2.6.1, abandoned, CVE-2013-7459 and CVE-2018-6594) must be caught,
and the installed environment must have no known vulnerability. Distributions
that cannot be audited from here are named in a warning in the test summary.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from tools import dependency_audit as audit

DATA = Path(__file__).parent / "data" / "pypi"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def fake_pypi(
    projects: dict[str, dict[str, Any]], releases: dict[str, dict[str, Any]] | None = None
) -> audit.Fetch:
    """PyPI as seen from here: project endpoints answer, release endpoints 404 (unless given)."""
    releases = releases or {}

    def fetch(url: str) -> tuple[int, Any]:
        path = url.removeprefix(audit.PYPI + "/").removesuffix("/json")
        if path in releases:
            return 200, releases[path]
        if "/" in path:
            return 404, None
        if path in projects:
            return 200, projects[path]
        return 404, None

    return fetch


PIP = {"info": {"name": "pip", "version": "26.3"}, "vulnerabilities": []}


def test_a_vulnerable_newest_release_is_caught() -> None:
    fetch = fake_pypi({"pycrypto": recorded("pycrypto"), "pip": PIP})
    results = audit.audit([("pycrypto", "2.6.1")], fetch)
    [result] = results
    assert result.source == "newest"
    # PYSEC and GHSA entries of the same vulnerability count once.
    assert [a.id for a in result.advisories] == ["PYSEC-2017-94", "PYSEC-2018-97"]
    assert "CVE-2013-7459" in result.advisories[0].aliases
    assert audit.exit_status(results) == 1
    text = audit.report(results)
    assert "VULNERABLE pycrypto 2.6.1: PYSEC-2017-94 (CVE-2013-7459" in text
    assert "1 of 1 distributions audited, 2 known vulnerabilities in 1" in text


def test_an_older_release_is_reported_as_not_audited_never_as_clean() -> None:
    # requests 2.19.0 has a published advisory (CVE-2018-18074), but PyPI's project
    # endpoint only speaks of the newest release; without the release endpoint
    # the audit cannot know, and says so.
    fetch = fake_pypi({"requests": recorded("requests"), "pip": PIP})
    results = audit.audit([("requests", "2.19.0")], fetch)
    [result] = results
    assert not result.audited
    assert "newest is 2.34.2" in result.not_audited
    assert audit.exit_status(results) == 0
    assert audit.exit_status(results, strict=True) == 3
    text = audit.report(results)
    assert "Not audited (1):" in text
    assert "requests 2.19.0" in text
    assert "0 of 1 distributions audited" in text


def test_where_the_release_endpoint_answers_it_is_used() -> None:
    advisory = {
        "id": "PYSEC-2018-28",
        "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
        "fixed_in": ["2.20.0"],
        "link": "https://osv.dev/vulnerability/PYSEC-2018-28",
        "summary": None,
        "details": "Authorization header sent on an https-to-http redirect.",
        "withdrawn": None,
    }
    fetch = fake_pypi(
        {"requests": recorded("requests"), "pip": PIP},
        {
            "requests/2.19.0": {"info": {"version": "2.19.0"}, "vulnerabilities": [advisory]},
            "pip/26.3": {"info": {"version": "26.3"}, "vulnerabilities": []},
        },
    )
    results = audit.audit([("requests", "2.19.0")], fetch)
    assert results[0].source == "release"
    assert [a.fixed_in for a in results[0].advisories] == [("2.20.0",)]
    assert audit.exit_status(results) == 1


def test_withdrawn_and_ignored_advisories_and_yanked_releases() -> None:
    document = recorded("pycrypto")
    document["vulnerabilities"][0]["withdrawn"] = "2026-01-01T00:00:00Z"
    document["releases"]["2.6.1"][0]["yanked"] = True
    document["releases"]["2.6.1"][0]["yanked_reason"] = "broken build"
    fetch = fake_pypi({"pycrypto": document, "pip": PIP})
    [result] = audit.audit([("pycrypto", "2.6.1")], fetch, ignored=["CVE-2018-6594"])
    # The withdrawn PYSEC entry leaves its GHSA twin, which is still published.
    assert [a.id for a in result.advisories] == ["GHSA-cq27-v7xp-c356"]
    assert "yanked" in result.warning
    assert "broken build" in audit.report([result])


def test_unreachable_pypi_and_unknown_packages() -> None:
    def down(url: str) -> tuple[int, Any]:
        return 0, None

    results = audit.audit([("flask", "3.1.3"), ("requests", "2.34.2")], down)
    assert all(r.not_audited == "PyPI did not answer" for r in results)
    assert audit.exit_status(results) == 2
    fetch = fake_pypi({"pip": PIP})
    results = audit.audit([("hottelecom-gateway", "1.0.0"), ("no-such-thing", "1")], fetch)
    assert [r.not_audited for r in results] == [
        "this project itself (not published on PyPI)",
        "not on PyPI",
    ]


def test_pins_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        audit.main(["requests"])
    assert "expected NAME==VERSION" in capsys.readouterr().err


def _live_or_skip(results: list[audit.Result]) -> None:
    if audit.exit_status(results) == 2:
        message = "PyPI's JSON API did not answer: the dependency audit could not run"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_live_a_release_with_published_advisories_is_caught() -> None:
    results = audit.audit([("pycrypto", "2.6.1")])
    _live_or_skip(results)
    ids = {i for a in results[0].advisories for i in (a.id, *a.aliases)}
    assert {"CVE-2013-7459", "CVE-2018-6594"} <= ids
    assert audit.exit_status(results) == 1


def test_live_the_installed_environment_has_no_known_vulnerability() -> None:
    results = audit.audit(audit.installed())
    _live_or_skip(results)
    report = audit.report(results)
    assert audit.exit_status(results) == 0, report
    # Most of the environment must really have been audited, not skipped.
    audited = [r for r in results if r.audited]
    assert len(audited) >= 0.8 * len(results), report
    unaudited = [f"{r.name} {r.version}: {r.not_audited}" for r in results if not r.audited]
    if unaudited:
        warnings.warn(
            "dependency audit: not audited: " + "; ".join(unaudited), UserWarning, stacklevel=1
        )
