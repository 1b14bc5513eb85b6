"""The detectors' pre-scan, names without a typical surname ending, and the work the
pipeline no longer does twice (one split of each URL, one scrub of each value).

Each shortcut is checked against the full rule it stands for: a shortcut that
let an identifier through would fail here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake import detectors as det
from gateway.analytics.intake import measurement
from tests.intake_support import record_calls

SITE_ORIGINS = ("https://hottelecom.example",)

# --- names: a first name and any surname, initials ------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Ольга Ким", "Ким"),
        ("Ким Ольга", "Ким"),
        ("поиск: Ольга Ким, тариф", "Ким"),
        ("Надежда Хабибуллина", "Хабибуллина"),  # a surname the dictionary never saw
        ("О. Ким", "Ким"),
        ("О.Ким", "Ким"),
        ("Ким О.", "Ким"),
        ("Ким О. И.", "Ким"),
        ("А. С. Пушкин", "Пушкин"),
    ],
)
def test_a_first_name_with_any_surname_is_redacted(text: str, secret: str) -> None:
    cleaned = anon.scrub_text(text)
    assert "[name]" in cleaned
    assert secret not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Тарифы для Москвы",
        "Роуминг Турция",
        "Вера в будущее",  # a first name, but no capitalised word beside it
        "Вера Москва",  # a first name beside a known ordinary word
        "Сим-карта Билайн",
        "Тарифы Москва",
        "Личный Кабинет",
        "В. Новгород",  # an initial before a city, not a surname
        "Акция. Москва",
    ],
)
def test_innocent_titles_survive(text: str) -> None:
    assert anon.scrub_text(text) == text


@pytest.mark.parametrize("field", ["title", "search_term"])
def test_name_gap_closed_in_title_and_search_term(field: str) -> None:
    if field == "title":
        assert anon.anonymize_title("Ольга Ким — обращение") == "[name] — обращение"
    else:
        params = anon.clean_params({"search_term": "Ольга Ким"}, site_origins=SITE_ORIGINS)
        cleaned = measurement.clean_measured(params.params, SITE_ORIGINS, params.via)
        assert cleaned == {"search_term": "[name]"}


# --- the pre-scan ---------------------------------------------------------------

_SHAPES = st.lists(
    st.sampled_from(
        [
            *list("aZ0179 .-_:@/+=%&#()[]<>№"),
            *list("дДкКвВуУлЛпПрРтТоОсСбБаАяЯ"),
            "ᲀ",
            "ᲃ",
            "eyJ",
            "://",
            "at",
            "AT",
            "dot",
            "собака",
            "СоБаКа",
            "точка",
            "ул.",
            "кв.",
            "д.",
            "пр-т",
            "корп",
            "Ольга",
            "Ким",
            "Ivan",
            "Petrov",
            "Смирнова",
            "DE89",
            "3704",
            "4111",
            "abcd",
            "mn23",
            "deadbeef",
            "1.2.3.4",
            "fe80",
            "+7",
            "916",
            "паспорт",
        ]
    ),
    max_size=24,
).map("".join)


@given(_SHAPES)
@settings(max_examples=3000, deadline=None)
def test_prescan_never_skips_a_rule_that_would_match(raw: str) -> None:
    text = det.normalize(raw)
    if not det.may_hold_identifier(text):
        for _hint, rule in det.RULES:
            assert rule(text) == text, (rule.__name__, text)


@given(st.text(max_size=60))
@settings(max_examples=1500, deadline=None)
def test_prescan_never_skips_a_rule_on_any_text(raw: str) -> None:
    text = det.normalize(raw)
    if not det.may_hold_identifier(text):
        for _hint, rule in det.RULES:
            assert rule(text) == text, (rule.__name__, text)


@pytest.mark.parametrize(
    "text",
    ["Домашний интернет 500 Мбит/с — HotTelecom", "роутер не работает", "Помощь", "RUB"],
)
def test_typical_text_pays_the_prescan_only(text: str) -> None:
    assert not det.may_hold_identifier(det.normalize(text))


@pytest.mark.parametrize(
    "text", ["ivan СоБаКа mail точка ru", "ivan.petrov СОБАКА mail.ru", "ivan сОбАкА mail.ru"]
)
def test_spelled_at_in_any_case_is_an_email(text: str) -> None:
    cleaned = anon.scrub_text(text)
    assert "[email]" in cleaned
    assert "ivan" not in cleaned


@given(st.text(alphabet="abAZ_09", max_size=40))
@settings(max_examples=500, deadline=None)
def test_plain_words_hold_nothing(text: str) -> None:
    if anon._is_plain(text):
        assert det.redact(text) == text
        assert det.normalize(text) == text


@given(st.text(alphabet="abcdefz0123456789_-A.@ :", max_size=24))
@settings(max_examples=2000, deadline=None)
def test_plain_slugs_hold_nothing_any_rule_matches(text: str) -> None:
    if anon._is_plain(text):
        assert det.normalize(text) == text
        for _hint, rule in det.RULES:
            assert rule(text) == text, (rule.__name__, text)


@pytest.mark.parametrize("slug", ["internet-500", "winter3", "home-500", "autumn_sale-2"])
def test_slugs_take_the_plain_path(slug: str) -> None:
    assert anon._is_plain(slug)
    assert anon.scrub_text(slug) == slug


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        # Each one step past the slug shape, and redacted by the full rules.
        ("89161234567", "[phone]"),
        ("tel-8916123456", "[phone]"),
        ("x1y2z3abcdefghijk", "[token]"),
        ("deadbeef-1234-4bcd-8ef0-1234567890ab", "[uuid]"),
    ],
)
def test_past_the_slug_shape_the_rules_run(text: str, marker: str) -> None:
    assert not anon._is_plain(text)
    assert marker in anon.scrub_text(text)


def test_plain_word_shortcut_stops_before_a_uuid_of_letters() -> None:
    letters = "abcdefabcdefabcdefabcdefabcdefab"  # 32 hex letters: a UUID without dashes
    assert not anon._PLAIN.fullmatch(letters)
    assert anon.scrub_text(letters) == "[uuid]"


def test_six_digit_path_segment_is_still_redacted() -> None:
    assert anon.anonymize_path("/orders/123456") == "/orders/:redacted"


# --- one split of each URL ------------------------------------------------------

_URL_PARTS = st.sampled_from(
    [
        *("http", "HTTPS", "https", "ftp", ":", "//", "/", "?", "#", "@", "a", "B", "1", "9"),
        *("65535", "65536", "99999", ".", "-", "[", "]", "\t", "\n", " ", "%", "é", "x.y", "::1"),
        *("&", "=", "utm_source=", "yandex.ru", "hottelecom.example"),
    ]
)


@given(st.lists(_URL_PARTS, max_size=14).map("".join))
@settings(max_examples=3000, deadline=None)
def test_fast_split_says_what_urlsplit_says(tail: str) -> None:
    for url in (tail, "https://" + tail, "http://a" + tail):
        try:
            expected = urlsplit(url)
            expected_port: object = expected.port
        except ValueError as refused:
            with pytest.raises(ValueError, match=re.escape(str(refused))):
                anon._split_http(url)
            continue
        assert anon._split_http(url) == (
            expected.scheme,
            expected.hostname,
            expected_port,
            expected.path,
            expected.query,
        )
        assert tuple(anon._split_url(url)) == tuple(expected)


@pytest.mark.parametrize(
    "referrer",
    [
        "https://yandex.ru/search/?text=hottelecom",
        "https://ivanpetrov1985.blogspot.com/post?x=1",
        "https://Sub.Example.CO.UK.:8443/path",
        "http://10.0.0.1/admin",
        "android-app://com.google.android.gm/",
        "https://hottelecom.example/cabinet",
        "not a url",
        "",
    ],
)
def test_referrer_split_once_says_what_both_rules_said(referrer: str) -> None:
    from gateway.analytics.intake import attribution

    parts = anon.split_referrer(referrer)
    told = anon.anonymize_referrer(referrer, SITE_ORIGINS)
    if parts is None:
        assert told is None
    else:
        assert anon.anonymize_referrer(None, SITE_ORIGINS, parts) == told
    args = ("https://hottelecom.example/", referrer, SITE_ORIGINS, frozenset())
    assert attribution.landing_source(*args) == attribution.landing_source(
        *args, "hottelecom.example", parts
    )


def test_registrable_domains_are_remembered_by_host_only_and_bounded() -> None:
    anon._registrable_domain.cache_clear()
    assert anon.registrable_domain("ivanpetrov1985.blogspot.example:8080") == "blogspot.example"
    assert anon._registrable_domain.cache_info().maxsize == 1024
    # The key is the bare host: no port, no path, no query reaches the memo.
    assert anon._registrable_domain("ivanpetrov1985.blogspot.example") == "blogspot.example"
    assert anon._registrable_domain.cache_info().hits == 1


# --- one scrub of each value ----------------------------------------------------

_VALUES = st.one_of(
    st.sampled_from(
        [
            "https://hottelecom.example/support/router?from=menu",
            "https://hottelecom.example/cabinet/12345678?session=abc",
            "https://vk.com/id123456",
            "https://ivanpetrov1985.blogspot.example/post",
            "//cdn.example/file.pdf",
            "www.example.ru/page",
            "/support/" + "a" * 120,
            "https://hottelecom.example/" + "abcd-efgh-ijkl-mnopq" * 6,
            "http%3A%2F%2Fevil.example%2Fpath%3Fsession%3Dabc",
            "https://x.example extra words",
            "javascript:alert(1)",
            "роутер не работает",
            "Ольга Ким",
            "  много   пробелов  ",
            "звоните +7 916 123-45-67",
        ]
    ),
    st.text(max_size=40),
)


@given(st.dictionaries(st.sampled_from(["link_url", "search_term", "label"]), _VALUES))
@settings(max_examples=1500, deadline=None)
def test_measured_rules_after_clean_params_say_what_a_second_pass_said(
    raw: dict[str, object],
) -> None:
    cleaned = anon.clean_params(raw, site_origins=SITE_ORIGINS)
    once = measurement.clean_measured(cleaned.params, SITE_ORIGINS, cleaned.via)
    twice = measurement.clean_measured(cleaned.params, SITE_ORIGINS)
    assert dict(once) == dict(twice)


def test_each_word_of_a_text_is_asked_of_the_dictionary_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Repeated names cost one lookup each, however long the run of them.
    asked = record_calls(monkeypatch, det, "_person_tags")
    assert set(det.redact_names("Ольга Ким " * 50).split()) == {"[name]"}
    assert sorted(asked) == ["Ким", "Ольга"]


def test_capitalised_words_past_the_lookup_budget_are_redacted_unasked() -> None:
    letters = "бвгджзклмнпрстфхцчшщ"
    words = [f"{a.upper()}{b}ох{c}" for a in letters for b in "ауы" for c in "ия"][:60]
    redacted = det.redact_names(" ".join(words))
    # The first words are asked (unknown words beside no first name: kept);
    # what lies past the budget is redacted rather than asked.
    assert redacted.startswith(" ".join(words[:2]))
    assert "[name]" in redacted
    assert words[-1] not in redacted
    # A person in an ordinary title is still found, and an innocent title kept.
    assert det.redact_names("Заказ для Ольга Ким") == "Заказ для [name]"
    assert det.redact_names("Роуминг Турция") == "Роуминг Турция"


@pytest.mark.parametrize("text", ["Помощь", "роутер не работает", "Оплата картой онлайн"])
def test_a_text_capitalised_only_at_its_start_skips_names_and_addresses(text: str) -> None:
    assert not det.may_hold_identifier(text)


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("доставка на пр-т Мира", "[address]"),
        ("кв. 3", "[address]"),
        ("Звонок от Ольга Ким", "[name]"),
        ("Ким О. И.", "[name]"),
    ],
)
def test_a_capital_or_a_digit_inside_still_runs_them(text: str, marker: str) -> None:
    assert det.may_hold_identifier(text)
    assert marker in anon.scrub_text(text)


_CYRILLIC_WORDS = st.sampled_from(
    [
        "роутер",
        "не",
        "работает",
        "Помощь",
        "ольга",
        "Ольга",
        "смирнова",
        "игоревна",
        "собака",
        "собаками",
        "ул",
        "д",
        "кв",
        "пр",
        "паспорт",
        "серия",
        "ёжик",
        "Ёлка",
        "а",
        "я",
        "ИВАН",
        "иван",
        "петров",
        "сергеевич",
        "наталья",
        "мира",
        "ленина",
        "корп",
        "стр",
        "точка",
    ]
)


@given(st.lists(_CYRILLIC_WORDS, min_size=1, max_size=8), st.sampled_from([" ", "  ", "-", ""]))
@settings(max_examples=2000, deadline=None)
def test_plain_cyrillic_words_hold_nothing_any_rule_matches(words: list[str], sep: str) -> None:
    text = sep.join(words)
    if anon._is_plain(text):
        assert det.normalize(text) == text
        for _hint, rule in det.RULES:
            assert rule(text) == text, (rule.__name__, text)
        assert anon.scrub_text(text) == text


@pytest.mark.parametrize("text", ["роутер не работает", "Помощь", "тарифы для дома"])
def test_lowercase_cyrillic_words_take_the_plain_path(text: str) -> None:
    assert anon._is_plain(text)
    assert anon.scrub_text(text) == text


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("ольга смирнова", "[name]"),  # a listed given name: the name rule runs
        ("смирнова ольга игоревна", "[name]"),
        ("пишите иван собака почта точка ру", None),  # "собака": the e-mail rule runs
        ("Смирнова Ольга", "[name]"),  # a capital inside: not the plain shape
    ],
)
def test_past_the_plain_cyrillic_shape_the_rules_run(text: str, marker: str | None) -> None:
    assert not anon._is_plain(text)
    if marker:
        assert marker in anon.scrub_text(text)
