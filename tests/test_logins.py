"""Logins and handles made of a person's name ("ivanpetrov85", "olga_1990").

To every other rule they are plain slugs (lowercase letters, digits and a
separator), so each case below would reach Google without the login rule.
The given names come from gateway/data/given_names_ru.txt, read in their
Latin spellings; surnames are asked of pymorphy3's dictionary.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake import detectors as det
from gateway.analytics.intake.pipeline import Hit, Identity, process
from tests.intake_support import ORIGIN, pipeline_context, record_calls

CTX = pipeline_context(query_allowlist=("utm_content",))


def test_every_listed_name_is_a_given_name_in_the_dictionary() -> None:
    names = det._given_names_in_file()
    assert len(names) > 150
    not_names = [n for n in names if "Name" not in det._person_tags(n)]
    assert not_names == []


@pytest.mark.parametrize(
    ("name", "spellings"),
    [
        ("Юлия", {"yulia", "yuliya", "iuliia", "julia"}),
        ("Алексей", {"aleksey", "alexey", "alexei", "aleksej"}),
        ("Ксения", {"ksenia", "kseniya", "xenia"}),
        ("Наталья", {"natalya", "natalia"}),
        ("Пётр", {"petr", "pyotr"}),
        ("Елена", {"elena", "yelena"}),
        ("Дмитрий", {"dmitry", "dmitriy", "dmitrii", "dmitri"}),
        ("Ольга", {"olga"}),
    ],
)
def test_names_are_read_in_their_usual_latin_spellings(name: str, spellings: set[str]) -> None:
    assert spellings <= det.latin_spellings(name)
    assert spellings <= det.given_names().spellings


def test_short_names_are_left_out() -> None:
    # Too many words begin with three letters: "lev", "eva", "ira".
    assert all(len(s) >= det.MIN_NAME_LETTERS for s in det.given_names().spellings)
    assert det.latin_spellings("Лев") == set()


# (login, a piece of it that must not survive)
LOGINS = [
    ("ivanpetrov85", "petrov"),
    ("ivan_petrov_1985", "petrov"),
    ("ivan.petrov", "petrov"),
    ("petrov_ivan", "petrov"),
    ("IvanPetrov85", "Petrov"),
    ("ivanpetrov", "petrov"),  # a name glued to a surname, no digits
    ("olga1990", "olga"),
    ("olga_1990", "olga"),
    ("xenia2001", "xenia"),
    ("petrova85", "petrova"),  # a surname and digits
    ("ivanov85", "ivanov"),
    ("sergei_ivanov", "ivanov"),
    ("iuliia.smirnova", "smirnova"),
    ("denis-smirnov-77", "smirnov"),
    ("natasha.rostova", "rostova"),  # a place's name too, but beside a given name
    ("olga_kim", "kim"),  # a surname without a typical ending
    ("ivan_khabibullin", "khabibullin"),  # a surname the dictionary never saw
    ("ipetrov85", "petrov"),  # an initial glued to a surname, and digits
    ("i.petrov", "petrov"),  # an initial beside a surname
    ("s_popov", "popov"),
    ("o.ivanova-1", "ivanova"),  # a place's name too ("Иваново"), but beside an initial
]


@pytest.mark.parametrize(("login", "piece"), LOGINS)
def test_a_login_made_of_a_name_is_redacted(login: str, piece: str) -> None:
    for text in (login, f"поиск {login} тариф", f"Профиль {login}."):
        cleaned = anon.scrub_text(text)
        assert "[login]" in cleaned, text
        assert piece not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "winter2026",
        "internet-500",
        "home-500",
        "autumn_sale",
        "page_view",
        "hottelecom",
        "bookmark2",  # ends with a name, but "book" is no surname
        "veranda2",  # starts with one, "nda" is no surname
        "rostov2026",  # a surname-shaped city and a number
        "berlin2026",
        "kremlin5",
        "ivanovo",
        "anna_main",  # a short English word with a surname's ending
        "olga_online",
        "a.internet",
        "x.main",
        "ivan",  # a first name alone names nobody
        "roman",
        "Mark",
    ],
)
def test_words_slugs_and_places_stay(text: str) -> None:
    assert anon.scrub_text(text) == text


def test_a_login_in_a_path_segment_is_redacted() -> None:
    assert anon.anonymize_path("/profile/ivan_petrov") == "/profile/:redacted"
    assert anon.anonymize_path("/profile/ivanpetrov85/orders") == "/profile/:redacted/orders"
    assert anon.anonymize_path("/tariffs/internet-500") == "/tariffs/internet-500"


def test_a_login_is_no_plain_word() -> None:
    # The shortcut that skips every rule for plain words and slugs must not skip these.
    for login, _piece in LOGINS:
        if anon._PLAIN.fullmatch(login) or anon._PLAIN_SLUG.fullmatch(login):
            assert not anon._is_plain(login), login


def test_an_event_or_parameter_name_that_is_a_login_is_refused() -> None:
    assert anon.clean_event_name("ivan_petrov") is None
    assert anon.clean_event_name("olga1990") is None
    assert anon.clean_event_name("select_tariff") == "select_tariff"
    assert anon.clean_param_name("ivan_petrov") is None
    assert anon.clean_param_name("olga_smirnova") is None
    assert anon.clean_param_name("promotion_name") == "promotion_name"
    cleaned = anon.clean_params({"ivan_petrov": 1, "tariff": "home-500"})
    assert cleaned.params == {"tariff": "home-500"}
    assert cleaned.dropped == 1


def test_no_login_reaches_an_outbox_row() -> None:
    hit = Hit(
        "view_search_results",
        {"search_term": "ivanpetrov85", "link_text": "olga_1990", "author": "natasha.rostova"},
        ORIGIN + "/u/ivan_petrov?utm_content=sergei_ivanov",
        None,
        "Профиль ivanpetrov85",
        identity=Identity("consent", "abcd-efgh-ijkl-mnop"),
    )
    rows = process([hit], CTX).outbox_rows
    assert rows
    sent = json.dumps([json.loads(r["event_json"]) for r in rows], ensure_ascii=False)
    for piece in ("petrov", "olga", "rostova", "ivanov"):
        assert piece not in sent
    event = json.loads(rows[-1]["event_json"])
    assert event["params"]["search_term"] == "[login]"
    assert event["params"]["page_title"] == "Профиль [login]"
    assert event["params"]["page_location"].startswith(ORIGIN + "/u/:redacted")


def test_dictionary_lookups_are_bounded_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = record_calls(monkeypatch, det, "_latin_grammemes")
    # 200 distinct made-up surnames with digits: once the budget is spent, the
    # rest count as surnames by their shape and are redacted unasked.
    text = " ".join(f"{chr(98 + i % 20)}{chr(98 + i // 20)}rov{i}" for i in range(200))
    cleaned = det.redact_logins(text)
    assert len(asked) == det.MAX_LOGIN_LOOKUPS
    assert cleaned.count("[login]") == 200 - det.MAX_LOGIN_LOOKUPS


@given(
    name=st.sampled_from(sorted(det.given_names().spellings)),
    digits=st.integers(0, 9999).map(str),
    sep=st.sampled_from(["", "_", ".", "-"]),
    before=st.text(alphabet="абвгд где ", max_size=10),
)
@settings(max_examples=300, deadline=None)
def test_any_listed_name_with_digits_is_a_login(
    name: str, digits: str, sep: str, before: str
) -> None:
    cleaned = anon.scrub_text(f"{before} {name}{sep}{digits} конец")
    assert name not in cleaned
    assert "[login]" in cleaned


def test_latin_names_ask_the_dictionary_once_per_word(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = record_calls(monkeypatch, det, "_latin_tags")
    # "Ivan Petrov " over a whole title cost 50 ms when each run asked again.
    cleaned = det.redact_latin_names("Ivan Petrov " * 150)
    assert set(cleaned.split()) == {"[name]"}
    assert sorted(asked) == ["Ivan", "Petrov"]
