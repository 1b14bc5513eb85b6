"""Names typed in lower case or capitals ("ольга смирнова", "СМИРНОВА ОЛЬГА", "ivan petrov").

Search terms are typed that way; the capitalised-run rule never sees them, so
each case below would reach Google without this rule. A listed given name
(gateway/data/given_names_ru.txt) with a surname or patronymic in the
nominative beside it, as pymorphy3 reads them, is a person.
"""

from __future__ import annotations

import json

import pytest

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake import detectors as det
from gateway.analytics.intake.pipeline import Hit, Identity, process
from tests.intake_support import ORIGIN, pipeline_context, record_calls


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("смирнова ольга игоревна", "смирнова", "[name]"),
        ("ольга смирнова", "смирнова", "[name]"),
        ("иван петров", "петров", "[name]"),
        ("поиск: иван петров, тариф", "петров", "поиск: [name], тариф"),
        ("СМИРНОВА ОЛЬГА", "СМИРНОВА", "[name]"),
        ("ольга ким", "ким", "[name]"),  # a surname without a typical ending
        ("ольга хабибуллина", "хабибуллина", "[name]"),  # a surname the dictionary never saw
        ("ольга игоревна", "игоревна", "[name]"),  # a name and a patronymic
        ("ольга смирнова-ким", "ким", "[name]"),  # a double surname
        ("иван иванов и ольга петрова", "петрова", "[name] и [name]"),
        ("надежда петрова звонила", "петрова", "[name] звонила"),
        ("семен петров", "петров", "[name]"),  # "е" written for "ё"
        # In Latin letters, as transliterated names are typed.
        ("ivan petrov", "petrov", "[name]"),
        ("search: olga kim", "kim", "search: [name]"),
        ("IVAN PETROV", "PETROV", "[name]"),
        ("sergey ivanovich", "ivanovich", "[name]"),
        ("ivan khabibullin", "khabibullin", "[name]"),
    ],
)
def test_a_name_in_any_case_is_redacted(text: str, secret: str, expected: str) -> None:
    cleaned = anon.scrub_text(text)
    assert cleaned == expected
    assert secret not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "роутер не работает",
        "вера в будущее",  # a given name that is a word, nothing beside it
        "любовь и голуби",
        "роман толстого",  # a surname, but not in the nominative: "a novel by"
        "тариф для ольги",
        "слава богу",
        "марина сити",
        "ольга",  # a first name alone names nobody
        "сим-карта ольга",
        "roman empire",
        "mark twain",
        "ivan the terrible",
        "tariffs for olga",
    ],
)
def test_words_that_are_names_stay(text: str) -> None:
    assert anon.scrub_text(text) == text


def test_text_without_a_listed_name_pays_one_set_test() -> None:
    assert not det._case_free_name_hint("роутер не работает, помогите настроить")
    assert not det._case_free_name_hint("Home internet 500 Mbit/s")
    assert det._case_free_name_hint("роутер ольги? нет: ольга")
    assert det._case_free_name_hint("router of olga")


def test_dictionary_lookups_are_bounded_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = record_calls(monkeypatch, det, "_nominative_surname")
    words = [f"ольга {chr(0x430 + i % 30)}{chr(0x430 + i // 30)}ова" for i in range(120)]
    cleaned = det.redact_case_free_names(", ".join(words))
    assert len(asked) <= det.MAX_NAME_LOOKUPS
    # Past the budget a surname-shaped neighbour counts as a surname unasked.
    assert cleaned.count("[name]") >= 120 - det.MAX_NAME_LOOKUPS


def test_a_lowercase_name_never_reaches_an_outbox_row() -> None:
    ctx = pipeline_context()
    hit = Hit(
        "view_search_results",
        {"search_term": "смирнова ольга игоревна", "link_text": "иван петров"},
        ORIGIN + "/search",
        None,
        "поиск: ольга ким",
        identity=Identity("consent", "abcd-efgh-ijkl-mnop"),
    )
    rows = process([hit], ctx).outbox_rows
    event = json.loads(rows[-1]["event_json"])
    assert event["params"]["search_term"] == "[name]"
    assert event["params"]["link_text"] == "[name]"
    assert event["params"]["page_title"] == "поиск: [name]"
