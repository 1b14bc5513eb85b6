"""Load: banner, policy, consent and collect traffic against gunicorn for a bounded time.

An instance is set up in a temporary directory (sites file, GeoIP database,
migrated database: SQLite, or PostgreSQL with --database-url) and served by
gunicorn with the project's gunicorn.conf.py (the one deploy/gateway-web.service
runs), with PROMETHEUS_MULTIPROC_DIR set as in production. Rate limits are
OFF (GATEWAY_RATELIMIT_ENABLED=false): all traffic comes from 127.0.0.1, so
the per-address limits would answer 429 to nearly all of it.

One wrk process per traffic class runs with one thread per connection; each
connection stops at the deadline after its last answer (wrk.thread:stop()),
so no write is left in flight and the database can be checked exactly
against what the clients were told:

  banner     GET /c/hottelecom.js (gzip; every other one revalidates with its ETag)
  policy     GET /privacy, /privacy?lang=en, /privacy/versions, /privacy/feed.atom,
             /api/v1/policy
  consent    POST /api/v1/consent: accept all, reject all, or a change of an
             existing consent (text/plain, as the banner sends it)
  aggregate  POST /api/v1/collect without consent (4 pages, desktop and mobile)
  event      POST /api/v1/collect with tokens from real consent POSTs made first;
             every event carries (run, part, n) so each one can be traced

Printed: per class and overall requests/s, p50 and p99 latency, answers that
are not 2xx/3xx, socket errors; then the consistency checks (consent rows ==
consent POSTs answered 201, outbox rows == event-mode collects answered 202,
counted aggregates == aggregate-mode collects answered 202, collect_stats
agree, `gateway consent verify` passes). Exit status 1 if any check fails.

--soak MINUTES runs the same mix for that long, sampling the RSS and open
file descriptors of the gunicorn master and each worker from /proc, and the
database size; it prints the samples and compares the last third with the
first third. --ga-outage runs `gateway forward` against `gateway fake-ga`
during the load; fake GA answers 429 (Retry-After 2) three times and then
503 from 30% to 70% of the run (longer if the forwarder has not met the
outage by then); afterwards the forwarder drains and the script checks that
fake GA accepted every event exactly once.

Run: .venv/bin/python benchmarks/load.py --duration 30 [--database-url URL]
     [--soak 5] [--ga-outage]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.serving import (
    BIN,
    ORIGIN,
    ROOT,
    UA,
    http,
    instance_env,
    migrate,
    serve,
    server_cpu_seconds,
    stop,
    wait_for_port,
    worker_pids,
)

SITE = "hottelecom"
MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
PAGES = ["/", "/tariffs/internet?utm_source=yandex", "/tariffs/mobile", "/support"]
CLASSES = ("banner", "policy", "consent", "aggregate", "event")
DEFAULT_MIX = "banner=2,policy=2,consent=2,aggregate=4,event=4"
# Soak verdict: a process is flat when the mean anonymous RSS (heap: RssAnon)
# of the last third of the samples exceeds that of the first third by less than
# this. Total RSS also counts file pages (SQLite's memory-mapped reads of a
# database that grows with every write), so it is printed but not judged. After
# warm-up a worker's heap moves by well under 1 MiB without any leak (pymalloc
# arenas, SQLite's page cache); 2 MiB over a few minutes of load catches a leak
# of a few dozen bytes per request (the script prints the exact figure).
FLAT_MIB = 2.0
WARM_UP = 10.0  # seconds of load before the first sample that counts


# ---------------------------------------------------------------- wrk scripts


def lua_string(text: str) -> str:
    """A Lua long-bracket string: raw UTF-8 and quotes, no escapes needed."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(lua_string(i) for i in items) + "}"


LUA_COMMON = """
local deadline = %(deadline)d
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("part", count)
  table.insert(threads, thread)
end
function init(args)
  ok = 0; bad = 0; mode_event = 0; n = 0; codes = {}
end
function response(status, headers, body)
  if status >= 200 and status < 400 then
    ok = ok + 1
    if %(check_mode)s and body and string.find(body, '"mode":%%s*"event"') then
      mode_event = mode_event + 1
    end
  else
    bad = bad + 1
    codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
  end
  -- One connection per thread: stopping here leaves no request in flight.
  if os.time() >= deadline then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local t_ok, t_bad, t_event, all = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok"); t_bad = t_bad + t:get("bad")
    t_event = t_event + t:get("mode_event")
    for k, v in pairs(t:get("codes")) do all[k] = (all[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(all) do table.insert(parts, string.format('"%%s": %%d', k, v)) end
  local q = {}
  for i = 1, 1000 do q[i] = string.format("%%d", latency:percentile(i / 10)) end
  local e = summary.errors
  io.write(string.format(
    'LOADJSON {"requests": %%d, "ok": %%d, "bad": %%d, "mode_event": %%d, ' ..
    '"socket_errors": %%d, "codes": {%%s}, "quantiles_us": [%%s]}\\n',
    summary.requests, t_ok, t_bad, t_event, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", "), table.concat(q, ", ")))
end
"""


def lua_request(cls: str, ctx: Context) -> str:
    """The class's request() function: each call builds the next request of the mix."""
    json_headers = '{["User-Agent"] = ua, ["Origin"] = origin, ["Content-Type"] = ctype}'
    prelude = f"local origin = {lua_string(ORIGIN)}\nlocal uas = {lua_list([UA, MOBILE_UA])}\n"
    if cls == "banner":
        return (
            prelude
            + f"local etag = {lua_string(ctx.banner_etag)}\n"
            + """function request()
  n = n + 1
  local h = {["User-Agent"] = uas[n % 2 + 1], ["Accept-Encoding"] = "gzip, deflate, br"}
  if n % 2 == 0 then h["If-None-Match"] = etag end
  return wrk.format("GET", "/c/hottelecom.js", h)
end
"""
        )
    if cls == "policy":
        paths = ["/privacy", "/privacy?lang=en", "/privacy/versions", "/privacy/feed.atom"]
        paths.append("/api/v1/policy")
        return (
            prelude
            + f"local paths = {lua_list(paths)}\n"
            + """function request()
  n = n + 1
  local h = {["User-Agent"] = uas[n % 2 + 1], ["Accept-Language"] = "ru-RU,ru;q=0.9,en;q=0.5",
             ["Accept-Encoding"] = "gzip"}
  return wrk.format("GET", paths[n % #paths + 1], h)
end
"""
        )
    if cls == "consent":
        base = {
            "site": SITE,
            "policy_version": ctx.policy_version,
            "language": "ru",
            "text_hash": ctx.text_hash,
        }
        accept = json.dumps({**base, "choices": {"analytics": True}})
        reject = json.dumps({**base, "choices": {"analytics": False}})
        # A change keeps analytics granted, so the event class stays in event mode.
        change = json.dumps({**base, "choices": {"analytics": True}, "token": "TOKEN"})
        head, tail = change.split("TOKEN")
        return (
            prelude
            + f"local accept, reject = {lua_string(accept)}, {lua_string(reject)}\n"
            + f"local head, tail = {lua_string(head)}, {lua_string(tail)}\n"
            + f"local tokens = {lua_list(ctx.tokens)}\n"
            + f"""function request()
  n = n + 1
  local ua, ctype = uas[n % 2 + 1], "text/plain;charset=UTF-8"
  local body
  if n % 3 == 0 then body = accept
  elseif n % 3 == 1 then body = reject
  else body = head .. tokens[n % #tokens + 1] .. tail end
  return wrk.format("POST", "/api/v1/consent", {json_headers}, body)
end
"""
        )
    page = {
        "url": ORIGIN + "PAGE",
        "referrer": "https://yandex.ru/search/?text=hottelecom",
        "title": "Домашний интернет — HotTelecom",
    }
    if cls == "aggregate":
        body = json.dumps(
            {"site": SITE, "page": page, "events": [{"name": "page_view"}]}, ensure_ascii=False
        )
        head, tail = body.split("PAGE")
        return (
            prelude
            + f"local head, tail = {lua_string(head)}, {lua_string(tail)}\n"
            + f"local pages = {lua_list(PAGES)}\n"
            + f"""function request()
  n = n + 1
  local ua, ctype = uas[n % 2 + 1], "application/json"
  local body = head .. pages[n % #pages + 1] .. tail
  return wrk.format("POST", "/api/v1/collect", {json_headers}, body)
end
"""
        )
    body = json.dumps(
        {
            "site": SITE,
            "consent": "TOKEN",
            "page": page,
            "events": [{"name": "page_view", "params": {"run": ctx.run, "part": 0, "n": 0}}],
        },
        ensure_ascii=False,
    )
    before_token, rest = body.split("TOKEN")
    before_page, rest = rest.split("PAGE")
    before_part, rest = rest.split('"part": 0')
    between, after = rest.split('"n": 0')
    return (
        prelude
        + f"local tokens = {lua_list(ctx.tokens)}\n"
        + f"local p1, p2, p3 = {lua_string(before_token)}, {lua_string(before_page)}, "
        + f"{lua_string(before_part)}\n"
        + f"local p4, p5 = {lua_string(between)}, {lua_string(after)}\n"
        + f"local pages = {lua_list(PAGES)}\n"
        + f"""function request()
  n = n + 1
  local ua, ctype = uas[n % 2 + 1], (n % 2 == 0) and "text/plain" or "application/json"
  local body = p1 .. tokens[n % #tokens + 1] .. p2 .. pages[n % #pages + 1] .. p3
    .. '"part": ' .. part .. p4 .. '"n": ' .. n .. p5
  return wrk.format("POST", "/api/v1/collect", {json_headers}, body)
end
"""
    )


# ---------------------------------------------------------------- the instance


@dataclass
class Context:
    port: int
    run: int
    policy_version: int = 0
    text_hash: str = ""
    banner_etag: str = ""
    tokens: list[str] = field(default_factory=list)


def prepare(ctx: Context, token_count: int) -> int:
    """Consent config, the banner's ETag and consent tokens from real POSTs; POSTs made."""
    _, _, raw = http(ctx.port, "GET", f"/api/v1/sites/{SITE}/consent-config?lang=ru")
    config = json.loads(raw)
    ctx.policy_version, ctx.text_hash = config["policy_version"], config["text_hash"]
    _, headers, _ = http(ctx.port, "GET", f"/c/{SITE}.js", headers={"Accept-Encoding": "gzip"})
    ctx.banner_etag = headers["ETag"]
    for _ in range(token_count):
        status, _, raw = http(
            ctx.port,
            "POST",
            "/api/v1/consent",
            {
                "site": SITE,
                "choices": {"analytics": True},
                "policy_version": ctx.policy_version,
                "language": "ru",
                "text_hash": ctx.text_hash,
            },
            {"Origin": ORIGIN},
        )
        assert status == 201, status
        ctx.tokens.append(json.loads(raw)["token"])
    return token_count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the run


@dataclass
class ClassResult:
    name: str
    connections: int
    requests: int
    ok: int
    bad: int
    mode_event: int
    socket_errors: int
    codes: dict[str, int]
    quantiles_us: list[int]
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        return percentile([(q, 1.0) for q in self.quantiles_us], p)


def percentile(weighted: Sequence[tuple[float, float]], p: float) -> float:
    """Value at ``p`` percent of a distribution given as (value, weight) pairs."""
    ordered = sorted(weighted)
    total = sum(w for _, w in ordered)
    if not total:
        return math.nan
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= total * p / 100:
            return value
    return ordered[-1][0]


def parse_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in text.split(","):
        name, _, count = part.partition("=")
        if name not in CLASSES or not count.isdigit():
            raise argparse.ArgumentTypeError(f"mix entries are CLASS=CONNECTIONS of {CLASSES}")
        if int(count) > 0:
            mix[name] = int(count)
    return mix


def start_wrk(
    cls: str, connections: int, ctx: Context, work: Path, deadline: int, seconds: float
) -> subprocess.Popen[str]:
    script = work / f"{cls}.lua"
    script.write_text(
        lua_request(cls, ctx)
        + LUA_COMMON % {"deadline": deadline, "check_mode": "true" if cls == "event" else "false"},
        encoding="utf-8",
    )
    return subprocess.Popen(
        [
            "wrk",
            f"-t{connections}",
            f"-c{connections}",
            f"-d{math.ceil(seconds) + 5}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{ctx.port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def collect_wrk(
    cls: str, connections: int, proc: subprocess.Popen[str], seconds: float
) -> ClassResult:
    out, _ = proc.communicate()
    line = next((li for li in out.splitlines() if li.startswith("LOADJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk ({cls}) failed:\n{out}")
    data = json.loads(line.removeprefix("LOADJSON "))
    return ClassResult(cls, connections, seconds=seconds, **data)


@dataclass
class Sample:
    at: float
    rss_kib: dict[int, int]
    anon_kib: dict[int, int]
    fds: dict[int, int]
    db_bytes: int
    pending: int


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident set size and its anonymous part (heap), in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["RssAnon"].split()[0])


def sample(master: subprocess.Popen[bytes], db: Database, started: float) -> Sample:
    pids = [master.pid, *worker_pids(master)]
    rss, anon, fds = {}, {}, {}
    for pid in pids:
        try:
            rss[pid], anon[pid] = memory_kib(pid)
            fds[pid] = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
    return Sample(time.monotonic() - started, rss, anon, fds, db.size(), db.pending())


def run_mix(
    ctx: Context,
    mix: dict[str, int],
    work: Path,
    seconds: float,
    master: subprocess.Popen[bytes],
    db: Database,
    sample_every: float,
    at_times: list[tuple[float, Any]],
) -> tuple[list[ClassResult], list[Sample]]:
    """All classes at once until the deadline; samples and timed actions meanwhile."""
    started = time.monotonic()
    wall = time.time()
    deadline = math.ceil(wall + seconds)
    measured = deadline - wall
    procs = {
        cls: start_wrk(cls, conns, ctx, work, deadline, measured) for cls, conns in mix.items()
    }
    samples = [sample(master, db, started)]
    pending = sorted(at_times, key=lambda item: item[0])
    next_sample = sample_every
    while any(p.poll() is None for p in procs.values()):
        now = time.monotonic() - started
        while pending and pending[0][0] <= now:
            _, action = pending.pop(0)
            if action() is False:  # not yet: try again shortly
                pending.insert(0, (now + 0.5, action))
                break
        if sample_every and now >= next_sample and now < measured:
            samples.append(sample(master, db, started))
            next_sample += sample_every
        time.sleep(0.2)
    give_up = time.monotonic() + 60
    for _, action in pending:
        while action() is False and time.monotonic() < give_up:
            time.sleep(0.5)
    results = [collect_wrk(cls, mix[cls], procs[cls], measured) for cls in mix]
    return results, samples


# ---------------------------------------------------------------- checks


class Database:
    def __init__(self, url: str, work: Path) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.url = url
        self.engine = sa.create_engine(url)
        self.work = work

    def scalar(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(self.sa.text(sql)).scalar() or 0)

    def counts(self) -> dict[str, int]:
        stats = "SELECT coalesce(sum(count), 0) FROM collect_stats WHERE result = '{}'"
        return {
            "consent_records": self.scalar("SELECT count(*) FROM consent_records"),
            # A consented landing from Yandex also queues its campaign_details event.
            "outbox_event_rows": self.scalar(
                "SELECT count(*) FROM outbox_events WHERE mode = 'event' "
                'AND event_json NOT LIKE \'{"name":"campaign_details"%\''
            ),
            # Consented page views are counted too, for the traffic view only.
            "aggregate_counted": self.scalar(
                "SELECT coalesce(sum(count), 0) FROM aggregate_counts WHERE NOT consented"
            ),
            "stats_event": self.scalar(stats.format("event")),
            "stats_aggregate": self.scalar(stats.format("aggregate")),
            "stats_dropped": self.scalar(stats.format("dropped")),
            "outbox_pending": self.pending(),
        }

    def pending(self) -> int:
        return self.scalar("SELECT count(*) FROM outbox_events WHERE status = 'pending'")

    def size(self) -> int:
        if self.url.startswith("sqlite"):
            path = Path(self.url.removeprefix("sqlite:///"))
            return sum(
                p.stat().st_size
                for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
                if p.exists()
            )
        return self.scalar("SELECT pg_database_size(current_database())")

    def event_keys(self, run: int) -> Counter[tuple[int, int]]:
        keys: Counter[tuple[int, int]] = Counter()
        with self.engine.connect() as conn:
            for (raw,) in conn.execute(
                self.sa.text("SELECT event_json FROM outbox_events WHERE mode = 'event'")
            ):
                params = json.loads(raw).get("params", {})
                if params.get("run") == run:
                    keys[(params["part"], params["n"])] += 1
        return keys


def consent_verify(env: dict[str, str]) -> tuple[bool, str]:
    done = subprocess.run(
        [str(BIN / "gateway"), "consent", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        return True, done.stdout.strip().rsplit(" ", 2)[-2]  # "consent chain intact: N records"
    return False, (done.stderr.strip().splitlines() or ["failed"])[-1]


Check = tuple[str, object, object, bool]


def consistency(
    results: dict[str, ClassResult],
    before: dict[str, int],
    after: dict[str, int],
    setup_posts: int,
    aggregate_consumed: bool,
) -> list[Check]:
    def got(name: str) -> int:
        return after[name] - before[name]

    def ok(cls: str) -> int:
        return results[cls].ok if cls in results else 0

    event_ok = ok("event")
    checks: list[Check] = [
        ("consent rows == consent POSTs answered 201", setup_posts + ok("consent"),
         got("consent_records"), setup_posts + ok("consent") == got("consent_records")),
        ("event collects answered in event mode", event_ok,
         results["event"].mode_event if "event" in results else 0,
         event_ok == (results["event"].mode_event if "event" in results else 0)),
        ("outbox event rows == event collects answered 202", event_ok,
         got("outbox_event_rows"), event_ok == got("outbox_event_rows")),
        ("collect_stats event == event collects answered 202", event_ok,
         got("stats_event"), event_ok == got("stats_event")),
        ("collect_stats aggregate == aggregate collects answered 202", ok("aggregate"),
         got("stats_aggregate"), ok("aggregate") == got("stats_aggregate")),
        ("collect_stats dropped (bots etc.)", 0, got("stats_dropped"), got("stats_dropped") == 0),
    ]  # fmt: skip
    if not aggregate_consumed:
        checks.append(
            (
                "aggregate_counts sum == aggregate collects answered 202",
                ok("aggregate"),
                got("aggregate_counted"),
                ok("aggregate") == got("aggregate_counted"),
            )
        )
    return checks


# ---------------------------------------------------------------- printing


def print_results(results: list[ClassResult], seconds: float) -> None:
    print(f"\n{'class':10s} {'conns':>5s} {'requests':>9s} {'req/s':>8s} {'p50 ms':>8s} "
          f"{'p99 ms':>8s} {'non-2xx/3xx':>11s} {'socket err':>10s}")  # fmt: skip
    for r in results:
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(r.codes.items()))
        print(
            f"{r.name:10s} {r.connections:5d} {r.requests:9d} {r.rate:8.1f} "
            f"{r.percentile(50) / 1000:8.1f} {r.percentile(99) / 1000:8.1f} "
            f"{r.bad:11d} {r.socket_errors:10d}" + (f"  ({codes})" if codes else "")
        )
    weighted = [(q, r.requests / 1000) for r in results for q in r.quantiles_us]
    total = sum(r.requests for r in results)
    print(
        f"{'overall':10s} {sum(r.connections for r in results):5d} {total:9d} "
        f"{total / seconds:8.1f} {percentile(weighted, 50) / 1000:8.1f} "
        f"{percentile(weighted, 99) / 1000:8.1f} {sum(r.bad for r in results):11d} "
        f"{sum(r.socket_errors for r in results):10d}"
    )


def print_checks(checks: list[Check]) -> bool:
    print(f"\n{'check':60s} {'expected':>9s} {'found':>9s}")
    for name, expected, found, ok in checks:
        print(f"{name:60s} {expected!s:>9s} {found!s:>9s}  {'ok' if ok else 'FAILED'}")
    return all(ok for *_, ok in checks)


def soak_verdict(samples: list[Sample], master_pid: int, requests: int, seconds: float) -> bool:
    pids = list(samples[0].rss_kib)

    def name(pid: int) -> str:
        return "master" if pid == master_pid else f"worker {pid}"

    print("\nRSS (heap) in MiB per process, open file descriptors, database size")
    print(f"{'t s':>5s}  " + "  ".join(f"{name(p):>16s}" for p in pids) + "  fds      db MiB")
    for s in samples:
        mem = "  ".join(
            f"{s.rss_kib.get(p, 0) / 1024:7.1f} ({s.anon_kib.get(p, 0) / 1024:5.1f})" for p in pids
        )
        fds = "/".join(str(s.fds.get(p, 0)) for p in pids)
        print(f"{s.at:5.0f}  {mem}  {fds:8s} {s.db_bytes / 2**20:6.1f}")
    counted = [s for s in samples if s.at >= min(WARM_UP, seconds / 10)]
    third = max(1, len(counted) // 3)
    first, last = counted[:third], counted[-third:]
    span = (last[0].at + last[-1].at - first[0].at - first[-1].at) / 2
    print(
        f"\nfirst third {first[0].at:.0f}-{first[-1].at:.0f} s, last third "
        f"{last[0].at:.0f}-{last[-1].at:.0f} s (after {min(WARM_UP, seconds / 10):.0f} s of "
        f"warm-up); flat when the heap grows by less than {FLAT_MIB:g} MiB"
    )
    flat = True
    for pid in pids:
        heap_a = sum(s.anon_kib.get(pid, 0) for s in first) / len(first) / 1024
        heap_b = sum(s.anon_kib.get(pid, 0) for s in last) / len(last) / 1024
        rss_a = sum(s.rss_kib.get(pid, 0) for s in first) / len(first) / 1024
        rss_b = sum(s.rss_kib.get(pid, 0) for s in last) / len(last) / 1024
        grew = heap_b - heap_a
        ok = grew < FLAT_MIB
        flat &= ok
        print(
            f"{name(pid):14s} heap {heap_a:6.1f} → {heap_b:6.1f} MiB ({grew:+.2f} MiB, "
            f"{grew / heap_a * 100 if heap_a else 0:+.1f}%), RSS {rss_a:6.1f} → {rss_b:6.1f} MiB "
            f"({rss_b - rss_a:+.2f} MiB, {(rss_b / rss_a - 1) * 100 if rss_a else 0:+.1f}%), "
            f"fds {first[0].fds.get(pid, 0)} → {last[-1].fds.get(pid, 0)}: "
            + ("flat" if ok else "GROWING")
        )
    workers = max(1, len(pids) - 1)
    between = requests * span / seconds / workers
    if between:
        print(
            f"each worker served about {between:,.0f} requests between the thirds' midpoints: "
            f"a leak of {FLAT_MIB * 2**20 / between:.0f} bytes per request would have crossed "
            f"{FLAT_MIB:g} MiB"
        )
    db_a, db_b = samples[0].db_bytes, samples[-1].db_bytes
    print(
        f"database {db_a / 2**20:.1f} → {db_b / 2**20:.1f} MiB "
        f"({(db_b - db_a) / max(requests, 1):.0f} bytes per request of the mix: outbox rows, "
        "consent records; kept until forwarded and purged)"
    )
    return flat


# ---------------------------------------------------------------- GA outage


class Outage:
    """`gateway fake-ga` and `gateway forward` beside the load."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        self.fake = subprocess.Popen(
            [str(BIN / "gateway"), "fake-ga", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        self.forwarder: subprocess.Popen[bytes] | None = subprocess.Popen(
            [str(BIN / "gateway"), "forward"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.began = self.ended = 0.0

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=60) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def begin(self) -> bool:
        self.began = time.monotonic()
        self._call("POST", "/_faults", {"status": 429, "times": 3, "retry_after": 2})
        self._call("POST", "/_faults", {"status": 503, "times": 10**7})
        print(f"  GA outage begins ({time.strftime('%H:%M:%S')})", flush=True)
        return True

    def end(self) -> bool:
        """Ends the outage once the forwarder has met it (it starts slowly on a busy machine)."""
        if not any(r["status"] >= 300 for r in self.recorded() if r["path"] == "/mp/collect"):
            return False
        self.ended = time.monotonic()
        self._call("DELETE", "/_faults")
        print(f"  GA outage ends ({time.strftime('%H:%M:%S')})", flush=True)
        return True

    def drain(self, db: Database, timeout: float) -> float:
        """Seconds until the running forwarder left nothing pending; then a final flush."""
        start = time.monotonic()
        while db.counts()["outbox_pending"] and time.monotonic() - start < timeout:
            time.sleep(1)
        waited = time.monotonic() - start
        if self.forwarder is not None:
            stop(self.forwarder)
            self.forwarder = None
        # Close the aggregate windows still open and send them (and anything left).
        subprocess.run(
            [str(BIN / "gateway"), "forward", "--once", "--flush"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return waited

    def recorded(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_recorded")["requests"])

    def close(self) -> None:
        for proc in (self.forwarder, self.fake):
            if proc is not None and proc.poll() is None:
                stop(proc)


def outage_checks(
    recorded: list[dict[str, Any]], db: Database, run: int, aggregate_ok: int
) -> list[Check]:
    collect = [r for r in recorded if r["path"] == "/mp/collect"]
    accepted = [r for r in collect if r["status"] < 300]
    refused = Counter(r["status"] for r in collect if r["status"] >= 300)
    delivered: Counter[tuple[int, int]] = Counter()
    buckets: Counter[tuple[Any, ...]] = Counter()
    aggregated = 0
    for r in accepted:
        for event in r["body"]["events"]:
            params = event.get("params", {})
            if params.get("run") == run:
                delivered[(params["part"], params["n"])] += 1
            elif "aggregated_count" in params:
                aggregated += int(params["aggregated_count"])
                key = (event["name"], params.get("window_start"), params.get("page_path"))
                buckets[(*key, params.get("country"), params.get("device_category"))] += 1
    stored = db.event_keys(run)
    print(
        f"\nfake GA: {len(collect)} requests, {len(accepted)} accepted, refused "
        + ", ".join(f"{k}×{v}" for k, v in sorted(refused.items()))
    )
    statuses = db.scalar("SELECT count(*) FROM outbox_events WHERE status <> 'sent'")
    return [
        ("requests refused during the outage (429/5xx)", ">0", sum(refused.values()),
         sum(refused.values()) > 0),
        ("events in the outbox, this run", sum(stored.values()), len(stored),
         all(v == 1 for v in stored.values())),
        ("of them accepted by fake GA", len(stored), len(set(delivered) & set(stored)),
         set(delivered) >= set(stored)),
        ("events accepted more than once", 0, sum(1 for v in delivered.values() if v > 1),
         all(v == 1 for v in delivered.values())),
        ("events accepted that the outbox does not hold", 0, len(set(delivered) - set(stored)),
         not set(delivered) - set(stored)),
        ("outbox rows not 'sent' (pending, dead)", 0, statuses, statuses == 0),
        ("aggregated_count sum == aggregate collects answered 202", aggregate_ok, aggregated,
         aggregated == aggregate_ok),
        ("aggregate buckets sent more than once", 0, sum(1 for v in buckets.values() if v > 1),
         all(v == 1 for v in buckets.values())),
    ]  # fmt: skip


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds (default 30)")
    parser.add_argument("--soak", type=float, default=0, help="minutes of soak instead")
    parser.add_argument("--ga-outage", action="store_true", help="forwarder + failing fake GA")
    parser.add_argument("--database-url", default=None, help="default: SQLite in the tmp dir")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=40, help="consents made before the run")
    parser.add_argument("--port", type=int, default=19400, help="gunicorn; +1 fake GA; 0: free")
    parser.add_argument("--sample-every", type=float, default=5.0, help="soak: seconds")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    seconds = args.soak * 60 if args.soak else args.duration
    port = args.port or free_port()
    ga_port = args.port + 1 if args.port else free_port()

    work = Path(tempfile.mkdtemp(prefix="gateway-load-"))
    server = outage = None
    try:
        env = instance_env(work, args.database_url)
        (work / "metrics").mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(work / "metrics")
        if args.ga_outage:
            env.update(
                GATEWAY_GA_ENDPOINT=f"http://127.0.0.1:{ga_port}",
                # Windows close during the run, so aggregates are forwarded through the
                # outage too; k = 1 so every counted event must arrive (with the default
                # k = 5 small buckets are suppressed by design, which is not a loss).
                GATEWAY_AGGREGATE_WINDOW="10",
                GATEWAY_AGGREGATE_MIN_COUNT="1",
                GATEWAY_FORWARD_BACKOFF_MAX="8",
                GATEWAY_FORWARD_POLL_INTERVAL="1",
            )
        migrate(env)
        db = Database(env["GATEWAY_DATABASE_URL"], work)
        before = db.counts()
        if args.ga_outage and (before["outbox_pending"] or before["aggregate_counted"]):
            sys.exit("--ga-outage needs a database without pending outbox rows or open counts")
        server = serve("wsgi:app", port, env, args.workers)
        ctx = Context(port=port, run=random.randrange(10_000, 100_000))
        setup_posts = prepare(ctx, args.tokens)
        at_times: list[tuple[float, Any]] = []
        if args.ga_outage:
            outage = Outage(env, ga_port)
            at_times = [(seconds * 0.3, outage.begin), (seconds * 0.7, outage.end)]
        backend = "PostgreSQL" if "postgresql" in env["GATEWAY_DATABASE_URL"] else "SQLite"
        print(
            f"gunicorn -w {args.workers} (gunicorn.conf.py, threaded), {backend}, rate limits off, "
            f"{seconds:g} s, wrk one thread per connection: "
            + ", ".join(f"{k}={v}" for k, v in args.mix.items())
            + f"; {setup_posts} consent POSTs made first for the event tokens",
            flush=True,
        )
        load_before = os.getloadavg()
        cpu_before = server_cpu_seconds(server)
        started = time.monotonic()
        results, samples = run_mix(
            ctx,
            args.mix,
            work,
            seconds,
            server,
            db,
            args.sample_every if args.soak else (1.0 if args.ga_outage else 0),
            at_times,
        )
        load_after = os.getloadavg()
        cpu = server_cpu_seconds(server) - cpu_before
        measured = results[0].seconds
        print_results(results, measured)
        total = sum(r.requests for r in results)
        print(
            f"gunicorn CPU (master + workers): {cpu:.1f} s in {measured:.1f} s "
            f"({cpu / measured * 100:.0f}% of one core), {cpu / total * 1e6:.0f} µs per request"
        )
        print(
            f"load average (1 min) before/after: {load_before[0]:.1f}/{load_after[0]:.1f} "
            f"on {os.cpu_count()} cores (the load generator shares them)"
        )
        ok = True
        if args.soak:
            ok &= soak_verdict(samples, server.pid, total, measured)
        stop(server)
        server = None
        by_class = {r.name: r for r in results}
        if outage is not None:
            waited = outage.drain(db, timeout=180)
            peak = max(samples, key=lambda s: s.pending)
            print(
                f"\noutbox pending (sampled every second): peak {peak.pending} at {peak.at:.0f} s"
                f" (outage {outage.began - started:.0f}-{outage.ended - started:.0f} s); "
                f"at the end of the load {samples[-1].pending}"
            )
            print(
                f"\nGA was down {outage.ended - outage.began:.1f} s; the forwarder drained the "
                f"outbox {waited:.0f} s after the load ended"
            )
            recorded = outage.recorded()
        after = db.counts()
        checks = consistency(
            by_class, before, after, setup_posts, aggregate_consumed=outage is not None
        )
        if outage is not None:
            checks += outage_checks(
                recorded, db, ctx.run, by_class["aggregate"].ok if "aggregate" in by_class else 0
            )
        verified, message = consent_verify(env)
        checks.append(
            ("gateway consent verify: records in an intact chain", "all", message, verified)
        )
        ok &= print_checks(checks)
        return 0 if ok else 1
    finally:
        if server is not None:
            stop(server)
        if outage is not None:
            outage.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
