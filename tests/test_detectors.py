"""The anonymizer's detectors, each with data that would leak without it, and the
linear-time guarantee on the adversarial shapes (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake import detectors as det
from gateway.analytics.intake.pipeline import Context, Hit, process
from gateway.sites import Site
from gateway.useragent import DeviceFacts

SITE_ORIGINS = ("https://hottelecom.example",)

# --- normalization -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ivan.petrov＠mail.ru", "ivan.petrov@mail.ru"),  # fullwidth, NFKC
        ("ivan.petrov%2540mail.ru", "ivan.petrov@mail.ru"),  # encoded twice
        ("ivan%252540mail.ru", "ivan@mail.ru"),  # three times
        ("iv\u200ban\u00ad.pe\u2060trov@mail.ru", "ivan.petrov@mail.ru"),  # invisible
        ("ivan&#64;mail.ru", "ivan@mail.ru"),  # HTML entity
        ("ivan&commat;mail.ru", "ivan@mail.ru"),
        ("a\x00b\x85c", "abc"),  # C0 and C1 controls
        ("a\u00a0\u2003 b", "a b"),  # space variants
    ],
)
def test_normalize(raw: str, normalized: str) -> None:
    assert det.normalize(raw) == normalized


def test_decoding_is_bounded() -> None:
    deep = "%25" * 50 + "40"
    assert len(det.decode_layers(deep)) > 10  # four rounds, not fifty


@pytest.mark.parametrize(
    "raw",
    [
        "ivan％40mail.ru",  # a fullwidth percent sign: NFKC makes the escape
        "ivan%EF%BC%8540mail.ru",  # the same, percent-encoded
        "ivan&#xFF05;40mail.ru",  # the same, as an entity
        "ivan％２５40mail.ru",  # fullwidth digits too, and one more layer
        "ivan%\u200b40mail.ru",  # an invisible character inside the escape
        "ivan%2525252540mail.ru",  # five layers: past one round of decoding
    ],
)
def test_an_escape_made_by_folding_or_dropping_is_decoded_too(raw: str) -> None:
    assert det.normalize(raw) == "ivan@mail.ru"
    cleaned = anon.scrub_text(f"пишите {raw} скорее")
    assert cleaned == "пишите [email] скорее"


def test_what_still_decodes_after_every_round_is_opaque() -> None:
    deep = "ivan%" + "25" * 15 + "40mail.ru"
    assert det.normalize(f"пишите {deep} скорее") == "пишите [token] скорее"
    # Percent signs and ampersands people write stay.
    assert det.normalize("скидка 50% на всё & даже больше") == "скидка 50% на всё & даже больше"


def test_normalize_is_stable() -> None:
    # A second pass changes nothing: the rules after it saw everything there is.
    for raw in ["%0¹", "ivan％40mail.ru", "e\u200b\u0301", "a%25%34%30b", "&amp;#64;"]:
        once = det.normalize(raw)
        assert det.normalize(once) == once, raw


# --- each detector, with what would leak without it --------------------------------


@pytest.mark.parametrize(
    ("text", "marker", "secret"),
    [
        ("ivan.petrov＠mail.ru", "[email]", "petrov"),
        ("ivan.petrov%2540mail.ru", "[email]", "petrov"),
        ("iv\u200ban.pe\u200btrov@mail.ru", "[email]", "trov"),
        ("ivan.petrov at mail dot ru", "[email]", "petrov"),
        ("ivan.petrov [at] mail [dot] ru", "[email]", "petrov"),
        ("ivan.petrov (собака) mail (точка) ru", "[email]", "petrov"),
        ("ivan dot petrov at mail dot ru", "[email]", "petrov"),
        ("ivan.petrov @ mail.ru", "[email]", "petrov"),  # spaces around "@"
        ("ivan.petrov@ mail . ru", "[email]", "petrov"),
        ("ivan.petrov[@]mail.ru", "[email]", "petrov"),
        ("ivan.petrov(@)mail[.]ru", "[email]", "petrov"),
        ("ivan.petrov@mail。ru", "[email]", "petrov"),  # ideographic full stop, NFKC keeps it
        ("пишите в телеграм @durov_pavel", "[login]", "durov"),  # a handle
        ("профиль vk.com/id123456", "vk.com", "123456"),  # a URL without a scheme
        ("профиль сайт.рф/люди/olga", "сайт.рф", "olga"),
        ("звоните 8 916 123–45–67", "[phone]", "123"),
        ("звоните 8\u2011916\u2011123\u201145\u201167", "[phone]", "916"),
        ("тел. 123-45-67", "[phone]", "45-67"),
        ("+44 20 7946 0958", "[phone]", "7946"),
        ("card 4111:1111:1111:1111", "[card]", "1111"),
        ("card 4111_1111_1111_1111", "[card]", "1111"),
        ("ИНН 7707083893", "[inn]", "7707083893"),
        ("ИНН 500100732259", "[inn]", "500100732259"),
        ("ОГРН 1027700132195", "[ogrn]", "1027700132195"),
        ("IBAN DE89 3704 0044 0532 0130 00", "[iban]", "3704"),
        ("IMEI 490154203237518", "[imei]", "490154203237518"),
        ("СНИЛС 112-233-445 95", "[snils]", "445"),
        ("ICCID 8970101234567890123", "[iccid]", "89701"),
        ("IMSI 250011234567890", "[imsi]", "2500112"),
        ("счёт 40817810099910004312", "[account]", "40817810"),
        ("паспорт 45 06 123456", "[passport]", "123456"),
        ("паспорт серия 4506 № 123456", "[passport]", "123456"),
        ("consent abcd-efgh-ijkl-mn23", "[id]", "abcd-efgh"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "[token]", "eyJ"),
        ("key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[token]", "4eC39"),
        ("Смирнова Ольга Игоревна", "[name]", "Ольга"),
        ("звонил Иван Петров вчера", "[name]", "Петров"),
        ("Ольга Игоревна", "[name]", "Игоревна"),
        ("call Ivan Petrov back", "[name]", "Petrov"),
        ("Olga Smirnova", "[name]", "Smirnova"),
        ("Sergey Ivanovich Kuznetsov", "[name]", "Ivanovich"),
        ("пр-т Мира, д. 12, кв. 3", "[address]", "Мира"),
        ("Москва, ул. Ленина, д. 5, корп. 2", "[address]", "Ленина"),
        ("улица Большая Якиманка дом 22", "[address]", "Якиманка"),
        ("ул Ленина 5", "[address]", "Ленина"),  # "ул" without its dot
        ("ул. Ленина 5-12", "[address]", "5-12"),  # the house right after the street
        ("ул. ленина д 5 кв 7", "[address]", "5"),  # "д" and "кв" without dots
        ("см. https://vk.com/id123456", "https://vk.com", "id123456"),
        ("from 2001:db8::1", "[ip]", "db8"),
    ],
)
def test_detector_redacts(text: str, marker: str, secret: str) -> None:
    cleaned = anon.scrub_text(text)
    assert marker in cleaned
    assert secret not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Домашний интернет 500 Мбит/с — HotTelecom",
        "Тарифы Москва и область",
        "Акция до 25.11.2026 12:30",
        "Выпуск 2026-11-25",
        "Заказать тариф «Мира» со скидкой 50%",
        "Роутер TP-Link Archer C6",
        "Personal Account login",
        "Google Analytics Admin",
        "New York Marathon",
        "цена 5 @ 10 руб",  # an "@" between numbers is no address
        "встреча в 10. Потом",
        "скорость 1.5/2 Гбит/с, 3.99/месяц",  # a slash after a number is no URL
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert anon.scrub_text(text) == text


@pytest.mark.parametrize("text", ["123-45-67", "99-12-31 5"])
def test_a_number_shaped_like_no_date_is_not_kept_as_one(text: str) -> None:
    assert not det.is_date(text)


def test_dates_are_validated() -> None:
    assert det.is_date("25.11.2026")
    assert det.is_date("2026-11-25")
    assert not det.is_date("31.02.2026")


def test_snils_checksum() -> None:
    assert det.snils_valid("11223344595")
    assert not det.snils_valid("11223344596")


# --- names of parameters and events ---------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "useremail",
        "phonenumber",
        "pochta",
        "familiya",
        "imei",
        "sessionid",
        "msclkid",
        "dclid",
        "wbraid",
        "gbraid",
        "ttclid",
        "iccid",
        "abonent",
        "ls",
        "dogovor",
        "contract_no",
        "date_of_birth",
        "userEmail",
        "telefon_abonenta",
    ],
)
def test_identity_names_are_dropped(name: str) -> None:
    assert anon.clean_param_name(name) is None


@pytest.mark.parametrize("name", ["tariff", "currency", "step", "link_url", "item_name"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert anon.clean_param_name(name) == name


def test_event_names_go_through_the_scrubber() -> None:
    assert anon.clean_event_name("ivan_petrov_mail_ru") is None
    assert anon.clean_event_name("click_phone_79161234567") is None
    assert anon.clean_event_name("login") == "login"
    assert anon.clean_event_name("tariff_select") == "tariff_select"


# --- URL-valued parameters and referrers ------------------------------------------------


def test_url_values_are_urls() -> None:
    params = anon.clean_params(
        {
            "link_url": "https://hottelecom.example/confirm?session=abcdefghijklmnopqrstuvwxyz"
            "&login=ivanpetrov85",
            "profile": "https://vk.com/id123456",
            "file_name": "/files/ivan@mail.ru/doc.pdf?x=1",
            "host": "https://89161234567.evil.example/",
        },
        site_origins=SITE_ORIGINS,
    ).params
    assert params["link_url"] == "https://hottelecom.example/confirm"
    assert params["profile"] == "https://vk.com"
    assert params["file_name"] == "/files/:redacted/doc.pdf"
    assert params["host"] == "https://evil.example"


def test_referrer_keeps_its_registrable_domain() -> None:
    assert (
        anon.anonymize_referrer("https://ivanpetrov1985.blogspot.example/post")
        == "https://blogspot.example"
    )
    assert anon.anonymize_referrer("https://ivanpetrov1985.blogspot.com/") == (
        "https://blogspot.com"
    )


# --- linear time ---------------------------------------------------------------------

SHAPES = ["eyJa", "1-", "00000000-", "a%40", "@.", "1", "1.", "a" * 7 + "@", "-1 "]


def _read_lengths(monkeypatch: pytest.MonkeyPatch, text: str) -> list[int]:
    """Run the text through every entry point; the lengths the rules were given."""
    seen: list[int] = []
    redact = det.redact

    def recording(value: str) -> str:
        seen.append(len(value))
        return redact(value)

    monkeypatch.setattr(det, "redact", recording)
    anon.scrub_text(text)
    anon.anonymize_title(text)
    anon.anonymize_url("https://hottelecom.example/" + text + "?q=" + text, ["q"])
    anon.clean_value(text)
    anon.clean_params({"label": text, "link_url": "https://hottelecom.example/" + text})
    return seen


# The rules are linear (the benchmark shows it); the window makes their input bounded.
WINDOW = (anon.MAX_SCAN + anon.SCAN_MARGIN) * anon.RAW_FACTOR


@pytest.mark.parametrize("shape", SHAPES)
def test_adversarial_shapes_reach_the_rules_cut_to_a_window(
    monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    text = shape * (65536 // len(shape))
    lengths = _read_lengths(monkeypatch, text)
    assert lengths
    assert max(lengths) <= WINDOW


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from(SHAPES),
    repeat=st.integers(1, 16384),
    glue=st.text(max_size=8),
)
def test_hostile_shapes_are_bounded(shape: str, repeat: int, glue: str) -> None:
    text = glue + shape * repeat + glue
    cleaned = anon.scrub_text(text, anon.MAX_VALUE_LENGTH)
    assert len(cleaned) <= anon.MAX_VALUE_LENGTH
    # Nothing left is a long run the rules could not read.
    assert all(len(word) <= det.MAX_RUN for word in det.redact(det.normalize(text)).split())
    title = anon.anonymize_title(text)
    assert title is None or len(title) <= anon.MAX_TITLE_LENGTH


def test_an_identifier_at_the_cut_is_not_half_visible() -> None:
    text = "x " * 45 + "ivan.petrov@mail.ru"
    cleaned = anon.scrub_text(text, anon.MAX_VALUE_LENGTH)
    assert "petrov" not in cleaned
    assert "ivan" not in cleaned


def test_beacon_over_its_time_budget_is_dropped_with_a_reason() -> None:
    site = Site("hottelecom", "HotTelecom", SITE_ORIGINS, ("ru",))
    from datetime import datetime

    ctx = Context(
        site=site,
        device=DeviceFacts("Chrome", "131", "Windows", "desktop"),
        location=None,
        now=datetime(2026, 11, 25, 12, 0),
        key=b"k" * 32,
        window_seconds=3600,
        budget_seconds=-1.0,
    )
    hits = [Hit("page_view", {}, "https://hottelecom.example/")] * 3
    outcome = process(hits, ctx)
    assert outcome.reasons == {"time_budget": 3}
    assert outcome.aggregates == {}


# --- the cheap pre-checks say yes wherever their reference pattern does ------------

_HINT_TEXT = st.lists(
    st.sampled_from(
        [
            *list("дДомОМкКвВ.улУЛпрПР-тТаАsSatAT@ 0123456789ёЁᲀыЫсобакаСОБАКА"),
            "ул.",
            "кв.",
            "Кв.а",
            "дом",
            "ДОМА",
            "мкр.",
            "корп",
            "at",
            "собака",
            "1.2.3.4",
        ]
    ),
    max_size=20,
).map("".join)


@given(_HINT_TEXT)
@settings(max_examples=400, deadline=None)
def test_fast_hints_cover_their_reference_patterns(text: str) -> None:
    if det._ADDRESS_HINT.search(text) and not text.isascii():
        assert det._address_hint(text)
    assert det._at_hint(text) == bool(det._AT_HINT.search(text))
    assert det._number_hint(text) == bool(det._SEVEN_DIGITS.search(text) or det._IPV4.search(text))


@pytest.mark.parametrize(
    "text",
    ["ул. Ленина", "ПРОСПЕКТМира 5", "КВ. 3", "Кᲀ. 3", "д.5", "корп.2", "мкр Южный", "дом 7"],
)
def test_fast_address_hint_sees_markers_in_any_case(text: str) -> None:
    assert det._address_hint(text)
    assert det.redact(text) != text


@given(st.text(alphabet=st.characters(), max_size=40))
@settings(max_examples=500, deadline=None)
def test_spaces_are_collapsed_as_the_whitespace_pattern_does(text: str) -> None:
    assert " ".join(text.split()) == det._SPACES.sub(" ", text).strip()


@given(
    st.lists(st.sampled_from(["Ivan", "Petrov", "ivan", " ", "-", "A", "b", "Ольга"])).map("".join)
)
@settings(max_examples=300, deadline=None)
def test_latin_name_pre_check_covers_the_name_run(text: str) -> None:
    if det._LATIN_RUN.search(text):
        assert det._LATIN_PAIR.search(text)


@given(st.text(alphabet="%2540４０％&#;amp x\u200b\u0301e@", max_size=40))
@settings(max_examples=1500, deadline=None)
def test_normalize_is_stable_for_any_mix_of_encodings(raw: str) -> None:
    once = det.normalize(raw)
    assert det.normalize(once) == once
