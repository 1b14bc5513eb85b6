"""Each anonymizer rule, with data that would leak if the rule were missing."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.analytics.intake import anonymizer as anon

ALLOW = ("utm_source", "utm_medium", "utm_campaign")


# --- URL ---------------------------------------------------------------------


def test_url_drops_the_fragment() -> None:
    clean = anon.anonymize_url("https://hottelecom.example/cabinet#email=ivan@mail.ru", ALLOW)
    assert clean is not None
    assert clean.url == "https://hottelecom.example/cabinet"
    assert "ivan" not in clean.url


def test_url_drops_userinfo() -> None:
    clean = anon.anonymize_url("https://ivan:s3cret@hottelecom.example/tariffs", ALLOW)
    assert clean is not None
    assert clean.url == "https://hottelecom.example/tariffs"


def test_url_keeps_only_allowlisted_query_parameters() -> None:
    url = (
        "https://hottelecom.example/pay?utm_source=yandex&phone=%2B79161234567"
        "&gclid=Cj0KCQiA&utm_campaign=winter&session=abc"
    )
    clean = anon.anonymize_url(url, ALLOW)
    assert clean is not None
    assert clean.url == "https://hottelecom.example/pay?utm_source=yandex&utm_campaign=winter"


def _query_by_the_standard_library(query: str, allowlist: tuple[str, ...]) -> str:
    kept = [
        (name, anon.scrub_text(value)[: anon.MAX_VALUE_LENGTH])
        for name, value in parse_qsl(query)
        if name in allowlist
    ]
    return urlencode(kept, quote_via=quote)


_QUERY_PIECES = st.sampled_from(
    [
        "utm_source",
        "utm_medium",
        "utm+source",
        "utm%5Fsource",
        "q",
        "=",
        "&",
        "+",
        "%",
        "%2B",
        "%D0%B8",
        "ivan@mail.ru",
        "79161234567",
        "яндекс",
        ";",
        "#",
        " ",
        "",
    ]
)


@given(st.lists(_QUERY_PIECES | st.text(max_size=6), max_size=14).map("".join))
def test_query_is_read_and_written_as_the_standard_library_would(query: str) -> None:
    """The allowlist rule reads queries as parse_qsl does and writes them as urlencode:
    a parameter smuggled in by a decoding difference would otherwise pass."""
    allow = ("utm_source", "utm_medium")
    assert anon.anonymize_query(query, allow) == _query_by_the_standard_library(query, allow)


def test_url_without_allowlist_keeps_no_query() -> None:
    clean = anon.anonymize_url("https://shop.hottelecom.example/?utm_source=x&q=ivan", ())
    assert clean is not None
    assert clean.url == "https://shop.hottelecom.example/"


def test_url_scrubs_allowlisted_values_too() -> None:
    clean = anon.anonymize_url(
        "https://hottelecom.example/?utm_source=ivan.petrov%40mail.ru", ALLOW
    )
    assert clean is not None
    assert "ivan" not in clean.url
    assert "utm_source=%5Bemail%5D" in clean.url


@pytest.mark.parametrize(
    "segment",
    [
        "ivan.petrov@mail.ru",
        "ivan.petrov%40mail.ru",
        "%2B79161234567",
        "+7-916-123-45-67",
        "89161234567",
        "1234567",
        "550e8400-e29b-41d4-a716-446655440000",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "9f86d081884c7d659a2feaa0c55ad015",
        "aZ3kLm9QpR7sT1vW5xY2bC4d",
        "192.168.10.20",
    ],
)
def test_url_redacts_identifying_path_segments(segment: str) -> None:
    clean = anon.anonymize_url(f"https://hottelecom.example/users/{segment}/orders", ALLOW)
    assert clean is not None
    assert clean.path == "/users/:redacted/orders"
    assert clean.url == "https://hottelecom.example/users/:redacted/orders"


def test_url_keeps_ordinary_path_segments() -> None:
    url = "https://hottelecom.example/tariffs/internet-500/2026/ru"
    clean = anon.anonymize_url(url, ALLOW)
    assert clean is not None
    assert clean.url == url


def test_url_drops_matrix_parameters() -> None:
    clean = anon.anonymize_url("https://hottelecom.example/pay;jsessionid=A1B2C3/done", ALLOW)
    assert clean is not None
    assert clean.path == "/pay/done"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://x/y",
        "/relative",
        "https://",
        "https://1.2.3.4/",
        # Raw control characters: no browser sends them (PostgreSQL refuses NUL).
        "https://hottelecom.example/a\x00b",
        "https://hottelecom.example/\x01",
        "https://hottelecom.example/a\x85b",
    ],
)
def test_url_rejects_what_is_not_a_site_page(url: str) -> None:
    assert anon.anonymize_url(url, ALLOW) is None


def test_url_keeps_percent_encoded_control_characters_encoded() -> None:
    clean = anon.anonymize_url("https://hottelecom.example/a%00b\tc", ALLOW)
    assert clean is not None
    assert clean.path == "/a%00bc"


# --- referrer ------------------------------------------------------------------


def test_referrer_is_reduced_to_its_origin() -> None:
    ref = "https://www.google.com/search?q=ivan+petrov+%2B79161234567"
    assert anon.anonymize_referrer(ref, ["https://hottelecom.example"]) == "https://google.com"


def test_referrer_drops_userinfo_and_path() -> None:
    ref = "https://ivan:pw@mail.example.ru/inbox/ivan@mail.ru"
    assert anon.anonymize_referrer(ref, []) == "https://example.ru"


def test_internal_referrer_is_dropped() -> None:
    internal = ["https://hottelecom.example"]
    assert anon.anonymize_referrer("https://hottelecom.example/cabinet/1234567", internal) is None


def test_unusable_referrer_is_dropped() -> None:
    assert anon.anonymize_referrer("android-app://com.google.android.gm/", []) is None
    assert anon.anonymize_referrer("", []) is None


# --- free text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marker", "secret"),
    [
        ("Письмо от ivan.petrov@mail.ru", "[email]", "ivan.petrov"),
        ("mail: ivan%40mail.ru", "[email]", "ivan"),
        ("Звоните +7 (916) 123-45-67", "[phone]", "123-45-67"),
        ("тел. 8 916 123 45 67", "[phone]", "916 123"),
        ("89161234567", "[phone]", "89161234567"),
        ("+7 495 988 3345", "[phone]", "988 3345"),
        ("UK +44 20 7946 0958", "[phone]", "7946"),
        ("US +1-555-123-4567", "[phone]", "555-123"),
        ("card 4111 1111 1111 1111", "[card]", "4111"),
        ("card 5500-0000-0000-0004", "[card]", "5500"),
        ("5105105105105100", "[card]", "5105105105105100"),
        ("from 81.200.10.20", "[ip]", "81.200"),
        ("from 2001:db8:85a3::8a2e:370:7334", "[ip]", "2001:db8"),
        ("mapped ::ffff:10.0.0.1", "[ip]", "10.0.0.1"),
        ("id 550e8400-e29b-41d4-a716-446655440000", "[uuid]", "550e8400"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "[token]", "eyJ"),
        ("key 9f86d081884c7d659a2feaa0c55ad015", "[uuid]", "9f86d081"),
        ("session aZ3kLm9QpR7sT1vW5xY2bC4d", "[token]", "aZ3kLm9Q"),
        ("ref a8f3k2m9x7q1z5w4r6t0", "[token]", "a8f3k2m9"),
        ("Заказ 1234567", "[number]", "1234567"),
    ],
)
def test_scrub_text_redacts(text: str, marker: str, secret: str) -> None:
    cleaned = anon.scrub_text(text)
    assert marker in cleaned
    assert secret not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Домашний интернет 500 Мбит/с — HotTelecom",
        "Тарифы 2026",
        "Акция до 25.11.2026 12:30",
        "2026-11-25T10:00:00",
        "International telecommunications",
        "tariff-2026-super-internet-100",
    ],
)
def test_scrub_text_keeps_ordinary_text(text: str) -> None:
    assert anon.scrub_text(text) == text


def test_card_numbers_are_recognised_by_luhn() -> None:
    assert anon.luhn_valid("4111111111111111")
    assert not anon.luhn_valid("4111111111111112")
    # A 16-digit number that is not a card is still too long to keep.
    assert anon.scrub_text("4111111111111112") == "[number]"


def test_title_is_scrubbed_and_bounded() -> None:
    title = anon.anonymize_title("Личный кабинет ivan@mail.ru  +79161234567 " + "x" * 400)
    assert title is not None
    assert "ivan" not in title
    assert "9161234567" not in title
    assert len(title) <= anon.MAX_TITLE_LENGTH


# --- parameter names and values -----------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "email",
        "user_email",
        "userEmail",
        "phone",
        "phone_number",
        "name",
        "first_name",
        "customer_name",
        "user_id",
        "userId",
        "customer_id",
        "client_id",
        "address",
        "ip",
        "ip_address",
        "token",
        "access_token",
        "password",
        "passport",
        "transaction_id",
        "session_id",
    ],
)
def test_identity_parameters_are_dropped(name: str) -> None:
    result = anon.clean_params({name: "harmless", "tariff": "home-500"})
    assert name not in result.params
    assert result.params == {"tariff": "home-500"}
    assert result.dropped == 1


@pytest.mark.parametrize("name", ["item_name", "item_id", "value", "currency", "search_term"])
def test_ordinary_parameters_are_kept(name: str) -> None:
    assert anon.clean_params({name: "a"}).params == {name: "a"}


def test_parameter_values_are_scrubbed() -> None:
    result = anon.clean_params({"label": "перезвоните на +7 916 123-45-67", "n": 3})
    assert result.params == {"label": "перезвоните на [phone]", "n": 3}


def test_numbers_long_enough_to_identify_are_dropped() -> None:
    result = anon.clean_params({"value": 79161234567, "price": 1500, "ratio": 0.5})
    assert result.params == {"price": 1500, "ratio": 0.5}


def test_parameter_names_hiding_identifiers_are_dropped() -> None:
    result = anon.clean_params({"q79161234567": 1, "bad-name": 1, "x" * 41: 1, "ok": 1})
    assert result.params == {"ok": 1}


def test_nested_values_are_dropped() -> None:
    result = anon.clean_params({"obj": {"email": "a@b.ru"}, "list": ["a@b.ru"]})
    assert result.params == {}


def test_parameters_the_gateway_sets_cannot_be_overridden() -> None:
    result = anon.clean_params({"page_location": "https://x/ivan@mail.ru", "session_id": "1"})
    assert result.params == {}


def test_at_most_25_parameters() -> None:
    result = anon.clean_params({f"p{i}": i for i in range(40)})
    assert len(result.params) == anon.MAX_PARAMS
    assert result.dropped == 15


@pytest.mark.parametrize(
    "name", ["page_view", "sign_up", "click_cta"], ids=["page_view", "sign_up", "click_cta"]
)
def test_valid_event_names_pass(name: str) -> None:
    assert anon.clean_event_name(name) == name


@pytest.mark.parametrize(
    "name", ["ivan@mail.ru", "call_79161234567", "1st", "", None, "x" * 41, "a b"]
)
def test_event_names_that_are_invalid_or_identifying_are_refused(name: object) -> None:
    assert anon.clean_event_name(name) is None


# --- identifiers -----------------------------------------------------------------


def test_client_id_is_a_keyed_hash_in_ga_form() -> None:
    key = b"k" * 32
    cid = anon.client_id_from(key, "consent", "consent-123")
    first, second = cid.split(".")
    assert first.isdigit()
    assert second.isdigit()
    assert len(first) == len(second) == 10
    assert cid == anon.client_id_from(key, "consent", "consent-123")
    assert "consent-123" not in cid
    assert cid != anon.client_id_from(b"x" * 32, "consent", "consent-123")
    # gtag ids and consent ids live in separate namespaces.
    assert cid != anon.client_id_from(key, "gtag", "consent-123")


def test_session_id_is_stable_for_a_day_only() -> None:
    key = b"k" * 32
    monday = anon.session_id_from(key, "consent", "c1", "2026-11-23")
    assert monday == anon.session_id_from(key, "consent", "c1", "2026-11-23")
    assert monday != anon.session_id_from(key, "consent", "c1", "2026-11-24")
    assert monday != anon.session_id_from(key, "consent", "c2", "2026-11-23")
    assert monday.isdigit()


def test_address_hosts_are_dropped_unless_they_are_the_sites_own_origin() -> None:
    url = "http://192.168.1.20:8000/tariffs"
    assert anon.anonymize_url(url, ALLOW) is None
    assert anon.anonymize_url(url, ALLOW, ("https://hottelecom.example",)) is None
    kept = anon.anonymize_url(url, ALLOW, ("http://192.168.1.20:8000",))
    assert kept is not None
    assert kept.url == url


def test_only_accepted_names_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo of checked names holds names GA receives anyway, never a rejected one,
    and stays bounded."""
    monkeypatch.setattr(anon, "_accepted_param_names", set())
    monkeypatch.setattr(anon, "_accepted_event_names", set())
    assert anon.clean_param_name("tariff") == "tariff"
    assert anon.clean_param_name("tariff") == "tariff"  # from the memo
    assert anon.clean_param_name("customer_email") is None
    assert anon.clean_param_name("ivan_79161234567") is None
    assert anon.clean_event_name("purchase_ivan_79161234567") is None
    assert anon.clean_event_name(["page_view"]) is None  # unhashable: no crash
    assert anon.clean_param_name({"a": 1}) is None
    assert anon.clean_event_name("page_view") == "page_view"
    assert anon._accepted_param_names == {"tariff"}
    assert anon._accepted_event_names == {"page_view"}
    monkeypatch.setattr(anon, "ACCEPTED_NAMES_MAX", 3)
    for name in ("a_one", "a_two", "a_three", "a_four"):
        anon.clean_param_name(name)
    assert len(anon._accepted_param_names) <= 3


def test_raw_urls_are_not_left_in_the_standard_librarys_url_cache() -> None:
    """urllib.parse.urlsplit remembers its last 128 arguments: the anonymizer must not
    hand it raw URLs, or a worker would keep visitors' query strings in memory."""
    from urllib.parse import urlsplit

    raw = "https://hottelecom.example/pay?email=ivan.petrov%40mail.ru&utm_source=ya"
    urlsplit.cache_clear()
    assert anon.anonymize_url(raw, ALLOW) is not None
    assert anon.anonymize_referrer("https://mail.example/?u=ivan.petrov@mail.ru") is not None
    assert urlsplit.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_an_overlong_path_segment_is_redacted_unread() -> None:
    words = "-".join(["news"] * 60)  # 299 characters of nothing identifying
    assert anon.anonymize_path(f"/a/{words}/b") == "/a/:redacted/b"
    assert anon.anonymize_path(f"/a/{words[:200]}/b") == f"/a/{words[:200]}/b"
