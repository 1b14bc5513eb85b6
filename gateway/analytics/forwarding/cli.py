"""Commands of the forwarding half: `gateway forward`, `gateway outbox …`,
`gateway ga-validate`, `gateway fake-ga`; and the retention of what it keeps."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from gateway.analytics.forwarding import outbox
from gateway.analytics.forwarding.fakega import FakeGA, Fault
from gateway.analytics.forwarding.forwarder import Forwarder, ForwardSettings, synthetic_client_id
from gateway.analytics.forwarding.ga4 import (
    ENFORCE_RECOMMENDATIONS,
    OutboxItem,
    build_requests,
    check_request,
    encode_body,
)
from gateway.analytics.forwarding.models import OUTCOMES, ForwardedRequest
from gateway.analytics.intake.aggregate import Bucket, bucket_event, micros
from gateway.analytics.models import (
    OUTBOX_DEAD,
    OUTBOX_DRY_RUN,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OutboxEvent,
)
from gateway.retention import Purger, register_purger
from gateway.sites import Site, all_sites
from gateway.timeutil import utcnow


def _engine() -> sa.Engine:
    return current_app.extensions["gateway.db"]  # type: ignore[no-any-return]


def _forwarder(stop: threading.Event | None = None, **overrides: Any) -> Forwarder:
    settings = ForwardSettings.from_config(current_app.config)
    if overrides:
        settings = ForwardSettings(**{**settings.__dict__, **overrides})
    try:
        return Forwarder(_engine(), all_sites(), settings, stop=stop)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


# ---------------------------------------------------------------- gateway forward


@click.command("forward")
@click.option("--once", is_flag=True, help="Send what is due, wait out retries, then exit.")
@click.option("--flush", is_flag=True, help="Also close aggregate windows that are still open.")
@with_appcontext
def forward_command(once: bool, flush: bool) -> None:
    """Send the outbox to Google Analytics (GA_ENDPOINT; dry-run keeps the payloads).

    Without --once it runs until SIGTERM or SIGINT, finishing the request in
    flight and giving unsent claims back before it exits.
    """
    stop = threading.Event()
    forwarder = _forwarder(stop)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: finishing the current request, then stopping")
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    target = (
        "dry-run (payloads kept, nothing sent)"
        if forwarder.settings.dry_run
        else (forwarder.settings.url("/mp/collect"))
    )
    click.echo(f"forwarding to {target} as {forwarder.worker}")
    try:
        if once:
            result = forwarder.drain(flush=flush)
            totals = result.totals
        else:
            if flush:
                forwarder.close_due_windows(flush=True)
            totals = forwarder.run()
            result = None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        forwarder.close()
    click.echo(
        f"requests: {totals.requests} ({totals.failed_requests} failed and retried); "
        f"events sent: {totals.sent}, kept (dry-run): {totals.dry_run}, "
        f"dead-lettered: {totals.dead}"
    )
    if totals.reasons:
        click.echo(
            "repaired or dropped: "
            + ", ".join(f"{k}={v}" for k, v in sorted(totals.reasons.items()))
        )
    if result is not None and result.gave_up and result.pending_left:
        click.echo(
            f"gave up after {forwarder.settings.once_deadline:g} s: {result.pending_left} "
            "event(s) left pending for the next run",
            err=True,
        )
        sys.exit(1)


# ---------------------------------------------------------------- gateway outbox


@click.group("outbox")
def outbox_group() -> None:
    """What the forwarder sent, would send (dry-run) or gave up on."""


@outbox_group.command("show")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(OUTCOMES),
    help="Only requests with this outcome (repeatable).",
)
@click.option("--site", default=None, help="Only this site.")
@click.option("--compact", is_flag=True, help="One line per request, without the body.")
@with_appcontext
def outbox_show(limit: int, statuses: tuple[str, ...], site: str | None, compact: bool) -> None:
    """Print the latest requests exactly as Google received them (or would have)."""
    rows = outbox.forwarded_requests(_engine(), limit, statuses, site)
    if not rows:
        filtered = " matching --status/--site" if statuses or site else ""
        click.echo(f"no forwarded requests recorded{filtered}")
        with _engine().connect() as conn:
            pending = conn.execute(
                sa.select(sa.func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.status == OUTBOX_PENDING)
            ).scalar_one()
        if not pending:
            click.echo(
                "The outbox is empty too: consented page views land there "
                "(try /demo on a running `gateway serve`)."
            )
        else:
            click.echo(
                f"{pending} event(s) wait in the outbox: no forwarder has sent them yet. "
                "Run `gateway forward` (`make run` and `gateway serve` start one), "
                "or `gateway forward --once` to send what is due and exit."
            )
        return
    for row in rows:
        status = row.status_code if row.status_code is not None else "-"
        click.echo(
            f"#{row.id} {row.created_at:%Y-%m-%d %H:%M:%S} {row.site} {row.mode} "
            f"{row.endpoint_kind} {row.outcome} status={status} events={row.event_count}"
            + (f" error={row.error}" if row.error else "")
        )
        if compact:
            continue
        click.echo(f"  POST /mp/collect?measurement_id={row.measurement_id}&api_secret=…")
        try:
            body = json.dumps(json.loads(row.body_json), indent=2, ensure_ascii=False)
        except ValueError:
            body = row.body_json
        click.echo("  " + body.replace("\n", "\n  "))
        if row.response_text:
            click.echo(f"  GA answered: {row.response_text}")


@outbox_group.command("stats")
@with_appcontext
def outbox_stats() -> None:
    """Outbox depth, attempts, retries and dead letters."""
    data = outbox.stats(_engine())
    if not any(data["events"].values()):
        click.echo(
            "the outbox is empty: consented page views land there "
            "(try /demo on a running `gateway serve`)"
        )
    for status, count in sorted(data["events"].items()):
        click.echo(f"events {status}: {count}")
    click.echo(f"send attempts (per event): {data['attempts']}")
    click.echo(f"retries (per event): {data['retries']}")
    if data["oldest_pending"] is not None:
        age = utcnow() - data["oldest_pending"]
        click.echo(f"oldest pending: {int(age.total_seconds())} s old")
    for outcome, count in sorted(data["requests"].items()):
        click.echo(f"requests {outcome}: {count}")


@outbox_group.command("dead")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def outbox_dead(limit: int) -> None:
    """List dead letters with their reason."""
    with _engine().connect() as conn:
        rows = conn.execute(
            sa.select(
                OutboxEvent.id, OutboxEvent.site, OutboxEvent.event_json, OutboxEvent.last_error
            )
            .where(OutboxEvent.status == OUTBOX_DEAD)
            .order_by(OutboxEvent.id.desc())
            .limit(limit)
        ).all()
    if not rows:
        click.echo("no dead letters")
    for row in rows:
        name = json.loads(row.event_json).get("name", "?") if row.event_json else "?"
        click.echo(f"#{row.id} {row.site} {name}: {row.last_error}")


@outbox_group.command("requeue")
@click.option("--site", default=None, help="Only this site's dead letters.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def outbox_requeue(site: str | None, yes: bool) -> None:
    """Put dead letters back in the queue (after fixing their cause, e.g. the API secret)."""
    with _engine().connect() as conn:
        query = (
            sa.select(sa.func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.status == OUTBOX_DEAD)
        )
        if site is not None:
            query = query.where(OutboxEvent.site == site)
        dead = conn.execute(query).scalar_one()
    if not dead:
        # Nothing to confirm: say so instead of asking.
        click.echo("no dead letters" + (f" for site {site!r}" if site else "") + " to requeue")
        return
    if not yes:
        click.confirm(f"Send the {dead} dead-lettered event(s) again?", abort=True)
    count = outbox.requeue_dead(_engine(), utcnow(), site)
    click.echo(f"{count} event(s) pending again")


# ---------------------------------------------------------------- gateway ga-validate


def sample_items(site: Site, now: datetime) -> list[OutboxItem]:
    """A consented landing (campaign_details, page_view, engaged time) and an aggregate
    bucket with its traffic source, as the intake and the window close make them."""
    origin = site.origins[0] if site.origins else "https://example.com"
    window = now.replace(minute=0, second=0, microsecond=0)
    common = {"session_id": "1732540000", "page_location": origin + "/tariffs"}
    events = [
        {
            "name": "campaign_details",
            "params": {
                **common,
                "source": "yandex",
                "medium": "cpc",
                "campaign": "home_internet",
                "engagement_time_msec": 1,
            },
        },
        {
            "name": "page_view",
            "params": {**common, "page_title": "Tariffs", "engagement_time_msec": 1},
        },
        {"name": "user_engagement", "params": {**common, "engagement_time_msec": 12_500}},
    ]
    items = [
        OutboxItem(
            id=index,
            site=site.id,
            mode="event",
            client_id="1234567890.1234567890",
            user_location={"country_id": "RU", "region_id": "RU-MOW"},
            device={
                "category": "desktop",
                "operating_system": "Windows",
                "browser": "Chrome",
                "browser_version": "120",
            },
            event=event,
            timestamp_micros=micros(now),
        )
        for index, event in enumerate(events, 1)
    ]
    bucket = Bucket("page_view", "/tariffs", "RU", "desktop", 12, "google", "organic", 96_000)
    items.append(
        OutboxItem(
            id=len(items) + 1,
            site=site.id,
            mode="aggregate",
            client_id=None,
            user_location=None,
            device=None,
            event=bucket_event(bucket, window, origin),
            timestamp_micros=micros(window),
        )
    )
    return items


@click.command("ga-validate")
@click.option("--site", "site_ids", multiple=True, help="Site to validate (default: all).")
@click.option("--endpoint", default=None, help="Base URL to use instead of GA_ENDPOINT.")
@with_appcontext
def ga_validate_command(site_ids: tuple[str, ...], endpoint: str | None) -> None:
    """Send a sample built by the forwarder to GA's /debug/mp/collect; print its messages."""
    settings = ForwardSettings.from_config(current_app.config)
    base = endpoint or settings.endpoint
    if base.lower() == "dry-run":
        raise click.UsageError(
            "GA_ENDPOINT is dry-run; pass --endpoint https://region1.google-analytics.com "
            "(or a `gateway fake-ga` URL)"
        )
    sites = all_sites()
    chosen = [sites[s] for s in site_ids if s in sites] if site_ids else list(sites.values())
    unknown = [s for s in site_ids if s not in sites]
    if unknown:
        raise click.UsageError(f"unknown site(s): {', '.join(unknown)}")
    if not chosen:
        raise click.UsageError("no sites configured")
    forwarder = _forwarder(endpoint=base)
    problems = 0
    try:
        for site in chosen:
            now = utcnow()
            built = build_requests(sample_items(site, now), micros(now), synthetic_client_id)
            for request in built.requests:
                # GA's validator then also reports what its reports need (session_id,
                # engagement time), not only what would make it refuse the request.
                checked = {**request.body, "validation_behavior": ENFORCE_RECOMMENDATIONS}
                body = encode_body(checked)
                local = check_request(checked, micros(utcnow()), len(body))
                answer = forwarder.post(site, body, path="/debug/mp/collect")
                label = (
                    f"{site.id} ({site.ga_measurement_id or 'no measurement id'}) {request.mode}"
                )
                if answer.status_code != 200:
                    click.echo(f"{label}: GA answered {answer.status_code or answer.error}")
                    problems += 1
                    continue
                try:
                    messages = json.loads(answer.response_text or "{}").get(
                        "validationMessages", []
                    )
                except (ValueError, AttributeError):
                    messages = [{"description": "GA's answer is not JSON"}]
                messages = [*local, *messages]
                if not site.ga_api_secret:
                    messages.append({"description": "the site has no ga_api_secret"})
                if not messages:
                    click.echo(f"{label}: valid")
                for message in messages:
                    problems += 1
                    click.echo(
                        f"{label}: {message.get('validationCode', 'ERROR')} "
                        f"{message.get('fieldPath', '')}: {message.get('description', '')}"
                    )
    finally:
        forwarder.close()
    if problems:
        sys.exit(1)


# ---------------------------------------------------------------- gateway fake-ga


@click.command("fake-ga")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9100, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--fail",
    "faults",
    multiple=True,
    help="Queue a fault: STATUS:TIMES[:RETRY_AFTER] (e.g. 503:3, 429:2:5) or "
    "hang:SECONDS[:TIMES[:STATUS]] (503 after SECONDS; e.g. hang:3:1:204 is a slow success).",
)
def fake_ga_command(host: str, port: int, faults: tuple[str, ...]) -> None:
    """A local GA4 stand-in: /mp/collect (204, recorded), /debug/mp/collect, /_recorded."""
    try:
        parsed = [Fault.parse(f) for f in faults]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail") from exc
    fake = FakeGA(host, port)
    for fault in parsed:
        fake.inject(fault)
    fake.start()
    click.echo(f"fake GA4 on {fake.url}  (set GATEWAY_GA_ENDPOINT={fake.url})")
    click.echo(f"  recorded requests: GET {fake.url}/_recorded; faults: POST {fake.url}/_faults")
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        fake.stop()
        click.echo(f"stopped; {len(fake.accepted())} request(s) accepted")


# ---------------------------------------------------------------- retention


def _count(stmt: Any) -> int:
    with _engine().connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _purge_ids(model: Any, where: Any, batch: int) -> int:
    with _engine().begin() as conn:
        ids = conn.execute(sa.select(model.id).where(where).limit(batch)).scalars().all()
        if not ids:
            return 0
        return int(conn.execute(sa.delete(model).where(model.id.in_(ids))).rowcount)


def _delivered_before(now: datetime) -> Any:
    cutoff = now - timedelta(days=int(current_app.config["OUTBOX_RETENTION"]))
    return sa.and_(
        OutboxEvent.status.in_((OUTBOX_SENT, OUTBOX_DRY_RUN)), OutboxEvent.sent_at < cutoff
    )


def _dead_before(now: datetime) -> Any:
    cutoff = now - timedelta(days=int(current_app.config["DEAD_LETTER_RETENTION"]))
    return sa.and_(OutboxEvent.status == OUTBOX_DEAD, OutboxEvent.sent_at < cutoff)


def _requests_before(now: datetime) -> Any:
    cutoff = now - timedelta(days=int(current_app.config["FORWARDED_RETENTION"]))
    return ForwardedRequest.created_at < cutoff


def _purger(name: str, model: Any, where: Any) -> Purger:
    return Purger(
        name,
        lambda now: _count(sa.select(sa.func.count()).select_from(model).where(where(now))),
        lambda now, batch: _purge_ids(model, where(now), batch),
    )


def init_app(app: Flask) -> None:
    for command in (forward_command, outbox_group, ga_validate_command, fake_ga_command):
        app.cli.add_command(command)
    register_purger(app, _purger("delivered outbox events", OutboxEvent, _delivered_before))
    register_purger(app, _purger("dead-lettered outbox events", OutboxEvent, _dead_before))
    register_purger(app, _purger("forwarded request records", ForwardedRequest, _requests_before))
