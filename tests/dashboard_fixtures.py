"""A realistic fortnight of data for the staff pages: intake counts, outbox, payloads, requests.

``fill(session, today)`` is deterministic (a seeded generator), so tests can
assert the numbers it produces and screenshots look the same on every run.
Payloads are built by the forwarder's own request builder.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from gateway.analytics.forwarding.ga4 import OutboxItem, build_requests
from gateway.analytics.forwarding.models import ForwardedRequest
from gateway.analytics.intake.aggregate import Bucket, bucket_event, micros
from gateway.analytics.models import CollectStat, OutboxEvent
from gateway.contact.models import ContactRequest

DROP_REASONS = (
    ("bot_user_agent", 40),
    ("headless_browser", 12),
    ("crawler_pattern", 9),
    ("invalid_page_url", 3),
    ("invalid_event_name", 2),
)
GA_REFUSAL = '{"error": "invalid api_secret for measurement_id G-TEST000002"}'
PAGES = ("/", "/tariffs", "/tariffs/home-100", "/support", "/coverage", "/shop/routers")


def _stats(session: Session, today: date, rng: random.Random) -> None:
    for offset in range(14):
        day = today - timedelta(days=offset)
        weekend = day.weekday() >= 5
        for site, scale in (("hottelecom", 1.0), ("shop", 0.35)):
            base = int((620 if not weekend else 380) * scale)
            session.add(CollectStat(day=day, site=site, result="aggregate", reason="", count=base))
            session.add(
                CollectStat(
                    day=day,
                    site=site,
                    result="event",
                    reason="",
                    count=int(base * rng.uniform(0.35, 0.5)),
                )
            )
            for reason, typical in DROP_REASONS:
                count = int(typical * scale * rng.uniform(0.5, 1.5))
                if count:
                    session.add(
                        CollectStat(
                            day=day, site=site, result="dropped", reason=reason, count=count
                        )
                    )


def _items(site: str, origin: str, moment: datetime, first_id: int) -> list[OutboxItem]:
    window = moment.replace(minute=0, second=0, microsecond=0)
    return [
        OutboxItem(
            id=first_id,
            site=site,
            mode="event",
            client_id="1187340571.2049913365",
            user_location={"country_id": "RU", "region_id": "RU-MOW"},
            device={
                "category": "mobile",
                "operating_system": "Android",
                "browser": "Chrome",
                "browser_version": "131",
            },
            event={
                "name": "page_view",
                "params": {
                    "page_location": origin + "/tariffs?utm_source=newsletter",
                    "page_title": "Tariffs",
                    "session_id": "1764050400",
                    "engagement_time_msec": 100,
                },
            },
            timestamp_micros=micros(moment),
        ),
        *(
            OutboxItem(
                id=first_id + 1 + index,
                site=site,
                mode="aggregate",
                client_id=None,
                user_location=None,
                device=None,
                event=bucket_event(
                    Bucket("page_view", page, "RU", "desktop", 12 + 7 * index), window, origin
                ),
                timestamp_micros=micros(window),
            )
            for index, page in enumerate(PAGES[:4])
        ),
    ]


def _forwarded(session: Session, today: date, rng: random.Random) -> int:
    """Recorded requests over the fortnight; returns how many were written."""
    written = 0
    next_id = 1
    for offset in range(13, -1, -1):
        day = today - timedelta(days=offset)
        for hour in (9, 15):
            moment = datetime.combine(day, time(hour, rng.randrange(60)))
            for site, origin in (
                ("hottelecom", "https://hottelecom.example"),
                ("shop", "https://shop.hottelecom.example"),
            ):
                items = _items(site, origin, moment, next_id)
                next_id += len(items)
                built = build_requests(items, micros(moment), lambda: "530771234.1764050400")
                for request in built.requests:
                    outcome, status, answer = "sent", 204, None
                    if site == "shop" and offset == 2 and hour == 15:
                        outcome, status = "dead", 400
                        answer = GA_REFUSAL
                    session.add(
                        ForwardedRequest(
                            site=site,
                            mode=request.mode,
                            measurement_id="G-TEST000001"
                            if site == "hottelecom"
                            else "G-TEST000002",
                            endpoint_kind="live",
                            outcome=outcome,
                            event_count=len(request.event_ids),
                            body_json=request.encoded().decode("utf-8"),
                            status_code=status,
                            response_text=answer,
                            duration_ms=rng.randrange(40, 180),
                            worker="web-1:4242:ab12cd",
                            created_at=moment + timedelta(seconds=written % 50),
                        )
                    )
                    written += 1
    return written


def _outbox(session: Session, today: date, rng: random.Random) -> None:
    event = json.dumps(
        {"name": "page_view", "params": {"page_location": "https://hottelecom.example/"}}
    )
    for offset in range(14):
        day = today - timedelta(days=offset)
        for _ in range(rng.randrange(30, 60)):
            sent = datetime.combine(day, time(rng.randrange(24), rng.randrange(60)))
            session.add(
                OutboxEvent(
                    site="hottelecom" if rng.random() < 0.7 else "shop",
                    mode="event",
                    event_json=event,
                    timestamp_micros=micros(sent),
                    status="sent",
                    attempts=1,
                    created_at=sent - timedelta(seconds=5),
                    sent_at=sent,
                )
            )
    now = datetime.combine(today, time(8, 30))
    for index in range(6):
        session.add(
            OutboxEvent(
                site="hottelecom",
                mode="event",
                event_json=event,
                timestamp_micros=micros(now),
                status="pending",
                attempts=2 if index < 2 else 0,
                created_at=now - timedelta(minutes=index),
                available_at=now + timedelta(minutes=1),
            )
        )
    dead_at = datetime.combine(today - timedelta(days=2), time(15, 5))
    for _ in range(3):
        session.add(
            OutboxEvent(
                site="shop",
                mode="aggregate",
                event_json=json.dumps(
                    {
                        "name": "page_view",
                        "params": {"page_path": "/shop/routers", "aggregated_count": 14},
                    }
                ),
                timestamp_micros=micros(dead_at),
                status="dead",
                attempts=1,
                created_at=dead_at - timedelta(minutes=3),
                sent_at=dead_at,
                last_error=f"HTTP 400: {GA_REFUSAL}",
            )
        )


REQUESTS = (
    # type, status, received days ago, due in days (None: no due date yet)
    ("access", "open", 3, 27),
    ("access", "in_progress", 12, 2),
    ("erase", "open", 25, 5),
    ("erase", "in_progress", 33, -3),
    ("withdraw-consent", "open", 1, 29),
    ("refund", "waiting", 6, 1),
    ("question", "open", 2, 28),
    ("question", "in_progress", 31, -1),
    ("rectify", "open", 10, 20),
    ("other", "unverified", 0, None),
    ("access", "completed", 9, 21),
    ("question", "completed", 4, 26),
    ("refund", "rejected", 8, 22),
)


def _requests(session: Session, today: date) -> None:
    for index, (kind, status, age, due_in) in enumerate(REQUESTS):
        created = datetime.combine(today - timedelta(days=age), time(10, index))
        closed = status in ("completed", "rejected")
        session.add(
            ContactRequest(
                email=f"subscriber{index}@mail.example",
                request_type=kind,
                status=status,
                created_at=created,
                verified_at=None if status == "unverified" else created + timedelta(hours=1),
                due_date=None if due_in is None else today + timedelta(days=due_in),
                closed_at=datetime.combine(today - timedelta(days=1), time(12)) if closed else None,
            )
        )


def fill(session: Session, today: date) -> None:
    rng = random.Random(7)
    _stats(session, today, rng)
    _forwarded(session, today, rng)
    _outbox(session, today, rng)
    _requests(session, today)
    session.commit()
