"""Client and session ids: keyed hashes, remembered only for the gateway's own consent ids."""

from __future__ import annotations

import pytest

from gateway.analytics.intake import pipeline
from gateway.analytics.intake.anonymizer import client_id_from, session_id_from
from gateway.analytics.intake.pipeline import Identity, pseudonyms

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


@pytest.fixture(autouse=True)
def empty_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_consent_pseudonyms", {})


def test_consent_pseudonyms_are_the_keyed_hashes_and_are_remembered() -> None:
    consent = Identity("consent", "3f2c9d7e-consent")
    first = pseudonyms(KEY, consent, "s1795000000", "2026-11-26")
    assert first == (
        client_id_from(KEY, "consent", "3f2c9d7e-consent"),
        session_id_from(KEY, "consent", "3f2c9d7e-consent", "s1795000000"),
    )
    assert pseudonyms(KEY, consent, "s1795000000", "2026-11-26") == first
    assert len(pipeline._consent_pseudonyms) == 1


def test_a_new_session_or_key_gives_a_new_session_and_the_memo_does_not_mix_them() -> None:
    consent = Identity("consent", "3f2c9d7e-consent")
    today = pseudonyms(KEY, consent, "d2026-11-26", "2026-11-26")
    tomorrow = pseudonyms(KEY, consent, "d2026-11-27", "2026-11-27")
    # The memo holds one day only: yesterday's entries are gone.
    assert set(pipeline._consent_pseudonyms) == {(KEY, consent.value, "d2026-11-27", "2026-11-27")}
    rotated = pseudonyms(OTHER_KEY, consent, "d2026-11-26", "2026-11-26")
    assert today[0] == tomorrow[0]
    assert today[1] != tomorrow[1]
    assert rotated[0] != today[0]
    assert rotated[1] != today[1]


def test_gtag_client_ids_are_never_remembered() -> None:
    """gtag's cid is the visitor's own cookie value: hashed, then gone."""
    gtag = Identity("gtag", "1234567890.1700000000")
    result = pseudonyms(KEY, gtag, "g1700000000", "2026-11-26")
    assert result[0] == client_id_from(KEY, "gtag", "1234567890.1700000000")
    assert pipeline._consent_pseudonyms == {}
    assert "1234567890.1700000000" not in repr(vars(pipeline))


def test_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PSEUDONYM_CACHE_SIZE", 3)
    for n in range(10):
        pseudonyms(KEY, Identity("consent", f"consent-{n}"), "s1795000000", "2026-11-26")
    assert len(pipeline._consent_pseudonyms) <= 3
