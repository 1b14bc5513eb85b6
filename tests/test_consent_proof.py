"""Proof of consent: the hash chain, its verification, exports, retention, services."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.consent import services
from gateway.consent.cli import spreadsheet_safe
from gateway.consent.models import ConsentChainHead, ConsentRecord
from gateway.extensions import db
from gateway.policy.versions import state as policy_state
from gateway.sites import get_site
from gateway.timeutil import today, utcnow
from tests.conftest import AppFactory
from tests.consent_helpers import decide, records


def _three_decisions(client: FlaskClient) -> list[dict[str, str]]:
    first = decide(client, {"analytics": True}).get_json()
    second = decide(client, {"analytics": False}, token=first["token"]).get_json()
    third = decide(client, {"marketing": True}).get_json()
    return [first, second, third]


def _verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["consent", "verify"])
    return result.exit_code, result.stdout + result.stderr


def test_records_form_a_chain(app: Flask, client: FlaskClient) -> None:
    _three_decisions(client)
    rows = records(app)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].record_hash
    assert rows[2].prev_hash == rows[1].record_hash
    code, out = _verify(app)
    assert code == 0
    assert "intact: 3 records" in out


def test_verify_names_an_edited_record(app: Flask, client: FlaskClient) -> None:
    made = _three_decisions(client)
    with app.app_context(), db.transaction() as session:
        session.execute(
            sa.update(ConsentRecord)
            .where(ConsentRecord.seq == 2)
            .values(choices='{"analytics":true,"marketing":false,"necessary":true}')
        )
    code, out = _verify(app)
    assert code == 1
    assert f"record #2 (consent {made[1]['consent_id']}): content does not match" in out


def test_verify_names_a_removed_record(app: Flask, client: FlaskClient) -> None:
    _three_decisions(client)
    with app.app_context(), db.transaction() as session:
        session.execute(sa.delete(ConsentRecord).where(ConsentRecord.seq == 2))
    code, out = _verify(app)
    assert code == 1
    assert "record #2 is missing" in out


def test_verify_notices_a_removed_last_record(app: Flask, client: FlaskClient) -> None:
    _three_decisions(client)
    with app.app_context(), db.transaction() as session:
        session.execute(sa.delete(ConsentRecord).where(ConsentRecord.seq == 3))
    code, out = _verify(app)
    assert code == 1
    assert "record #3 is missing" in out


def test_verify_notices_a_rewritten_chain_link(app: Flask, client: FlaskClient) -> None:
    _three_decisions(client)
    with app.app_context(), db.transaction() as session:
        # Re-hashing the edited record is not enough: the next record still points at the old one.
        record = session.scalars(sa.select(ConsentRecord).where(ConsentRecord.seq == 2)).one()
        record.choices = '{"analytics":true,"marketing":true,"necessary":true}'
        from gateway.consent.chain import digest_of

        record.record_hash = digest_of(record)
    code, out = _verify(app)
    assert code == 1
    assert "record #3" in out
    assert "previous-record hash" in out


def test_missing_chain_head_is_rebuilt_from_the_last_record(
    app: Flask, client: FlaskClient
) -> None:
    _three_decisions(client)
    with app.app_context(), db.transaction() as session:
        session.execute(sa.delete(ConsentChainHead))
    assert decide(client, {}).status_code == 201
    assert [r.seq for r in records(app)] == [1, 2, 3, 4]
    assert _verify(app)[0] == 0


def test_concurrent_decisions_never_fork_the_chain(app: Flask) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        client = app.test_client()
        try:
            for _ in range(5):
                response = decide(client, {"analytics": True})
                assert response.status_code == 201, response.data
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    rows = records(app)
    assert [r.seq for r in rows] == list(range(1, 31))
    assert len({r.prev_hash for r in rows}) == 30
    assert _verify(app)[0] == 0


def test_current_state_and_records_for(app: Flask, client: FlaskClient) -> None:
    made = _three_decisions(client)
    with app.app_context():
        session = db.session()
        state = services.current_state(session, made[0]["consent_id"])
        assert state is not None
        assert state.choices["analytics"] is False
        assert state.kind == "change"
        assert state.decisions == 2
        assert not state.withdrawn
        assert services.current_state(session, "aaaa-bbbb-cccc-dddd") is None
        found = services.records_for(session, [made[0]["consent_id"], made[2]["consent_id"]])
    assert [r["kind"] for r in found] == ["custom", "change", "custom"]
    assert found[0]["choices"] == {"analytics": True, "marketing": False, "necessary": True}
    assert {"record_hash", "prev_hash", "text_hash", "created_at"} <= set(found[0])


def test_current_standing_is_the_latest_decision_in_brief(app: Flask, client: FlaskClient) -> None:
    """The intake's one-row read agrees with the full state, decision after decision."""
    made = _three_decisions(client)
    ids = [made[0]["consent_id"], made[2]["consent_id"]]
    with app.app_context():
        session = db.session()
        services.withdraw(session, made[2]["consent_id"], "api", "Firefox", utcnow())
        session.commit()
        with db.engine.connect() as connection:
            for consent_id in ids:
                state = services.current_state(session, consent_id)
                standing = services.current_standing(connection, consent_id)
                assert state is not None
                assert standing == services.Standing(
                    state.withdrawn, state.choices, state.policy_version
                )
            assert services.current_standing(connection, "aaaa-bbbb-cccc-dddd") is None
            changed = services.current_standing(connection, made[0]["consent_id"])
            withdrawn = services.current_standing(connection, made[2]["consent_id"])
    # The first consent granted analytics, then took it back by a change.
    assert changed is not None
    assert not changed.grants("analytics")
    # The third granted marketing, then was withdrawn: nothing is granted any more.
    assert withdrawn is not None
    assert withdrawn.withdrawn
    assert not withdrawn.grants("marketing")
    assert not withdrawn.grants("analytics")


def test_an_empty_export_says_why_on_stderr_and_stays_empty(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["consent", "export", "--since", "2026-01-01"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no consent records made since 2026-01-01: they are made when a visitor" in (
        result.stderr
    )


def test_export_jsonl_and_since(app: Flask, client: FlaskClient) -> None:
    with time_machine.travel(utcnow() - timedelta(days=10)):
        decide(client, {"analytics": True})
    _three_decisions(client)
    runner = app.test_cli_runner()
    everything = runner.invoke(args=["consent", "export", "--format", "jsonl"])
    assert everything.exit_code == 0
    lines = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert "exporting" in everything.stderr
    since = (today() - timedelta(days=1)).isoformat()
    recent = runner.invoke(args=["consent", "export", "--since", since])
    assert [json.loads(line)["seq"] for line in recent.stdout.splitlines()] == [2, 3, 4]
    bad = runner.invoke(args=["consent", "export", "--since", "yesterday"])
    assert bad.exit_code == 2


def test_export_csv_escapes_formulas(app: Flask) -> None:
    with app.app_context():
        site = get_site("hottelecom")
        assert site is not None
        from gateway.consent.texts import text_hash

        decision = services.DecisionInput(
            site=site,
            choices={"analytics": True},
            policy_version=0,
            language="en",
            text_hash=text_hash(site, "en", 0),
            gpc=False,
            source="api",
            browser_family='=HYPERLINK("http://evil.example")',
        )
        with db.transaction() as session:
            services.record_decision(session, decision, policy_state([], today()), utcnow())
    result = app.test_cli_runner().invoke(args=["consent", "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["browser_family"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["choices"] == "analytics=yes;marketing=no;necessary=yes"
    assert spreadsheet_safe("-1+2") == "'-1+2"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("+7 495") == "'+7 495"
    assert spreadsheet_safe("Chrome") == "Chrome"


def test_retention_purges_old_consents_and_keeps_the_chain(app_factory: AppFactory) -> None:
    # Tokens live long enough here to change a decision years later.
    app = app_factory(CONSENT_MAX_AGE=3000)
    client = app.test_client()
    with time_machine.travel(utcnow() - timedelta(days=2000)):
        old = decide(client, {"analytics": True}).get_json()
        decide(client, {"analytics": False}, token=old["token"])
        kept = decide(client, {"analytics": True}).get_json()
    with time_machine.travel(utcnow() - timedelta(days=100)):
        # A recent change keeps a consent whose first decision is old.
        decide(client, {"marketing": True}, token=kept["token"])
    fresh = decide(client, {}).get_json()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "consent records: 2 would be removed" in dry.stdout
    assert len(records(app)) == 5
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0
    assert "consent records: 2 removed" in done.stdout
    with app.app_context():
        session = db.session()
        assert services.current_state(session, old["consent_id"]) is None
        assert services.current_state(session, kept["consent_id"]) is not None
        assert services.current_state(session, fresh["consent_id"]) is not None
    purged = [r for r in records(app) if r.purged]
    assert [r.seq for r in purged] == [1, 2]
    assert all(r.consent_id is None and r.choices is None for r in purged)
    assert _verify(app)[0] == 0
    # Exports leave purged records out.
    out = runner.invoke(args=["consent", "export"]).stdout
    assert old["consent_id"] not in out
    assert len(out.splitlines()) == 3


def test_daily_decisions_for_the_admin_charts(app: Flask, client: FlaskClient) -> None:
    with time_machine.travel(utcnow() - timedelta(days=1)):
        decide(client, {"analytics": True, "marketing": True})
    first = decide(client, {"analytics": True}).get_json()
    decide(client, {}, token=first["token"])
    decide(client, {"analytics": False}, headers={"Sec-GPC": "1"})
    with app.app_context():
        days = services.daily_decisions(db.session(), today() - timedelta(days=3))
    assert [d.day for d in days] == [today() - timedelta(days=1), today()]
    assert days[0].kinds == {"accept_all": 1}
    assert days[0].granted == {"analytics": 1, "marketing": 1, "necessary": 1}
    assert days[1].kinds == {"custom": 1, "change": 1, "gpc": 1}
    assert days[1].granted["analytics"] == 1
    assert days[1].total == 3
    assert {d.site for d in days} == {"hottelecom"}


def test_prepared_standing_query_agrees_with_current_standing(
    app: Flask, client: FlaskClient
) -> None:
    """The intake's prepared statement (a DB-API cursor) reads what current_standing reads."""
    made = _three_decisions(client)
    ids = [made[0]["consent_id"], made[2]["consent_id"], "aaaa-bbbb-cccc-dddd"]
    with app.app_context():
        session = db.session()
        services.withdraw(session, made[2]["consent_id"], "api", "Firefox", utcnow())
        session.commit()
        query = services.StandingQuery(db.engine.dialect)
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            prepared = [query.run(cursor, consent_id) for consent_id in ids]
            cursor.close()
        finally:
            raw.close()
        with db.engine.connect() as connection:
            brief = [services.current_standing(connection, consent_id) for consent_id in ids]
    assert prepared == brief
    assert prepared[1] is not None
    assert prepared[1].withdrawn
    assert prepared[2] is None
