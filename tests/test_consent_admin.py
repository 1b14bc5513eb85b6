"""Consent in the staff area: data-subject requests, /admin/consents, the dashboard panel,
`gateway stats` and the decision metrics."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.admin.dashboard import DateRange, panel_sources
from gateway.consent import chain, reports, services
from gateway.consent.models import ConsentRecord
from gateway.consent.texts import text_hash
from gateway.contact.models import AuditEntry
from gateway.extensions import db
from gateway.policy.versions import state as policy_state
from gateway.sites import get_site
from gateway.timeutil import utcnow
from tests.conftest import AppFactory
from tests.consent_helpers import ORIGIN, decide, records
from tests.contact_support import (
    HTTPS,
    browser_like_client,
    login,
    make_user,
    post_action,
    read_mails,
)
from tests.test_contact_admin import new_request

PASSWORD = "correct horse battery"
STAFF = "staff@hottelecom.example"
ADMIN = "boss@hottelecom.example"


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0)
    make_user(app, STAFF, PASSWORD)
    make_user(app, ADMIN, PASSWORD, role="admin")
    return app


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    client = browser_like_client(app)
    assert login(client, STAFF, PASSWORD).status_code == 303
    return client


@pytest.fixture
def public(app: Flask) -> FlaskClient:
    return browser_like_client(app)


def _bearer(made: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {made['token']}"}


def _verify(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["consent", "verify"])
    return result.exit_code, result.output


def _samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _decisions(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], kind: str) -> float:
    return samples.get(("gateway_consent_decisions_total", (("outcome", kind),)), 0.0)


# -- data-subject requests --------------------------------------------------------------


def test_access_export_holds_the_consent_records_of_the_given_ids(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    api = app.test_client()
    mine = decide(api, {"analytics": True, "marketing": True}).get_json()
    decide(api, {"analytics": False}, token=mine["token"])
    other = decide(api, {"analytics": True}).get_json()
    new_request(
        app,
        public,
        email="visitor@example.ru",
        request_type="withdraw-consent",
        consent_id=mine["consent_id"],
        message="",
    )
    access = new_request(app, public, email="visitor@example.ru", request_type="access")

    exported = staff.get(f"/admin/requests/{access}/export.json", base_url=HTTPS).get_json()
    consent = exported["sources"]["consent"]
    assert [r["consent_id"] for r in consent] == [mine["consent_id"]] * 2
    assert [r["kind"] for r in consent] == ["accept_all", "change"]
    assert consent[1]["choices"] == {"analytics": False, "marketing": False, "necessary": True}
    assert consent[0]["site"] == "hottelecom"
    assert len(consent[0]["record_hash"]) == 64
    assert other["consent_id"] not in json.dumps(exported)

    response = staff.get(f"/admin/requests/{access}/export.csv", base_url=HTTPS)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    consent_rows = [r for r in rows if r[0] == "consent"]
    by_record: dict[str, dict[str, str]] = {}
    for _source, number, field, value in consent_rows:
        by_record.setdefault(number, {})[field] = value
    assert sorted(by_record) == ["1", "2"]
    assert by_record["1"]["consent_id"] == mine["consent_id"]
    assert by_record["2"]["kind"] == "change"
    assert json.loads(by_record["2"]["choices"]) == consent[1]["choices"]
    assert other["consent_id"] not in response.get_data(as_text=True)


def test_erasure_withdraws_then_blanks_the_records_and_the_chain_verifies(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    api = app.test_client()
    mine = decide(api, {"analytics": True}).get_json()
    decide(api, {"analytics": True, "marketing": True}, token=mine["token"])
    kept = decide(api, {"analytics": True}).get_json()
    before = _samples(api)
    new_request(
        app,
        public,
        email="gone@example.ru",
        request_type="withdraw-consent",
        consent_id=mine["consent_id"],
        message="",
    )
    erase = new_request(app, public, email="gone@example.ru", request_type="erase", message="")
    response = post_action(staff, erase, "erase", text="Done", confirm="yes")
    assert response.status_code == 303

    rows = records(app)
    # 2 decisions of the erased consent + the withdrawal recorded before erasing: all blank.
    assert [r.seq for r in rows if r.purged] == [1, 2, 4]
    for row in rows:
        if row.purged:
            assert (row.consent_id, row.site, row.kind, row.choices, row.text_hash) == (
                None,
                None,
                None,
                None,
                None,
            )
            assert row.source is None
            assert row.browser_family is None
    assert rows[2].consent_id == kept["consent_id"]
    assert not rows[2].purged
    assert all(mine["consent_id"] not in repr(vars(r)) for r in rows)
    code, output = _verify(app)
    assert code == 0, output
    assert "4 records" in output
    # The withdrawal counted as a decision once the erasure was committed.
    after = _samples(api)
    assert _decisions(after, "withdrawal") - _decisions(before, "withdrawal") == 1
    with app.app_context():
        proof = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.request_id == erase, AuditEntry.action == "erased"
            )
        ).one()
    assert "consent: 2" in proof.detail

    # The visitor's token still reads as ours, but nothing is kept for it: 410 Gone.
    gone = api.get(f"/api/v1/consent/{mine['consent_id']}", headers=_bearer(mine))
    assert gone.status_code == 410
    body = gone.get_json()
    assert body["error"]["code"] == "consent_gone"
    assert "choices" not in json.dumps(body)
    withdraw = api.delete(
        f"/api/v1/consent/{mine['consent_id']}", headers={**_bearer(mine), "Origin": ORIGIN}
    )
    assert withdraw.status_code == 410
    assert (
        api.get(f"/api/v1/consent/{kept['consent_id']}", headers=_bearer(kept)).status_code == 200
    )
    # A new decision with the old token starts a new consent: nothing links it to the erased one.
    again = decide(api, {"analytics": False}, token=mine["token"])
    assert again.status_code == 201
    assert again.get_json()["consent_id"] != mine["consent_id"]
    assert again.get_json()["decision"] == "reject_all"
    assert _verify(app)[0] == 0


def test_erasure_records_a_withdrawal_only_for_consents_that_grant_something(
    app: Flask,
) -> None:
    api = app.test_client()
    refused = decide(api, {}).get_json()
    withdrawn = decide(api, {"analytics": True}).get_json()
    api.delete(
        f"/api/v1/consent/{withdrawn['consent_id']}",
        headers={**_bearer(withdrawn), "Origin": ORIGIN},
    )
    granted = decide(api, {"marketing": True}).get_json()
    assert len(records(app)) == 4
    ids = [refused["consent_id"], withdrawn["consent_id"], granted["consent_id"], "not-an-id"]
    with app.app_context(), db.transaction() as session:
        erased = services.erase_consents(session, ids, utcnow())
        assert services.records_for(session, ids) == []
        assert services.current_state(session, granted["consent_id"]) is None
    assert erased == 4
    rows = records(app)
    assert len(rows) == 5  # one withdrawal: only the consent that still granted marketing
    assert all(r.purged for r in rows)
    assert _verify(app)[0] == 0
    with app.app_context(), db.transaction() as session:
        assert services.erase_consents(session, ids, utcnow()) == 0
    assert len(records(app)) == 5


def test_retention_and_erasure_blank_records_the_same_way(app: Flask) -> None:
    api = app.test_client()
    made = decide(api, {"analytics": True}).get_json()
    with app.app_context(), db.transaction() as session:
        ids = [r.id for r in services.kept_records(session, [made["consent_id"]])]
        assert services.blank_records(session, ids) == 1
        assert services.blank_records(session, []) == 0
    (row,) = records(app)
    assert row.purged
    assert row.consent_id is None
    assert row.choices is None
    assert row.prev_hash == "0" * 64
    assert len(row.record_hash) == 64


# -- metrics ------------------------------------------------------------------------------


def test_decisions_are_counted_by_outcome_after_commit(app: Flask) -> None:
    api = app.test_client()
    before = _samples(api)
    accepted = decide(api, {"analytics": True, "marketing": True}).get_json()
    decide(api, {"analytics": True})
    decide(api, {"analytics": True}, headers={"Sec-GPC": "1"})
    decide(api, {"analytics": False}, token=accepted["token"])
    api.delete(
        f"/api/v1/consent/{accepted['consent_id']}",
        headers={**_bearer(accepted), "Origin": ORIGIN},
    )
    # Repeating a withdrawal records nothing, so it counts nothing.
    api.delete(
        f"/api/v1/consent/{accepted['consent_id']}",
        headers={**_bearer(accepted), "Origin": ORIGIN},
    )
    assert decide(api, {"analytics": True}, text_hash="0" * 64).status_code == 400
    assert decide(api, {"nonsense": True}).status_code == 400
    # A decision whose transaction rolls back is not counted either.
    with app.app_context():
        site = get_site("hottelecom")
        assert site is not None
        decision = services.DecisionInput(
            site=site,
            choices={},
            policy_version=0,
            language="en",
            text_hash=text_hash(site, "en", 0),
            gpc=False,
            source="api",
            browser_family="Chrome",
        )
        state = policy_state([], date.today())

        def fail_after_recording() -> None:
            with db.transaction() as session:
                services.record_decision(session, decision, state, utcnow())
                raise RuntimeError("storage failed")

        with pytest.raises(RuntimeError):
            fail_after_recording()
        with db.transaction() as session:
            services.record_decision(session, decision, state, utcnow())
    after = _samples(api)
    delta = {kind: _decisions(after, kind) - _decisions(before, kind) for kind in services.KINDS}
    assert delta == {
        "accept_all": 1,
        "reject_all": 1,  # the committed one of the two made directly
        "custom": 1,
        "change": 1,
        "withdrawal": 1,
        "gpc": 1,
    }
    assert len(records(app)) == 6


# -- /admin/consents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/consents",
        "/admin/consents?id=abcd-efgh-ijkl-mnop",
        "/admin/consents/abcd-efgh-ijkl-mnop.json",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, path: str) -> None:
    response = browser_like_client(app).get(path, base_url=HTTPS)
    assert response.status_code == 302
    assert "/admin/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_and_admins_see_the_page_with_a_nav_link(app: Flask, who: str) -> None:
    client = browser_like_client(app)
    login(client, who, PASSWORD)
    response = client.get("/admin/consents", base_url=HTTPS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="/admin/consents" aria-current="page">Consents</a>' in html
    assert "Consent rate over time" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "No data in this range" in html
    # Requests pages link here too.
    queue = client.get("/admin/requests", base_url=HTTPS).get_data(as_text=True)
    assert 'href="/admin/consents"' in queue


def test_lookup_shows_the_chain_of_records_and_that_it_verifies(
    app: Flask, staff: FlaskClient
) -> None:
    api = app.test_client()
    made = decide(api, {"analytics": True}, lang="ru").get_json()
    decide(api, {"marketing": True}, token=made["token"])
    other = decide(api, {}).get_json()
    api.delete(f"/api/v1/consent/{made['consent_id']}", headers={**_bearer(made), "Origin": ORIGIN})
    rows = records(app)

    # Typed in capitals without dashes, as read out on the phone.
    typed = made["consent_id"].replace("-", "").upper()
    response = staff.get(f"/admin/consents?id={typed}", base_url=HTTPS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'data-seq="(\d+)"', html) == ["1", "2", "4"]
    assert other["consent_id"] not in html
    for kind in ("custom", "change", "withdrawal"):
        assert f"<td>{kind}</td>" in html
    assert "<td>ru</td>" in html
    assert "<td>banner</td>" in html
    assert f'title="{rows[1].record_hash}"' in html
    assert f'title="{rows[1].prev_hash}"' in html  # record 2 points at record 1
    assert rows[1].prev_hash == rows[0].record_hash
    assert f'title="{rows[0].text_hash}"' in html
    assert rows[0].created_at.strftime("%Y-%m-%d %H:%M:%S") in html
    status = re.search(r'<dd id="chain-status">(.*?)</dd>', html, re.S)
    assert status is not None
    assert "verifies" in status.group(1)
    assert "all 4 records" in status.group(1)
    assert 'badge-bad">withdrawn' in html
    assert "altered" not in html

    full = staff.get(f"/admin/consents/{made['consent_id']}.json", base_url=HTTPS)
    assert full.status_code == 200
    document = full.get_json()
    assert [r["seq"] for r in document["records"]] == [1, 2, 4]
    assert document["records"][2]["record_hash"] == rows[3].record_hash
    assert "attachment" in full.headers["Content-Disposition"]


def test_lookup_names_the_first_broken_record(app: Flask, staff: FlaskClient) -> None:
    api = app.test_client()
    made = decide(api, {"analytics": False}).get_json()
    decide(api, {"analytics": True}, token=made["token"])
    decide(api, {})
    with app.app_context(), db.transaction() as session:
        # Someone edits the stored proof: the visitor "accepted" after all.
        session.execute(
            sa.update(ConsentRecord)
            .where(ConsentRecord.seq == 1)
            .values(choices='{"analytics":true,"marketing":true,"necessary":true}')
        )
    html = staff.get(f"/admin/consents?id={made['consent_id']}", base_url=HTTPS).get_data(
        as_text=True
    )
    status = re.search(r'<dd id="chain-status">(.*?)</dd>', html, re.S)
    assert status is not None
    assert "broken" in status.group(1)
    assert "record #1" in status.group(1)
    assert "content does not match its hash" in status.group(1)
    assert re.search(r'<tr data-seq="1" class="overdue">', html)
    assert re.search(r'<tr data-seq="2" class="">', html)
    assert html.count(">altered</span>") == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("id=abcd", "A consent id has 16 characters"),
        ("id=%00%00%00", "A consent id has 16 characters"),
        ("id=" + "x" * 5000, "A consent id has 16 characters"),
        ("id=abcd-efgh-ijkl-mno1", "A consent id has 16 characters"),
        ("from=2026-02-30", "dates are written YYYY-MM-DD"),
        ("from=2026-11-20&to=2026-11-01", "the range starts after it ends"),
        ("from=2020-01-01&to=2026-11-01", "at most 366 days"),
        ("site=nowhere", "There is no site &#39;nowhere&#39;"),
        ("site=%3Cscript%3E", "There is no site &#39;&lt;script&gt;&#39;"),
    ],
)
def test_bad_input_gets_a_clear_message(staff: FlaskClient, query: str, message: str) -> None:
    response = staff.get(f"/admin/consents?{query}", base_url=HTTPS)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'role="alert"' in html
    assert "Consent rate over time" in html  # the rest of the page still works
    assert "<script>" not in html


def test_unknown_consent_id_says_nothing_is_kept(app: Flask, staff: FlaskClient) -> None:
    response = staff.get("/admin/consents?id=abcd-efgh-ijkl-mnop", base_url=HTTPS)
    assert response.status_code == 200
    assert 'id="consent-not-found"' in response.get_data(as_text=True)
    assert staff.get("/admin/consents/abcd-efgh-ijkl-mnop.json", base_url=HTTPS).status_code == 404
    assert staff.get("/admin/consents/not-an-id.json", base_url=HTTPS).status_code == 404


# -- consent rates: charts and numbers against known fixtures ------------------------------

PERIOD = DateRange(date(2026, 11, 22), date(2026, 11, 25))
A, M, N = "analytics", "marketing", "necessary"
FIXTURES = [
    # (time, site, kind, choices)
    (datetime(2026, 10, 1, 12), "hottelecom", "accept_all", {A: True, M: True}),  # outside
    (datetime(2026, 11, 23, 0, 0, 1), "hottelecom", "accept_all", {A: True, M: True}),
    (datetime(2026, 11, 23, 9), "hottelecom", "reject_all", {A: False, M: False}),
    (datetime(2026, 11, 23, 23, 59, 59), "hottelecom", "custom", {A: True, M: False}),
    (datetime(2026, 11, 24, 8), "hottelecom", "gpc", {A: False, M: True}),
    (datetime(2026, 11, 24, 9), "hottelecom", "withdrawal", {A: False, M: False}),
    (datetime(2026, 11, 24, 10), "shop", "accept_all", {A: True}),
    (datetime(2026, 11, 25, 7), "shop", "reject_all", {A: False}),
    (datetime(2026, 11, 25, 8), "hottelecom", "change", {A: True, M: False}),
    (datetime(2026, 11, 26, 0, 0, 0), "hottelecom", "accept_all", {A: True, M: True}),  # after
]


def _load_fixtures(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        for number, (when, site, kind, choices) in enumerate(FIXTURES):
            chain.append(
                session,
                {
                    "consent_id": services.new_consent_id(),
                    "site": site,
                    "kind": kind,
                    "source": "gpc" if kind == "gpc" else "banner",
                    "choices": json.dumps({N: True, **choices}, sort_keys=True),
                    "policy_version": 1,
                    "language": "en",
                    "text_hash": f"{number:064d}",
                    "browser_family": "Firefox",
                },
                when,
            )


def test_consent_rates_per_day_and_category(app: Flask) -> None:
    _load_fixtures(app)
    with app.app_context():
        session = db.session()
        everywhere = reports.consent_rates(session, PERIOD, None)
        headers, rows = reports.table(everywhere)
        hottelecom = reports.consent_rates(session, PERIOD, "hottelecom")
        shop_headers, shop_rows = reports.table(reports.consent_rates(session, PERIOD, "shop"))
    assert everywhere.categories == ["analytics", "marketing"]
    assert headers == [
        "day",
        "Accept all",
        "Reject all",
        "Custom",
        "GPC",
        "Withdrawal",
        "Change",
        "total",
        "analytics accepted",
        "marketing accepted",
    ]
    assert rows == [
        ["2026-11-22", "0", "0", "0", "0", "0", "0", "0", "–", "–"],
        ["2026-11-23", "1", "1", "1", "0", "0", "0", "3", "66.7%", "33.3%"],
        # marketing: only hottelecom's two decisions had the category
        ["2026-11-24", "1", "0", "0", "1", "1", "0", "3", "33.3%", "50.0%"],
        ["2026-11-25", "0", "1", "0", "0", "0", "1", "2", "50.0%", "0.0%"],
        ["total", "2", "2", "1", "1", "1", "1", "8", "50.0%", "33.3%"],
    ]
    assert [d.total for d in hottelecom.days] == [0, 3, 2, 1]
    assert hottelecom.days[2].rate("analytics") == 0
    assert shop_headers[-1] == "analytics accepted"
    assert shop_rows[-1] == ["total", "1", "1", "0", "0", "0", "0", "2", "50.0%"]

    bars = reports.decisions_chart(everywhere)
    assert "Accept all: 2, Reject all: 2, Custom: 1, GPC: 1, Withdrawal: 1, Change: 1" in bars
    assert "2026-11-23 · Custom: 1" in bars
    assert "2026-11-22 ·" not in bars
    rate = reports.acceptance_chart(everywhere)
    assert "2026-11-23 · analytics: 66.7%" in rate
    assert "2026-11-24 · marketing: 50%" in rate
    assert "2026-11-25 · marketing: 0%" in rate
    assert "2026-11-22 · analytics" not in rate  # no decisions: no point, not 0%
    assert ">100%</text>" in rate


def test_consent_panel_on_the_dashboard_and_in_gateway_stats(app: Flask) -> None:
    _load_fixtures(app)
    builders = [source.build for source in panel_sources(app)]
    # Right after the requests panel, which holds deadlines.
    assert builders[1] is reports.consent_panel
    with app.app_context():
        panel = reports.consent_panel(db.session(), PERIOD, None)
    assert {f.label: f.value for f in panel.figures} == {
        "decisions": "8",
        "accept all": "25.0%",
        "reject all": "25.0%",
        "withdrawals": "1",
        "analytics accepted": "50.0%",
        "marketing accepted": "33.3%",
    }
    assert len(panel.charts) == 2
    result = app.test_cli_runner().invoke(
        args=["stats", "--from", "2026-11-22", "--to", "2026-11-25", "--site", "hottelecom"]
    )
    assert result.exit_code == 0, result.output
    assert "Consent decisions" in result.output
    assert re.search(r"2026-11-23\s+1\s+1\s+1\s+0\s+0\s+0\s+3\s+66\.7%\s+33\.3%", result.output)
    assert re.search(r"2026-11-24\s+0\s+0\s+0\s+1\s+1\s+0\s+2\s+0\.0%\s+50\.0%", result.output)
    assert re.search(r"decisions\s+6", result.output)


def test_rates_on_the_page_follow_the_range_and_site(app: Flask, staff: FlaskClient) -> None:
    _load_fixtures(app)
    html = staff.get(
        "/admin/consents?from=2026-11-22&to=2026-11-25&site=shop", base_url=HTTPS
    ).get_data(as_text=True)
    table = html[html.index('id="rate-table"') :]
    assert '<th scope="row" class="nowrap">2026-11-24</th><td>1</td>' in table
    assert "marketing accepted" not in table
    assert '<option value="shop" selected>' in html
    assert 'value="2026-11-22"' in html
    everywhere = staff.get(
        "/admin/consents?from=2026-11-23&to=2026-11-23", base_url=HTTPS
    ).get_data(as_text=True)
    assert '<th scope="row" class="nowrap">total</th><td>1</td><td>1</td><td>1</td>' in everywhere
    assert "66.7%" in everywhere


def test_a_withdrawal_request_is_complete_only_once_the_consent_is_withdrawn(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    api = app.test_client()
    made = decide(api, {"analytics": True}).get_json()
    # Typed as people copy it from a letter: capitals, no dashes.
    typed = made["consent_id"].replace("-", "").upper()
    request_id = new_request(
        app,
        public,
        email="w@example.ru",
        request_type="withdraw-consent",
        consent_id=typed,
        message="",
    )
    page = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
    assert f'href="/admin/consents?id={made["consent_id"]}"' in page
    assert 'data-withdrawal="granted"' in page
    before = _samples(api)

    # "Complete" first: refused, nothing recorded, the requester told nothing.
    mails_before = len(read_mails(app))
    refused = post_action(staff, request_id, "complete", text="Withdrawn.")
    assert refused.status_code == 400
    assert "Record the withdrawal first" in refused.get_data(as_text=True)
    assert len(read_mails(app)) == mails_before
    state = api.get(f"/api/v1/consent/{made['consent_id']}", headers=_bearer(made)).get_json()
    assert state["withdrawn"] is False

    done = post_action(staff, request_id, "withdraw", consent_id=typed)
    assert done.status_code == 303
    shown = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
    assert f"The withdrawal of consent {made['consent_id']} is recorded" in shown
    assert f"{made['consent_id']}: withdrawn" in shown  # the audit log
    assert 'data-withdrawal="withdrawn"' in shown
    state = api.get(f"/api/v1/consent/{made['consent_id']}", headers=_bearer(made)).get_json()
    assert state["withdrawn"] is True
    assert state["choices"]["analytics"] is False
    assert records(app)[-1].source == "staff"
    assert _decisions(_samples(api), "withdrawal") - _decisions(before, "withdrawal") == 1
    assert _verify(app)[0] == 0
    assert post_action(staff, request_id, "complete", text="Done").status_code == 303

    # Asked again: already withdrawn, nothing more recorded, and it can be completed.
    again = new_request(
        app,
        public,
        email="w@example.ru",
        request_type="withdraw-consent",
        consent_id=made["consent_id"],
        message="",
    )
    post_action(staff, again, "withdraw", consent_id=made["consent_id"])
    shown = staff.get(f"/admin/requests/{again}", base_url=HTTPS).get_data(as_text=True)
    assert f"Consent {made['consent_id']} was already withdrawn" in shown
    assert post_action(staff, again, "complete", text="").status_code == 303

    # An id nothing is kept for: nothing withdrawn, so the request cannot be completed.
    unknown = new_request(
        app,
        public,
        email="u@example.ru",
        request_type="withdraw-consent",
        consent_id="abcd-efgh-ijkl-mnop",
        message="",
    )
    tried = post_action(staff, unknown, "withdraw", consent_id="abcd-efgh-ijkl-mnop")
    assert tried.status_code == 400
    assert "No records are kept for consent abcd-efgh-ijkl-mnop" in tried.get_data(as_text=True)
    assert post_action(staff, unknown, "complete", text="").status_code == 400
    bad = post_action(staff, unknown, "withdraw", consent_id="hello")
    assert bad.status_code == 400
    assert "16 letters and digits" in bad.get_data(as_text=True)
    assert len(records(app)) == 2
