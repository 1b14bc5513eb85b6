"""benchmarks/load.py in a tiny mode, so the load script cannot rot.

Asserts on its consistency checks (every accepted consent and event stored,
every event delivered to the local GA once through an outage), never on speed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "load.py"
TINY = ["--tokens", "3", "--mix", "banner=1,policy=1,consent=1,aggregate=1,event=1", "--port", "0"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed"),
]


def run_load(*args: str, memory_verdict_counts: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *TINY, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # A few seconds of soak say nothing about leaks: there only the checks must pass.
    if memory_verdict_counts or "FAILED" in done.stdout or not check_rows(done.stdout):
        assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check_rows(out: str) -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in out.splitlines():
        match = re.match(r"(.{60}) +(\S+) +(\S+)  (ok|FAILED)$", line)
        if match:
            rows[match.group(1).strip()] = match.group(2, 3, 4)
    return rows


def test_mix_through_a_ga_outage_is_stored_and_delivered_exactly_once(database_url: str) -> None:
    out = run_load("--duration", "4", "--ga-outage", "--database-url", database_url)
    rows = check_rows(out)
    assert rows, out
    assert all(verdict == "ok" for *_, verdict in rows.values()), out
    consent = rows["consent rows == consent POSTs answered 201"]
    assert int(consent[0]) > 3  # the consent class ran, beside the 3 token POSTs
    events = rows["outbox event rows == event collects answered 202"]
    assert int(events[0]) > 0
    assert rows["of them accepted by fake GA"][1] == events[0]
    assert rows["events accepted more than once"][1] == "0"
    assert int(rows["requests refused during the outage (429/5xx)"][1]) > 0
    for cls in ("banner", "policy", "consent", "aggregate", "event", "overall"):
        assert re.search(rf"^{cls} +\d+ +[1-9]\d* ", out, re.M), out


def test_soak_samples_every_process() -> None:
    out = run_load("--soak", "0.15", "--sample-every", "1", memory_verdict_counts=False)
    assert re.search(r"^master +heap .* (flat|GROWING)$", out, re.M), out
    assert len(re.findall(r"^worker \d+ +heap .* (flat|GROWING)$", out, re.M)) == 2, out
    assert "database " in out
    assert all(verdict == "ok" for *_, verdict in check_rows(out).values()), out
