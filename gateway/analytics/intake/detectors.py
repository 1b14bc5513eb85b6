"""Detectors of personal data in free text: normalize first, then one rule per function.

Everything a page sends is hostile input. Each function here runs in time
linear in its input: every pattern either starts only at the beginning of a
run (a look-behind) or has bounded repetitions, so no input shape makes the
regular-expression engine backtrack over the whole text. ``scrub`` applies
them in order to text already cut to a bounded window.

Where a field-standard library knows an identifier, it decides:

- ``phonenumbers``: Russian and international phone numbers;
- ``python-stdnum``: payment cards (Luhn), INN, OGRN/OGRNIP, IBAN, IMEI;
- ``pymorphy3`` (Russian dictionaries): personal names, surnames, patronymics,
  and the surnames in logins made of a name ("ivanpetrov85", "olga_1990").

Identifiers no library knows have small checksummed or shaped detectors of
their own here: SNILS, ICCID, IMSI, 20-digit bank and personal accounts,
passport series and number beside their context word, the gateway's own
consent ids, JWTs, API keys and long opaque tokens, Russian street addresses
by their markers.
"""

from __future__ import annotations

import html
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Sequence, Set
from datetime import date
from functools import cache, partial
from importlib import resources
from typing import Any, NamedTuple
from urllib.parse import unquote

import phonenumbers
from stdnum import iban, imei, luhn
from stdnum.ru import inn, ogrn

# --- normalization ------------------------------------------------------------

# Removed outright: zero-width characters, soft hyphen, word joiners, BOM and
# every C0/C1 control (tab and line breaks become spaces).
_INVISIBLE = {
    **dict.fromkeys(range(0x00, 0x20), None),
    **dict.fromkeys(range(0x7F, 0xA0), None),
    **dict.fromkeys([0x09, 0x0A, 0x0D], " "),
    **dict.fromkeys(
        [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF],
        None,
    ),
    **dict.fromkeys(range(0x200B, 0x2010), None),
    **dict.fromkeys(range(0x202A, 0x202F), None),
    **dict.fromkeys(range(0x2060, 0x2070), None),
}
MAX_DECODE_ROUNDS = 4
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INVISIBLE_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_INVISIBLE)) + "]")
_SPACES = re.compile(r"\s+")


def decode_layers(text: str) -> str:
    """Percent-encoding and HTML entities undone, repeatedly, until stable (bounded)."""
    for _round in range(MAX_DECODE_ROUNDS):
        decoded = unquote(text) if "%" in text else text
        if "&" in decoded:
            decoded = html.unescape(decoded)
        if decoded == text:
            break
        text = decoded
    return text


# Each round decodes, folds (NFKC) and drops invisible characters; folding and
# dropping can make a new escape ("％40", "%\u200b40" are "%40"), so rounds go
# on until the text is stable, at most this many.
MAX_NORMALIZE_ROUNDS = 3


def _unwrap(text: str) -> str:
    """One round: decoded, NFKC, no invisible characters."""
    text = decode_layers(text)
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _INVISIBLE_CHARS.search(text):
            text = text.translate(_INVISIBLE)
    elif _ASCII_CONTROL.search(text):
        text = text.translate(_INVISIBLE)
    return text


def _may_unwrap(text: str) -> bool:
    """False when another round would leave ``text`` (a round's output) as it is."""
    if "%" in text or "&" in text:
        return True
    # Dropping an invisible character can leave a letter and a combining mark side by side.
    return not text.isascii() and not unicodedata.is_normalized("NFKC", text)


def _opaque_encoded_words(text: str) -> str:
    """Words that still unwrap after every round: no browser encodes that deep."""
    words = text.split()
    return " ".join(
        "[token]" if _may_unwrap(word) and _unwrap(word) != word else word for word in words
    )


def normalize(text: str) -> str:
    """What detectors read: decoded, NFKC, no invisible characters, single spaces."""
    for _round in range(MAX_NORMALIZE_ROUNDS):
        clean = _unwrap(text)
        stable = clean == text or not _may_unwrap(clean)
        text = clean
        if stable:
            break
    else:
        text = _opaque_encoded_words(text)
    # str.split() and the pattern \s agree on what is a space (Unicode White_Space).
    return " ".join(text.split())


@cache
def _given_names_in_file() -> tuple[str, ...]:
    """The Cyrillic given names of ``gateway/data/given_names_ru.txt``."""
    text = resources.files("gateway").joinpath("data/given_names_ru.txt").read_text("utf-8")
    names = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(name for name in names if name)


# --- shaped identifiers -------------------------------------------------------

MAX_RUN = 200  # characters without a space: longer is never a word
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_RUN + 1},}}")
_JWT = re.compile(r"(?<![\w-])eyJ[\w-]{2,200}\.[\w-]{2,200}\.?[\w-]{0,200}")
# "@" with spaces around it, in brackets, or spelled out; a dot likewise, or
# the ideographic full stop (which NFKC leaves as it is).
_AT = r"(?: ?@ ?| ?[\[({<] ?(?:@|(?i:at|собака)) ?[\])}>] ?| (?i:at|собака) )"
_SPELLED_DOT = r"(?: ?[\[({<] ?(?:\.|(?i:dot|точка)) ?[\])}>] ?| (?i:dot|точка) )"
_DOT = rf"(?: ?[.。] ?|{_SPELLED_DOT})"
# Each part starts only where a run of its characters starts, and every
# repetition is bounded: a run of "@." or "a@a@" costs its length, no more.
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}(?:{_SPELLED_DOT}[\w.+-]{{1,64}}){{0,4}}{_AT}"
    rf"[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}}){{1,6}}"
)
_UUID = re.compile(
    # Fixed length: linear without anchoring, so a prefix glued to one cannot hide it.
    r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}"
)
# The gateway's own consent ids: 16 base32 characters in groups of four.
_CONSENT_ID = re.compile(r"(?<![\w-])(?i:[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})(?![\w-])")
_IPV6 = re.compile(r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?")
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_+-])[A-Za-z0-9_+-]{16,200}=*")
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_DIGIT = re.compile(r"\d")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{16,}")
_MIXED_PART = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}")


def looks_like_token(text: str) -> bool:
    """A word of letters and digits no person types: a key, a hash, a session id."""
    core = text.rstrip("=")
    if core.isdigit():
        return False  # a number: the number rules say which
    has_digit = _DIGIT.search(core) is not None
    if not has_digit:
        return False
    if len(core) >= 20 and _UPPER.search(core) and _LOWER.search(core):
        return True
    if _HEX_RUN.search(core):
        return True
    return any(
        _DIGIT.search(part) and not part.isdigit() and len(part) >= 8
        for part in re.split(r"[_+-]", core)
    )


def _sub(pattern: re.Pattern[str], marker: str) -> Callable[[str], str]:
    def rule(text: str) -> str:
        return pattern.sub(marker, text)

    rule.__name__ = f"redact_{marker.strip('[]')}"
    return rule


redact_long_runs = _sub(_LONG_RUN, "[token]")
redact_jwt = _sub(_JWT, "[token]")
redact_email = _sub(_EMAIL, "[email]")
redact_uuid = _sub(_UUID, "[uuid]")
redact_consent_id = _sub(_CONSENT_ID, "[id]")


# A URL inside text keeps its origin: its path and query may say anything.
_URL_IN_TEXT = re.compile(r"(?<![\w/])((?i:https?)://[\w.-]{1,253}(?::\d{1,5})?)[/?#]\S{0,200}")


def redact_urls(text: str) -> str:
    return _URL_IN_TEXT.sub(r"\1", text) if "://" in text else text


# Without a scheme too ("vk.com/id123456", "t.me/some_handle"): a host name
# ending in a top-level domain of letters, then a path; the host stays.
_BARE_URL_IN_TEXT = re.compile(
    r"(?<![\w@./-])((?:[A-Za-z0-9а-яёА-ЯЁ-]{1,63}\.){1,6}(?:[A-Za-z]{2,24}|рф|РФ))/\S{0,200}"
)
_BARE_URL_HINT = re.compile(r"\.(?:[A-Za-z]{2,24}|рф|РФ)/")


def redact_bare_urls(text: str) -> str:
    return _BARE_URL_IN_TEXT.sub(r"\1", text)


# Handles of social networks and messengers ("@durov", "@olga.smirnova"):
# an "@" that starts a word (an e-mail's "@" follows its local part).
_HANDLE = re.compile(r"(?<![\w@.+-])@[A-Za-z0-9_][A-Za-z0-9_.]{2,31}")


def redact_handles(text: str) -> str:
    return _HANDLE.sub("[login]", text) if "@" in text else text


def _ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return "[ip]"


def redact_ipv6(text: str) -> str:
    return _IPV6.sub(_ipv6, text) if ":" in text else text


def _iban(match: re.Match[str]) -> str:
    return "[iban]" if iban.is_valid(match.group()) else match.group()


def redact_iban(text: str) -> str:
    return _IBAN.sub(_iban, text)


def _opaque(match: re.Match[str]) -> str:
    return "[token]" if looks_like_token(match.group()) else match.group()


def redact_tokens(text: str) -> str:
    return _OPAQUE.sub(_opaque, text)


# --- Russian passports and addresses ----------------------------------------

_PASSPORT = re.compile(
    r"(?i:паспорт\w{0,3}|серия|passport)[^\d]{0,20}?\d{2} ?\d{2}(?: ?(?i:№|n|no\.?) ?| ?)\d{6}"
    r"(?!\d)"
)
_STREET = (
    r"(?:улица|ул\.|ул|проспект|просп\.|пр-т|пр\.|переулок|пер\.|шоссе|ш\.|бульвар|б-р|бул\.|"
    r"набережная|наб\.|площадь|пл\.|проезд|пр-д|микрорайон|мкр\.?|тупик|туп\.|аллея)"
)
_HOUSE = (
    r"(?:дом|д\.|д|квартира|кв\.?|корпус|корп\.?|к\.|строение|стр\.|литера|лит\.|офис|оф\.|"
    r"подъезд|под\.|этаж|эт\.)"
)
_ADDRESS_PART = re.compile(
    rf"(?<![\w-])(?:(?i:{_STREET}) ?[А-ЯЁA-Z0-9][\w-]{{0,30}}(?: [А-ЯЁ][\w-]{{0,30}}){{0,2}}"
    # The house number right after the street's name ("ул. Ленина 5-12").
    rf"(?:,? \d{{1,5}}(?:[/-]\d{{1,4}})?[а-яА-Я]?(?![\w-]))?"
    rf"|(?i:{_HOUSE}) ?№? ?\d{{1,5}}(?:[/-]?\d{{1,4}})?[а-яА-Я]?(?![\w-]))"
)
_ADDRESS_RUN = re.compile(r"\[address\](?:,? \[address\]|,\[address\])+")


def redact_passport(text: str) -> str:
    return _PASSPORT.sub("[passport]", text)


def redact_address(text: str) -> str:
    """Street, house, flat, building: each part, then the run, one ``[address]``."""
    text = _ADDRESS_PART.sub("[address]", text)
    return _ADDRESS_RUN.sub("[address]", text) if "[address]" in text else text


# --- personal names (pymorphy3) ---------------------------------------------

_CAPITALISED_WORD = r"[А-ЯЁ][а-яё]{1,30}(?:-[А-ЯЁ][а-яё]{1,30})?"
_CAPITALISED_RUN = re.compile(
    rf"(?<![\w-]){_CAPITALISED_WORD}(?: {_CAPITALISED_WORD}){{1,5}}(?![\w-])"
)
# Every run of two or more capitalised words is asked of the dictionary: a
# first name and a surname without a typical ending ("Ольга Ким") is a
# person too. Text without such a run (most titles) never reaches it: the
# pre-scan below sees no capital after a lowercase letter and a space.
_PERSON_TAGS = frozenset({"Name", "Surn", "Patr"})


@cache
def morph() -> Any:
    """The Russian morphological analyzer, loaded once per process."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def _known_person_tags(word: str) -> set[str] | frozenset[str]:
    """``_person_tags`` of a word the dictionary holds; a word it does not hold
    is a surname by its ending ("Хабибуллина"), nothing otherwise, unparsed: the
    dictionary's guesses cost about a millisecond each."""
    lowered = word.lower()
    if morph().word_is_known(lowered):
        return _person_tags(word)
    return _OVER_BUDGET if lowered.endswith(CYRILLIC_SURNAME_ENDINGS) else frozenset()


def _person_tags(word: str) -> set[str]:
    tags: set[str] = set()
    for parse in morph().parse(word):
        tags.update(_PERSON_TAGS & parse.tag.grammemes)
    return tags


# A dictionary lookup costs 20-150 µs; a text asks at most this many distinct words. A
# text with more capitalised words than that is no title or search a person writes: the
# words past the budget count as unknown surnames, so their runs are redacted unasked.
MAX_NAME_LOOKUPS = 16
_OVER_BUDGET = frozenset({"Surn"})


class _Lookups:
    """The dictionary's answers for the words of one text: each word asked once.

    Kept for one call only: words of visitors' texts (names among them) are never
    remembered across requests.
    """

    def __init__(self) -> None:
        self.tags: dict[str, set[str] | frozenset[str]] = {}
        self.known: dict[str, bool] = {}

    def tags_of(self, word: str) -> set[str] | frozenset[str]:
        return self._tags(word, _known_person_tags)

    def latin_tags_of(self, word: str) -> set[str] | frozenset[str]:
        """``tags_of`` for a word in Latin letters, read back in Cyrillic."""
        return self._tags(word, _latin_tags)

    def _tags(
        self, word: str, lookup: Callable[[str], set[str] | frozenset[str]]
    ) -> set[str] | frozenset[str]:
        found = self.tags.get(word)
        if found is None:
            over = len(self.tags) >= MAX_NAME_LOOKUPS
            found = self.tags[word] = _OVER_BUDGET if over else lookup(word)
        return found

    def is_known(self, word: str) -> bool:
        found = self.known.get(word)
        if found is None:
            over = self.tags.get(word) is _OVER_BUDGET
            found = self.known[word] = False if over else morph().word_is_known(word.lower())
        return found


def _is_person_run(tags: Sequence[Set[str]], known: Sequence[bool]) -> bool:
    """Two or more capitalised words in a row that together name a person.

    A first name, surname or patronymic beside a surname or patronymic
    ("Смирнова Ольга Игоревна", "Ольга Ким"); or a first name beside a word the
    dictionary does not know at all, a surname it has never seen ("Ольга
    Хабибуллина"). A first name beside an ordinary word ("Вера Москва",
    "Надежда Тарифы") is no person.
    """
    if len(tags) < 2:
        return False
    if all(tags) and any(t & {"Surn", "Patr"} for t in tags):
        return True
    return any(
        "Name" in tags[i] and not known[j]
        for i in range(len(tags))
        for j in (i - 1, i + 1)
        if 0 <= j < len(tags)
    )


def _names(lookups: _Lookups, match: re.Match[str]) -> str:
    words = match.group().split(" ")
    tags = [lookups.tags_of(w) for w in words]
    if not any(tags):
        return match.group()
    known = [lookups.is_known(w) for w in words]
    out: list[str] = []
    index = 0
    while index < len(words):
        # The longest run of person words starting here, or a first name and
        # the unknown word beside it.
        end = index
        while end < len(words) and (tags[end] or not known[end]):
            end += 1
        if end - index >= 2 and _is_person_run(tags[index:end], known[index:end]):
            out.append("[name]")
            index = end
        else:
            out.append(words[index])
            index += 1
    return " ".join(out)


# A surname with initials, before or after it ("О. Ким", "Ким О. И.").
_INITIALS = r"[А-ЯЁ]\.(?: ?[А-ЯЁ]\.)?"
_INITIALS_RUN = re.compile(
    rf"(?<![\w-]){_INITIALS} ?({_CAPITALISED_WORD})(?![\w-])"
    rf"|(?<![\w-])({_CAPITALISED_WORD}) {_INITIALS}(?!\w)"
)


def _initials(lookups: _Lookups, match: re.Match[str]) -> str:
    word = match.group(1) or match.group(2)
    return "[name]" if "Surn" in lookups.tags_of(word) else match.group()


def redact_names(text: str) -> str:
    """A first name with a surname or patronymic (or both), as the dictionary knows them;
    a surname with initials."""
    lookups = _Lookups()
    text = _CAPITALISED_RUN.sub(partial(_names, lookups), text)
    return _INITIALS_RUN.sub(partial(_initials, lookups), text) if "." in text else text


# Names in lower case or capitals ("ольга смирнова", "СМИРНОВА ОЛЬГА", "ivan
# petrov"), as search terms are typed: a given name from the list (in Cyrillic
# or a Latin spelling) beside a surname or a patronymic in the nominative.
# Text holding no listed name (nearly all) pays one set test; the dictionary
# is asked only about a listed name's neighbours.
_CASE_FREE_WORD = re.compile(r"[а-яёА-ЯЁ]+(?:-[а-яёА-ЯЁ]+)*|[A-Za-z]+(?:-[A-Za-z]+)*")
CYRILLIC_SURNAME_ENDINGS = (
    *("ов", "ова", "ев", "ева", "ёв", "ёва", "ин", "ина", "ын", "ына", "ский", "ская"),
    *("цкий", "цкая", "ской", "енко", "ук", "юк", "ич", "вна", "чна"),
)


@cache
def given_names_cyrillic() -> frozenset[str]:
    """The names of ``gateway/data/given_names_ru.txt``, lowercase, with "е" for "ё" too."""
    names = {name.lower() for name in _given_names_in_file()}
    return frozenset(names | {name.replace("ё", "е") for name in names})


@cache
def case_free_names() -> frozenset[str]:
    """The listed given names, lowercase, in Cyrillic and in their Latin spellings."""
    return given_names_cyrillic() | given_names().spellings


def _case_free_name_hint(text: str) -> bool:
    return not case_free_names().isdisjoint(_CASE_FREE_WORD.findall(text.lower()))


def _nominative_surname(word: str) -> bool:
    """A surname or patronymic in the nominative as the dictionary knows it, or a
    word it does not know with a surname's ending ("хабибуллина"). Unknown words
    are never parsed: the dictionary's guesses cost about a millisecond each."""
    analyzer = morph()
    if not analyzer.word_is_known(word):
        return word.endswith(CYRILLIC_SURNAME_ENDINGS)
    return any(
        "nomn" in parse.tag.grammemes and parse.tag.grammemes & {"Surn", "Patr"}
        for parse in analyzer.parse(word)
    )


def _latin_nominative_surname(word: str) -> bool:
    """``_nominative_surname`` of a word in Latin letters ("petrov", "smirnova")."""
    cyrillic = to_cyrillic(word).lower()
    if morph().word_is_known(cyrillic):
        return _nominative_surname(cyrillic)
    return len(word) >= MIN_LONG_SURNAME and word.endswith(SURNAME_ENDINGS)


def _glued_to_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end : end + 1] or " "
    return before.isalnum() or before in "_-" or after.isalnum() or after in "_-"


def redact_case_free_names(text: str) -> str:
    """A listed given name with the surnames and patronymics beside it -> ``[name]``."""
    names = case_free_names()
    # Whole words only: "aidar0" is a login's business, not a name's.
    words = [
        (m.start(), m.end(), m.group().lower())
        for m in _CASE_FREE_WORD.finditer(text)
        if not _glued_to_word(text, m.start(), m.end())
    ]
    asked: dict[str, bool] = {}

    def surname(index: int) -> bool:
        word = words[index][2]
        if word in names:
            return False
        latin = word.isascii()
        found = asked.get(word)
        if found is None:
            if len(asked) >= MAX_NAME_LOOKUPS:
                return word.endswith(SURNAME_ENDINGS if latin else CYRILLIC_SURNAME_ENDINGS)
            # A double surname ("смирнова-ким") is one when either half is.
            check = _latin_nominative_surname if latin else _nominative_surname
            found = asked[word] = any(check(part) for part in word.split("-")[:3])
        return found

    def joined(left: int, right: int) -> bool:
        # One space apart, and in one script: "ааев aidar" is no name.
        same_script = words[left][2].isascii() == words[right][2].isascii()
        return same_script and text[words[left][1] : words[right][0]] == " "

    out: list[str] = []
    done = 0  # characters of text already written out
    floor = 0  # words before this one are written out
    index = 0
    while index < len(words):
        if words[index][2] not in names:
            index += 1
            continue
        first = last = index
        # At most two words on either side: a surname and a patronymic.
        while first > floor and first > index - 2 and joined(first - 1, first):
            if not surname(first - 1):
                break
            first -= 1
        while last + 1 < len(words) and last < index + 2 and joined(last, last + 1):
            if not surname(last + 1):
                break
            last += 1
        if first < last:
            out += [text[done : words[first][0]], "[name]"]
            done = words[last][1]
            floor = last + 1
        index = last + 1
    return "".join(out) + text[done:] if out else text


# Transliterated names ("Ivan Petrov", "Sergey Ivanovich"): written back in
# Cyrillic letter by letter and asked of the same dictionary.
_LATIN_WORD = r"[A-Z][a-z]{1,30}"
_LATIN_RUN = re.compile(rf"(?<![\w-]){_LATIN_WORD}(?: {_LATIN_WORD}){{1,2}}(?![\w-])")
SURNAME_ENDINGS = (
    *("ov", "ova", "ev", "eva", "in", "ina", "yn", "yna", "sky", "skiy", "skii", "skaya"),
    *("tsky", "tskaya", "enko", "uk", "yuk", "vich", "vna", "ich", "ichna"),
)
_LATIN_ENDING = re.compile(f"(?:{'|'.join(SURNAME_ENDINGS)})$")
_TRANSLIT = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "ё"),
    ("iy", "ий"),
    ("yi", "ый"),
    ("ey", "ей"),
    ("ay", "ай"),
    ("oy", "ой"),
)
_LETTERS = str.maketrans("abvgdezijklmnoprstufhcy", "абвгдезийклмнопрстуфхцы")


def to_cyrillic(word: str) -> str:
    """A Latin transliteration of a Russian word, back in Cyrillic (best effort)."""
    lowered = word.lower()
    for latin, cyrillic in _TRANSLIT:
        lowered = lowered.replace(latin, cyrillic)
    return lowered.translate(_LETTERS).capitalize()


def _latin_tags(word: str) -> set[str] | frozenset[str]:
    cyrillic = to_cyrillic(word)
    # A soft sign has no Latin letter: "Olga" is "Ольга".
    known = False
    for spelling in dict.fromkeys((cyrillic, cyrillic.replace("л", "ль", 1))):
        if morph().word_is_known(spelling.lower()):
            known = True
            if tags := _person_tags(spelling):
                return tags
    if known:
        return frozenset()
    # Unknown in either spelling: a surname by its ending, unparsed (as _known_person_tags).
    return _OVER_BUDGET if _LATIN_ENDING.search(word.lower()) else frozenset()


def _latin_names(lookups: _Lookups, match: re.Match[str]) -> str:
    words = match.group().split(" ")
    if not any(_LATIN_ENDING.search(w) for w in words):
        return match.group()
    tags = [lookups.latin_tags_of(w) for w in words]
    if all(tags) and any(t & {"Surn", "Patr"} for t in tags):
        return "[name]"
    return match.group()


def redact_latin_names(text: str) -> str:
    # Each word asked once per text, within the same budget as Cyrillic names:
    # "Ivan Petrov " repeated over a title cost 50 ms asked word by word.
    return _LATIN_RUN.sub(partial(_latin_names, _Lookups()), text)


# --- logins made of a name ("ivanpetrov85", "olga_1990") ---------------------

# How each Cyrillic letter is written in Latin letters: passports (ICAO),
# GOST and the usual informal spellings, so "Юлия" is "yulia", "iuliia" and
# "julia", "Алексей" "aleksey", "alexei" and "aleksej".
_LATIN_SPELLINGS: dict[str, tuple[str, ...]] = {
    **{c: (latin,) for c, latin in zip("абвгдзиклмнопрстуфэ", "abvgdziklmnoprstufe", strict=True)},
    "е": ("e",),
    "ё": ("e", "yo"),
    "ж": ("zh",),
    "й": ("y", "i", "j"),
    "х": ("kh", "h"),
    "ц": ("ts", "c"),
    "ч": ("ch",),
    "ш": ("sh",),
    "щ": ("shch", "sch"),
    "ъ": ("",),
    "ы": ("y",),
    "ь": ("",),
    "ю": ("yu", "iu", "ju"),
    "я": ("ya", "ia", "ja"),
}
# Letter pairs spelled as one.
_PAIR_SPELLINGS: dict[str, tuple[str, ...]] = {
    "кс": ("ks", "x"),
    "ий": ("iy", "ii", "y", "i", "ij"),
    "ия": ("iya", "ia", "iia", "ija"),
    "ья": ("ya", "ia", "ja"),
    "йя": ("yya", "ya", "iya", "ia"),
}
MIN_NAME_LETTERS = 4
# Shorter surname-shaped words are as often English ones ("main", "coin").
MIN_LONG_SURNAME = 6
# A text asks the dictionary about at most this many words for its logins; a word
# past the budget that has a surname's shape counts as a surname (redacted unasked).
MAX_LOGIN_LOOKUPS = 8


def latin_spellings(name: str) -> set[str]:
    """The Latin spellings of a Cyrillic name, lowercase ("Юлия" -> yulia, iuliia, julia…)."""
    spellings = [""]
    word = name.lower()
    index = 0
    while index < len(word):
        pair = word[index : index + 2]
        if pair in _PAIR_SPELLINGS:
            options, index = _PAIR_SPELLINGS[pair], index + 2
        else:
            letter = word[index]
            options = _LATIN_SPELLINGS.get(letter, (letter,))
            if index == 0 and letter == "е":
                options = ("e", "ye")  # "Елена": elena, yelena
            index += 1
        spellings = [done + option for done in spellings for option in options]
    return {s for s in spellings if len(s) >= MIN_NAME_LETTERS and s.isascii()}


class GivenNames(NamedTuple):
    spellings: frozenset[str]
    # Their first and last MIN_NAME_LETTERS letters: most words start and end
    # with no name, and two lookups say so.
    heads: frozenset[str]
    tails: frozenset[str]


@cache
def given_names() -> GivenNames:
    """Latin spellings of the given names in ``gateway/data/given_names_ru.txt``."""
    names: set[str] = set()
    for name in _given_names_in_file():
        names |= latin_spellings(name)
    return GivenNames(
        frozenset(names),
        frozenset(n[:MIN_NAME_LETTERS] for n in names),
        frozenset(n[-MIN_NAME_LETTERS:] for n in names),
    )


# A run of login characters; the rule reads it without its leading and
# trailing dots, dashes and underscores. No look-behind (which slows the
# search): each search starts where the last match ended, so a match starts
# its run, unless the run is over 200 characters (a token already).
_LOGIN_RUN = re.compile(r"[A-Za-z0-9_.-]{4,200}")
_LOGIN_PART = re.compile(r"[a-z]+|[0-9]+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _login_parts(run: str) -> tuple[list[str], bool]:
    """The letter runs of ``run`` (lowercase) and whether it holds a digit."""
    words: list[str] = []
    digits = False
    # Split at the separators with str methods; only a part that mixes letters
    # and digits ("olga1990") needs the pattern.
    for part in run.lower().replace("-", "_").replace(".", "_").split("_"):
        if part.isalpha():
            words.append(part)
        elif part.isdigit():
            digits = True
        elif part:
            for piece in _LOGIN_PART.findall(part):
                if piece[0].isdigit():
                    digits = True
                else:
                    words.append(piece)
    return words, digits


def _surname_shaped(word: str) -> bool:
    return len(word) >= MIN_NAME_LETTERS and word.endswith(SURNAME_ENDINGS)


def _long_surname_shaped(word: str) -> bool:
    return len(word) >= MIN_LONG_SURNAME and _surname_shaped(word)


def _glued(word: str, names: GivenNames) -> list[str]:
    """What is left of ``word`` beside a given name at its start or end, when surname-shaped."""
    rests: list[str] = []
    lengths = range(MIN_NAME_LETTERS, len(word) - MIN_NAME_LETTERS + 1)
    if word[:MIN_NAME_LETTERS] in names.heads:
        rests += [
            word[k:] for k in lengths if word[:k] in names.spellings and _surname_shaped(word[k:])
        ]
    if word[-MIN_NAME_LETTERS:] in names.tails:
        rests += [
            word[:-k]
            for k in lengths
            if word[-k:] in names.spellings and _surname_shaped(word[:-k])
        ]
    return rests


def login_shape(run: str) -> bool:
    """Whether ``run`` could be a login made of a name; no dictionary is asked.

    A given name with digits or another word beside it ("olga_1990",
    "ivan.petrov"), a given name glued to a surname-shaped word
    ("ivanpetrov"), or a surname-shaped word with digits or an initial
    ("petrova85", "i.petrov").
    """
    if run.isalpha():
        # One word of letters (most words and path segments): only a name
        # glued to a surname can make it a login.
        return len(run) >= 2 * MIN_NAME_LETTERS and _login_shape_word(run.lower(), given_names())
    if len(run) <= MIN_NAME_LETTERS or run.isdigit():
        return False  # a name and something beside it: five characters at least
    names = given_names()
    words, digits = _login_parts(run)
    if len(words) == 1 and not digits:
        return _login_shape_word(words[0], names)
    initial = len(words) > 1 and any(len(w) == 1 for w in words)
    # Only words of four letters and more can be a name or a surname; what
    # else the run holds (digits, a short word, an initial) need only be there.
    for word in words:
        if len(word) < MIN_NAME_LETTERS:
            continue
        if word in names.spellings or ((digits or initial) and word.endswith(SURNAME_ENDINGS)):
            return True
        if len(word) >= 2 * MIN_NAME_LETTERS and _glued(word, names):
            return True
    return False


def _login_shape_word(word: str, names: GivenNames) -> bool:
    return len(word) >= 2 * MIN_NAME_LETTERS and word.isascii() and bool(_glued(word, names))


class _LoginLookups:
    """The dictionary's answers for one text's words, within MAX_LOGIN_LOOKUPS."""

    def __init__(self) -> None:
        self.asked: dict[str, frozenset[str]] = {}

    def is_surname(self, word: str, place_too: bool = True) -> bool:
        """A surname or patronymic; with ``place_too`` False, not also a place
        ("rostov2026" is a city, "natasha.rostova" a person)."""
        found = self.asked.get(word)
        if found is None:
            if len(self.asked) >= MAX_LOGIN_LOOKUPS:
                return _surname_shaped(word)
            found = self.asked[word] = _latin_grammemes(word)
        return bool(found & {"Surn", "Patr"}) and (place_too or "Geox" not in found)


def _latin_grammemes(word: str) -> frozenset[str]:
    """Every grammeme of every parse of a transliterated word, written back in Cyrillic;
    none for a word the dictionary does not hold (its guesses make "online" a surname)."""
    cyrillic = to_cyrillic(word)
    if not morph().word_is_known(cyrillic.lower()):
        return frozenset()
    grammemes: set[str] = set()
    for parse in morph().parse(cyrillic):
        grammemes |= parse.tag.grammemes
    return frozenset(grammemes)


def looks_like_login(run: str, lookups: _LoginLookups | None = None) -> bool:
    """A login or handle made of a person's name, as the dictionary confirms it."""
    if not login_shape(run):
        return False
    lookups = lookups or _LoginLookups()
    letters, digits = _login_parts(run)
    names = given_names()
    for index, word in enumerate(letters):
        if word in names.spellings:
            if digits:
                return True
            # Beside a given name, a long surname-shaped word is a surname even
            # when the dictionary never saw it ("ivan_khabibullin").
            if any(
                _long_surname_shaped(w) or lookups.is_surname(w)
                for i, w in enumerate(letters)
                if i != index
            ):
                return True
        elif _surname_shaped(word) and any(len(w) == 1 for w in letters):
            # An initial beside a surname ("i.petrov", "o.ivanova-1"): a person,
            # though the surname is a place's name too.
            if lookups.is_surname(word):
                return True
        elif digits and _surname_shaped(word) and _surname_or_initialled(word, lookups):
            return True
        if len(word) >= 2 * MIN_NAME_LETTERS and any(
            lookups.is_surname(rest) for rest in _glued(word, names)
        ):
            return True
    return False


def _surname_or_initialled(word: str, lookups: _LoginLookups) -> bool:
    """A surname, or an initial glued to one ("ipetrov"); not a place either way."""
    if lookups.is_surname(word, place_too=False):
        return True
    return len(word) > MIN_NAME_LETTERS + 1 and lookups.is_surname(word[1:], place_too=False)


def _login(lookups: _LoginLookups, match: re.Match[str]) -> str:
    run = match.group()
    core = run.strip("._-")
    if not looks_like_login(core, lookups):
        return run
    start = run.index(core)
    return run[:start] + "[login]" + run[start + len(core) :]


def _login_hint(text: str) -> bool:
    """Some run of ``text`` has a login's shape (what ``redact_logins`` can match)."""
    if _LATIN_LETTER.search(text) is None:
        return False
    return any(login_shape(run.strip("._-")) for run in _LOGIN_RUN.findall(text))


def redact_logins(text: str) -> str:
    """Logins and handles made of a name and digits or a surname -> ``[login]``."""
    return _LOGIN_RUN.sub(partial(_login, _LoginLookups()), text)


# --- numbers ------------------------------------------------------------------

MIN_IDENTIFYING_DIGITS = 7
MAX_CHECKED_DIGITS = 24
# Separators people put in numbers: spaces, brackets, dots, slashes, colons,
# underscores, and every dash and minus sign.
_NUMBER_RUN = re.compile(r"(?<![\d+])\+?\(?\d[\d ().\-/_:\u2010-\u2015\u2212]*")
_TRAILING = re.compile(r"[^\d]+$")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_DATE = re.compile(r"(\d{1,4})([./\-])(\d{1,2})\2(\d{2,4})(?: (\d{1,2})(?::(\d{2}))?)?")


def is_date(text: str) -> bool:
    """A calendar date (d.m.y, y-m-d, d/m/y), possibly with the hour: no identifier."""
    found = _DATE.fullmatch(text)
    if not found:
        return False
    first, _sep, month, last, hour, _minute = found.groups()
    if len(first) == 4:
        year, day = int(first), int(last)
        if len(last) > 2:
            return False
    elif len(last) in (2, 4) and len(first) <= 2:
        year, day = int(last) if len(last) == 4 else 2000 + int(last), int(first)
    else:
        return False
    if hour is not None and int(hour) > 23:
        return False
    try:
        date(year, int(month), day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def snils_valid(digits: str) -> bool:
    """SNILS: 9 digits and a two-digit check number."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    check = total % 101 % 100
    return check == int(digits[9:])


def _phone(text: str) -> bool:
    try:
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def classify_number(text: str) -> str | None:
    """The marker for a run of digits and separators, or None to keep it."""
    ipv4 = _IPV4.fullmatch(text)
    if ipv4 and all(int(part) <= 255 for part in ipv4.groups()):
        return "[ip]"
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < MIN_IDENTIFYING_DIGITS or is_date(text):
        return None
    if len(digits) > MAX_CHECKED_DIGITS:
        return "[number]"
    length = len(digits)
    if length in (19, 20) and digits.startswith("89") and luhn.is_valid(digits):
        return "[iccid]"
    if 13 <= length <= 19 and luhn.is_valid(digits):
        return "[imei]" if length == 15 and imei.is_valid(digits) else "[card]"
    if length == 20:
        return "[account]"
    if length == 15 and digits.startswith("250"):
        return "[imsi]"
    if length == 11 and snils_valid(digits):
        return "[snils]"
    if length in (10, 12) and inn.is_valid(digits) and not digits.startswith(("8", "9")):
        return "[inn]"
    if length in (13, 15) and ogrn.is_valid(digits):
        return "[ogrn]"
    if length <= 15 and (length >= 10 or not text.isdigit()) and _phone(text):
        return "[phone]"
    return "[number]"


def _number(match: re.Match[str]) -> str:
    run = match.group()
    trailing = _TRAILING.search(run)
    tail = trailing.group() if trailing else ""
    core = run[: len(run) - len(tail)]
    marker = classify_number(core)
    return run if marker is None else marker + tail


def redact_numbers(text: str) -> str:
    """Runs of digits that are phone, card, account or document numbers."""
    return _NUMBER_RUN.sub(_number, text) if _DIGIT.search(text) else text


# --- the whole -------------------------------------------------------------------

# Case-sensitive alternatives: an ignore-case search costs several times more.
_AT_HINT = re.compile(r"@|\b(?:at|AT|At|aT)\b|(?i:собака)")
_TOKEN_HINT = re.compile(r"[A-Za-z0-9_+-]{16}")
_PASSPORT_HINT = re.compile(r"паспорт|Паспорт|ПАСПОРТ|серия|Серия|СЕРИЯ|passport|Passport|PASSPORT")
_IBAN_HINT = re.compile(r"[A-Z]{2}\d{2}")
_ADDRESS_HINT = re.compile(rf"(?<![\w-])(?i:{_STREET}|{_HOUSE})(?![а-яё])")


# Seven digits anywhere: digits and non-digits are disjoint, so the search
# never backtracks; with fewer than seven digits it fails after six scans.
_SEVEN_DIGITS = re.compile(r"\d(?:\D*\d){6}")

# The address markers in case-folded text, without the case-insensitive
# alternation (which sre tries character by character at every position).
# One flat alternation of literals, without the look-behind: the engine then
# skips every position whose character starts no marker; the look-behind is
# checked on the few matches.
_ADDRESS_HINT_FOLDED = re.compile("|".join([*_STREET[3:-1].split("|"), *_HOUSE[3:-1].split("|")]))
_WORD_OR_DASH = re.compile(r"[\w-]")
_LOWER_CYRILLIC = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюяё")
# Two capitalised Latin words in a row, which a run of names needs: a pattern
# that starts with a character class is searched far faster than one behind a lookbehind.
_LATIN_PAIR = re.compile(r"[A-Z][a-z]+ [A-Z]")
_AT_WORD = re.compile(r"\b(?:at|AT|At|aT)\b")


def _address_hint(text: str) -> bool:
    """``_ADDRESS_HINT.search(text)``, read on the case-folded text (or a superset of it)."""
    if text.isascii():
        return False
    folded = text.casefold()
    if len(folded) != len(text):
        return _ADDRESS_HINT.search(text) is not None
    for found in _ADDRESS_HINT_FOLDED.finditer(folded):
        start, end = found.span()
        # (?<![\w-]). A match inside a word cannot hide a marker that starts
        # after it: the only non-word character a marker holds is its final dot.
        if start and _WORD_OR_DASH.match(folded, start - 1):
            continue
        # A marker with an optional dot also matches without it, followed by the dot.
        if found.group().endswith(".") or text[end : end + 1] not in _LOWER_CYRILLIC:
            return True
    return False


def _at_hint(text: str) -> bool:
    """``_AT_HINT.search(text)`` with plain substring tests first."""
    if "@" in text:
        return True
    # Case-folded: the e-mail rule reads "собака" in any case ("СоБаКа" too).
    folded = text.casefold()
    return "собака" in folded or ("at" in folded and _AT_WORD.search(text) is not None)


def _number_hint(text: str) -> bool:
    """Seven digits anywhere, or a dotted quad: what a number rule can match."""
    digits = len(_DIGIT.findall(text))
    return digits >= MIN_IDENTIFYING_DIGITS or (digits >= 4 and _IPV4.search(text) is not None)


# In this order: long runs first (nothing longer than MAX_RUN reaches a pattern),
# shaped identifiers before numbers, so a number cannot swallow part of one.
# Each rule comes with a cheap test of whether it can match at all: most text
# holds no identifier, and a rule skipped costs nothing.
Hint = Callable[[str], object]
RULES: tuple[tuple[Hint, Callable[[str], str]], ...] = (
    (lambda t: len(t) > MAX_RUN, redact_long_runs),
    (lambda t: "://" in t, redact_urls),
    (lambda t: "eyJ" in t, redact_jwt),
    (_at_hint, redact_email),
    (lambda t: "@" in t, redact_handles),
    (lambda t: "/" in t and _BARE_URL_HINT.search(t), redact_bare_urls),
    (lambda t: len(t) >= 32, redact_uuid),
    (lambda t: len(t) >= 19 and "-" in t, redact_consent_id),
    (lambda t: ":" in t, redact_ipv6),
    (_IBAN_HINT.search, redact_iban),
    (_TOKEN_HINT.search, redact_tokens),
    (_PASSPORT_HINT.search, redact_passport),
    (_address_hint, redact_address),
    (lambda t: not t.isascii(), redact_names),
    (_case_free_name_hint, redact_case_free_names),
    (lambda t: _LATIN_PAIR.search(t) and _LATIN_RUN.search(t), redact_latin_names),
    (_login_hint, redact_logins),
    (_number_hint, redact_numbers),
)


# The pre-scan: what any rule needs to be able to match, read once over the
# text with plain string tests and a few searches that the regular-expression
# engine runs at C speed (each starts with a literal or a character class).
# Text with none of it (most titles, search terms, path segments and values)
# pays this and nothing else; only when it finds something do the per-rule
# hints above say which rules run. Each test is a necessary condition of the
# rules it stands for:
#
# - ``://`` URLs, and a top-level domain before a slash: URLs without a
#   scheme; ``eyJ`` JWTs; ``@``, the words ``at`` and ``собака``: e-mails and handles;
# - seven digits anywhere (or a dotted quad): every number rule, and the
#   passport's ten digits; two capitals and two digits: IBAN;
# - 16 token characters: tokens and undashed UUIDs; eight hex digits and a
#   dash: UUIDs; two dashed groups of four: consent ids; ``:x:``: IPv6;
# - a lowercase letter, a space and a capital, or a dot and a capital: a run
#   of two capitalised words, as names are written, and initials before or
#   after a surname;
# - an address marker (in any case) with a capital or a digit after it:
#   ``_address_hint``;
# - a listed given name in Cyrillic in any case: names typed in lower case
#   or capitals (``_case_free_name_hint``);
# - a given name in Latin letters beside digits or another word, or glued to
#   a surname-shaped word, or a surname-shaped word beside digits: logins
#   (``login_shape``).
_DASH_HINT = re.compile(r"[0-9A-Fa-f]{8}-|(?i:[a-z2-7]{4}-[a-z2-7]{4}-)")
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")
# A capital after a space (and a lowercase letter before it), or after a dot.
_NAME_HINT = re.compile(r" [A-ZА-ЯЁ](?:[a-zа-яё]|\.)|\. ?[А-ЯЁ]")
_CASELESS_AT = re.compile(r"(?i:\bat\b)")


def may_hold_identifier(text: str) -> bool:
    """The pre-scan: False only when no rule can match ``text`` (normalized).

    Each search runs only when the plain facts of the text (its length, its
    digits, a capital past its first character) leave room for what it looks
    for: a regular-expression scan costs more than all of those together.
    """
    if len(text) > MAX_RUN or "://" in text or "@" in text or "eyJ" in text:
        return True
    if "/" in text and _BARE_URL_HINT.search(text):
        return True
    digits = len(_DIGIT.findall(text)) if _DIGIT.search(text) is not None else 0
    if digits >= MIN_IDENTIFYING_DIGITS or (digits >= 4 and _IPV4.search(text)):
        return True
    # IBAN: two capitals and two digits; tokens: 16 token characters in a row.
    if digits >= 2 and _IBAN_HINT.search(text):
        return True
    if len(text) >= 16 and _TOKEN_HINT.search(text):
        return True
    if "-" in text and _DASH_HINT.search(text):
        return True
    if ":" in text and _IPV6_HINT.search(text):
        return True
    folded = text.casefold()
    if "собака" in folded or ("at" in folded and _CASELESS_AT.search(text)):
        return True
    # Names need a capital after a space or a dot; an address, a capital or a
    # digit after its marker. Neither fits a text whose only capital (if any)
    # is its first character and that has no digit.
    rest = text[1:]
    capital_inside = rest.lower() != rest
    if capital_inside and _name_hint(text):
        return True
    if (capital_inside or digits > 0) and not text.isascii() and _address_hint(text):
        return True
    return _case_free_name_hint(text) or _login_hint(text)


def _name_hint(text: str) -> bool:
    """Two capitalised words in a row (Latin or Cyrillic), or an initial: what names need."""
    for found in _NAME_HINT.finditer(text):
        start = found.start()
        if text[start] == "." or (start and text[start - 1].islower()):
            return True
    return False


def redact(text: str) -> str:
    """Normalized text with every identifier replaced by a typed marker."""
    if not may_hold_identifier(text):
        return text
    for hint, rule in RULES:
        if text and hint(text):
            text = rule(text)
    return text
