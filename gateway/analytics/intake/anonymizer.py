"""The anonymizer: small pure functions, one rule each.

Every value a page sends passes through here before anything is stored.
Each function takes plain data and returns plain data; none reads a request,
the clock or the configuration, so each rule is tested on its own with data
that would leak without it.

Rules (SPEC "Analytics"):

- ``anonymize_url``: no fragment, no userinfo, only allowlisted query
  parameters, sensitive path segments replaced with ``:redacted``.
- ``anonymize_referrer``: origin only; ``None`` when internal.
- ``scrub_text``: e-mails, phone numbers, card numbers, IPs, UUIDs and tokens
  in free text (titles, parameter values) replaced with a typed marker.
- ``is_identity_param``: parameter names that suggest identity are dropped.
- ``clean_event_name`` / ``clean_param_name``: GA's name syntax, and no
  identifier hidden in a name.
- ``clean_params``: the above applied to a whole ``params`` mapping.
- ``client_id_from`` / ``session_id_from``: keyed hashes, never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple
from urllib.parse import SplitResult, quote, unquote, unquote_plus, urlsplit

from publicsuffixlist import PublicSuffixList
from stdnum import luhn

from gateway.analytics.intake import detectors

REDACTED_SEGMENT = ":redacted"
MAX_URL_LENGTH = 1000
MAX_REFERRER_LENGTH = 420
MAX_TITLE_LENGTH = 300
MAX_VALUE_LENGTH = 100
MAX_PARAMS = 25
MAX_HOST_LENGTH = 253  # DNS: a longer name is no host
MAX_SEGMENT_LENGTH = 256  # a longer path segment is redacted unread
# Digit runs this long are never counts or prices worth keeping: they are
# phone numbers, card numbers, order or customer numbers.
MIN_IDENTIFYING_DIGITS = 7

# Parameters the gateway sets itself from the page; a page cannot override them.
RESERVED_PARAMS = frozenset(
    {"page_location", "page_referrer", "page_title", "session_id", "engagement_time_msec"}
)

# --- free text --------------------------------------------------------------

# Every text is cut to a window before any rule reads it: the rules are
# linear, the window makes their cost bounded. More is scanned than kept, so an
# identifier straddling the cut is still recognised whole, never left half visible.
SCAN_MARGIN = 64
MAX_SCAN = 2048
# Percent-encoding and entities make the raw text longer than what it says.
RAW_FACTOR = 6
_DIGIT = re.compile(r"\d")
_DIGIT_RUN = re.compile(rf"\d{{{MIN_IDENTIFYING_DIGITS},}}")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
# Browsers percent-encode control characters in a page's address; raw ones (NUL
# above all, which PostgreSQL text refuses) mean the URL was not a page's.
# Tab and line breaks are left to the URL parser, which removes them as browsers do.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
luhn_valid = luhn.is_valid


def scan_window(text: str, keep: int = MAX_SCAN) -> str:
    """The part of ``text`` the rules read: what is kept, and a margin past it."""
    return text[: (keep + SCAN_MARGIN) * RAW_FACTOR]


# Words of ASCII letters and underscores, and short numbers (most path
# segments, campaign values and codes) hold nothing any rule matches, and
# nothing to normalize: no rule matches letters alone without a space, a
# dash, a dot or 32 hex digits in a row (a UUID), so they stop at 31.
_PLAIN = re.compile(r"[A-Za-z_]{1,31}|[0-9]{1,6}")
_PLAIN_WORD = re.compile(r"[A-Za-z_]{1,31}")
# Slugs and codes ("internet-500", "winter3", "home-500"): lowercase letters,
# digits, dashes and underscores, at most 15 of them and fewer than seven
# digits. No rule matches that either: the shaped ones need a capital, a
# space, a dot, "@", ":" or 16 characters and more; the number rules seven digits.
_PLAIN_SLUG = re.compile(r"[a-z_-]*(?:[0-9][a-z_-]*){0,6}")
MAX_PLAIN_SLUG = 15


# Lowercase Cyrillic words, single spaces, the first letter maybe a capital
# ("роутер не работает", "Помощь"): already normalized, and with no digit, no
# Latin letter, no sign and no capital after the first letter, the only rules
# left that can match are a listed given name (names typed in lower case) and
# a spelled-out "собака" (an e-mail's "@"); the pre-scan would test just those.
_PLAIN_CYRILLIC = re.compile(r"[А-ЯЁа-яё][а-яё]{0,29}(?: [а-яё]{1,30}){0,15}")


def _is_plain_cyrillic(text: str) -> bool:
    if len(text) > MAX_VALUE_LENGTH or _PLAIN_CYRILLIC.fullmatch(text) is None:
        return False
    lowered = text.lower()
    return "собака" not in lowered and detectors.given_names_cyrillic().isdisjoint(
        lowered.split(" ")
    )


def _is_plain(text: str) -> bool:
    """True when no rule can match ``text`` and it needs no normalizing.

    A plain word or slug can still be a login made of a name ("ivan_petrov",
    "olga1990"): the login rule's own shape test says which.
    """
    plain = _PLAIN.fullmatch(text) is not None or (
        0 < len(text) <= MAX_PLAIN_SLUG and _PLAIN_SLUG.fullmatch(text) is not None
    )
    if not plain:
        return not text.isascii() and _is_plain_cyrillic(text)
    return not detectors.login_shape(text)


def _normalized_window(text: str, keep: int) -> tuple[str, bool]:
    """The normalized text the rules read, and whether the raw text was cut."""
    raw = scan_window(text, keep)
    clean = detectors.normalize(raw)
    if len(raw) == len(text):
        return clean, False
    # The raw text was cut: its last word may be a piece of an identifier
    # that decoding moved inside what is kept. It goes.
    head, space, _piece = clean.rpartition(" ")
    return (head if space else "[token]"), True


def scrub_text(text: str, keep: int = MAX_SCAN) -> str:
    """Free text with every identifier replaced by a typed marker (see ``detectors``).

    At most ``keep`` characters come back, cut after the rules have run on
    more than that.
    """
    if _is_plain(text):
        return text[:keep]
    return detectors.redact(_normalized_window(text, keep)[0])[:keep]


def contains_identifier(text: str) -> bool:
    if _is_plain(text):
        return False
    clean, cut = _normalized_window(text, MAX_SCAN)
    return cut or detectors.redact(clean) != clean


def _looks_like_token(text: str) -> bool:
    return detectors.looks_like_token(text)


# --- URLs -------------------------------------------------------------------

# The standard library remembers the last 128 URLs given to urlsplit (an
# lru_cache): raw page URLs and referrers, query strings and all, would stay
# in the worker's memory. The anonymizer splits them with the uncached function.
_urlsplit = getattr(urlsplit, "__wrapped__", urlsplit)
# The usual shape of a page's or a referrer's address, http(s) and a plain
# host name: split by one match, into what urlsplit would return for it.
# Anything else (userinfo, brackets, tabs, odd ports, other schemes) goes to
# urlsplit itself.
_PLAIN_HTTP_URL = re.compile(
    r"((?i:https?))://([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)"
    r"(/[^?#\t\n\r]*)?(?:\?([^#\t\n\r]*))?(?:#([^\t\n\r]*))?"
)


def _split_url(url: str) -> SplitResult:
    """``urllib.parse.urlsplit`` without its cache (and faster for the plain shape)."""
    plain = _PLAIN_HTTP_URL.fullmatch(url)
    if plain is None:
        return _urlsplit(url)
    scheme, netloc, path, query, fragment = plain.groups(default="")
    return SplitResult(scheme.lower(), netloc, path, query, fragment)


def _split_http(url: str) -> tuple[str, str | None, int | None, str, str]:
    """(scheme, hostname, port, path, query) as urlsplit's result says them.

    Raises ValueError where urlsplit or its ``port`` would.
    """
    plain = _PLAIN_HTTP_URL.fullmatch(url)
    if plain is None:
        parts = _urlsplit(url)
        return parts.scheme, parts.hostname, parts.port, parts.path, parts.query
    scheme, netloc, path, query, _fragment = plain.groups(default="")
    host, _colon, digits = netloc.partition(":")
    port = int(digits) if digits else None
    if port is not None and port > 65535:
        raise ValueError("Port out of range 0-65535")
    return scheme.lower(), host.lower(), port, path, query


_HOST = re.compile(
    r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*$"
)
_LONG_DIGITS_IN_SEGMENT = re.compile(r"\d{6,}")


class CleanUrl(NamedTuple):
    url: str
    origin: str
    path: str


def _clean_host(
    parts_hostname: str | None, port: int | None, scheme: str = "", trusted: Iterable[str] = ()
) -> str | None:
    host = (parts_hostname or "").lower().rstrip(".")
    if not host or len(host) > MAX_HOST_LENGTH or not _HOST.match(host):
        return None
    netloc = f"{host}:{port}" if port else host
    # An address as host may be a visitor's own (a page saved or proxied on a
    # home machine); it is kept only when it is one of the site's own origins.
    if _IPV4.fullmatch(host) and f"{scheme}://{netloc}" not in trusted:
        return None
    return netloc


def is_sensitive_segment(segment: str) -> bool:
    """A path segment that could carry an identifier (checked after decoding)."""
    if not segment or (_PLAIN_WORD.fullmatch(segment) and not detectors.login_shape(segment)):
        return False
    decoded = unquote(segment) if "%" in segment else segment
    if len(decoded) > MAX_SEGMENT_LENGTH:
        return True  # no page is named that long; reading it all would cost the most
    return bool(_LONG_DIGITS_IN_SEGMENT.search(decoded)) or contains_identifier(decoded)


def anonymize_path(path: str) -> str:
    """Each sensitive segment becomes ``:redacted``; the shape of the path stays."""
    if not path:
        return "/"
    segments = path.split("/")
    cleaned = [REDACTED_SEGMENT if is_sensitive_segment(s) else s for s in segments]
    # Matrix parameters (";jsessionid=…") travel with a segment; drop them.
    if ";" in path:
        cleaned = [s.split(";", 1)[0] for s in cleaned]
    result = "/".join(cleaned)
    return result if result.startswith("/") else "/" + result


def anonymize_query(query: str, allowlist: Iterable[str]) -> str:
    """Only allowlisted parameters, their values scrubbed.

    Reads the query as ``parse_qsl`` does (``&``-separated, ``+`` as space,
    blank values dropped) and writes it back as ``urlencode(quote_via=quote)``
    would, but decodes a value only once its name is allowed: most parameters
    of a landing page are not, and some are long.
    """
    allowed = set(allowlist)
    if not query or not allowed:
        return ""
    kept = []
    for pair in query.split("&"):
        name, _equals, value = pair.partition("=")
        if not value:
            continue
        name = _unquote_plus(name)
        if name not in allowed:
            continue
        clean = scrub_text(_unquote_plus(value), MAX_VALUE_LENGTH)
        kept.append(f"{_quote(name)}={_quote(clean)}")
    return "&".join(kept)


# What quote(safe="") leaves as it is.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _quote(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


def _unquote_plus(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def anonymize_url(
    url: str, allowlist: Iterable[str] = (), site_origins: Iterable[str] = ()
) -> CleanUrl | None:
    """An http(s) URL without fragment, userinfo, unlisted query or identifying segments."""
    if not isinstance(url, str) or len(url) > 8192 or _RAW_CONTROL.search(url):
        return None
    try:
        scheme, hostname, port, raw_path, raw_query = _split_http(url.strip())
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    host = _clean_host(hostname, port, scheme, site_origins)
    if host is None:
        return None
    origin = f"{scheme}://{host}"
    path = anonymize_path(raw_path)
    query = anonymize_query(raw_query, allowlist) if raw_query else ""
    full = origin + path + (f"?{query}" if query else "")
    if len(full) > MAX_URL_LENGTH:
        full = origin + path
    if len(full) > MAX_URL_LENGTH:
        full = full[:MAX_URL_LENGTH]
    return CleanUrl(full, origin, path[:MAX_URL_LENGTH])


def url_origin(url: str) -> str | None:
    try:
        parts = _split_url(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = _clean_host(parts.hostname, port)
    return f"{parts.scheme.lower()}://{host}" if host else None


@cache
def _public_suffixes() -> PublicSuffixList:
    """The public suffix list (ICANN section), parsed once per process.

    Only the ICANN section: in the private one, blogspot.com and the like are
    suffixes, and the registrable domain would be the blogger's own name.
    """
    return PublicSuffixList(only_icann=True)


def warm_up() -> None:
    """Load what the rules read from disk (once per process)."""
    _public_suffixes()
    detectors.morph()
    detectors.given_names()


def registrable_domain(host: str) -> str | None:
    """``ivanpetrov1985.blogspot.example`` -> ``blogspot.example`` (None for a bare suffix)."""
    return _registrable_domain(host.split(":", 1)[0])


# A host's registrable domain is a pure function of the host name (and of the
# list): remembered for a bounded number of hosts, never with a path or query.
@lru_cache(maxsize=1024)
def _registrable_domain(host: str) -> str | None:
    domain = _public_suffixes().privatesuffix(host)
    return domain if isinstance(domain, str) else None


@dataclass(frozen=True)
class ReferrerParts:
    """A referrer split once for every rule that reads it (its query never kept)."""

    origin: str  # scheme://host[:port]
    host: str  # lowercase, no port, no trailing dot
    path: str


def split_referrer(referrer: object) -> ReferrerParts | None:
    """The parts of an http(s) referrer the rules read, or None when unusable."""
    if not referrer or not isinstance(referrer, str):
        return None
    try:
        scheme, hostname, port, path, _query = _split_http(
            referrer[: MAX_URL_LENGTH * RAW_FACTOR].strip()
        )
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    netloc = _clean_host(hostname, port)
    if netloc is None:
        return None
    return ReferrerParts(f"{scheme}://{netloc}", netloc.split(":", 1)[0], path)


def anonymize_referrer(
    referrer: str | None,
    internal_origins: Iterable[str] = (),
    parts: ReferrerParts | None = None,
) -> str | None:
    """The referring site's registrable domain; None when absent, unusable or internal.

    Sub-domains can name a person (a blog, a personal page); the registrable
    domain is what says which site sent the visitor. ``parts`` is the
    referrer already split (``split_referrer``), when the caller has it.
    """
    if parts is None:
        parts = split_referrer(referrer)
    if parts is None or parts.origin in set(internal_origins):
        return None
    domain = _registrable_domain(parts.host)
    if domain is None:
        return None
    return f"{parts.origin.partition('://')[0]}://{domain}"[:MAX_REFERRER_LENGTH]


def anonymize_title(title: str | None) -> str | None:
    if not title or not isinstance(title, str):
        return None
    cleaned = " ".join(scrub_text(title, MAX_TITLE_LENGTH).split())
    return cleaned[:MAX_TITLE_LENGTH] or None


# --- names ------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# Words that, anywhere in a parameter name, say the value is about a person.
IDENTITY_WORDS = frozenset(
    {
        "email",
        "mail",
        "phone",
        "tel",
        "telephone",
        "mobile",
        "msisdn",
        "fio",
        "surname",
        "firstname",
        "lastname",
        "fullname",
        "username",
        "nickname",
        "login",
        "address",
        "street",
        "ip",
        "ipv4",
        "ipv6",
        "token",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "ssn",
        "passport",
        "inn",
        "snils",
        "iban",
        "card",
        "cc",
        "cvv",
        "pan",
        "birthday",
        "birthdate",
        "dob",
        "gclid",
        "fbclid",
        "yclid",
        "msclkid",
        "dclid",
        "wbraid",
        "gbraid",
        "ttclid",
        "imei",
        "imsi",
        "iccid",
        "abonent",
        "ls",
        "dogovor",
        "session",
        "sid",
        "sessid",
        "bearer",
        "apikey",
        "otp",
        "pin",
        "dr",
        "bday",
        "uid",
        "userid",
        "cid",
        "contract",
        "account",
        "auth",
        "cookie",
        "jwt",
        "geo",
        "latitude",
        "longitude",
        "lat",
        "lon",
        "lng",
        "zip",
        "zipcode",
        "postcode",
        "postal",
    }
)
# "name" or "id" alone is fine for a product; beside these words it is a person.
_PERSON_WORDS = frozenset(
    {
        "user",
        "customer",
        "client",
        "member",
        "visitor",
        "person",
        "contact",
        "subscriber",
        "account",
        "device",
        "first",
        "last",
        "full",
        "middle",
        "maiden",
        "display",
        "real",
        "given",
        "family",
        "nick",
        "transaction",
        "order",
        "session",
        "ga",
        "profile",
        "owner",
    }
)


# Identity words matched anywhere in a name, compounds included
# ("useremail", "phonenumber", "sessionid"): long enough to be no part of an
# ordinary word. English and transliterated Russian.
IDENTITY_SUBSTRINGS = (
    "email",
    "e_mail",
    "phone",
    "mobile",
    "msisdn",
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "middlename",
    "username",
    "nickname",
    "login",
    "address",
    "street",
    "password",
    "passwd",
    "passport",
    "snils",
    "iban",
    "birth",
    "clid",
    "wbraid",
    "gbraid",
    "token",
    "secret",
    "cookie",
    "session",
    "imei",
    "imsi",
    "iccid",
    "abonent",
    "contract",
    "dogovor",
    "account",
    "userid",
    "clientid",
    "customerid",
    "credential",
    "apikey",
    "bearer",
    # transliterated Russian
    "pochta",
    "familiya",
    "familia",
    "otchestvo",
    "telefon",
    "adres",
    "parol",
    "pasport",
    "rozhden",
    "imya",
    "nomer_tel",
    "schet",
    "licevoy",
    "litsevoy",
    "kvartira",
    "ulica",
    "ulitsa",
)


def _name_words(name: str) -> list[str]:
    words: list[str] = []
    for chunk in name.split("_"):
        words.extend(w.lower() for w in _NAME_WORDS.findall(chunk))
    return words


def is_identity_param(name: str) -> bool:
    """True when a parameter's name suggests its value identifies a person."""
    lowered = name.lower()
    compact = lowered.replace("_", "").replace("-", "")
    if lowered == "name" or compact in IDENTITY_WORDS:
        return True
    if any(part in compact or part in lowered for part in IDENTITY_SUBSTRINGS):
        return True
    words = _name_words(name)
    if any(w in IDENTITY_WORDS for w in words):
        return True
    return ("name" in words or "id" in words) and any(w in _PERSON_WORDS for w in words)


# Names that passed their rule, so the next event skips the checks. A site
# uses a few dozen event and parameter names; only accepted names are kept,
# names GA receives anyway, never a rejected one (it may hold an identifier).
ACCEPTED_NAMES_MAX = 4096
_accepted_event_names: set[str] = set()
_accepted_param_names: set[str] = set()


def _remember(accepted: set[str], name: str) -> str:
    if len(accepted) >= ACCEPTED_NAMES_MAX:
        accepted.clear()
    accepted.add(name)
    return name


# GA's own and recommended event names: kept though some hold an identity word.
GA_EVENT_NAMES = frozenset(
    {
        "page_view",
        "user_engagement",
        "session_start",
        "first_visit",
        "scroll",
        "click",
        "file_download",
        "view_search_results",
        "form_start",
        "form_submit",
        "login",
        "sign_up",
        "generate_lead",
        "search",
        "share",
        "select_content",
        "view_item",
        "add_to_cart",
        "begin_checkout",
        "purchase",
        "campaign_details",
    }
)


def _name_identifies(name: str) -> bool:
    """An event or parameter name is text too: read as words, it must say nothing of a person."""
    if is_identity_param(name):
        return True
    words = name.replace("_", " ")
    dotted = name.replace("_", ".")
    # "ivan_petrov_mail_ru": a mail domain spelled with underscores.
    if any(f".{domain}" in dotted for domain in _MAIL_DOMAINS):
        return True
    # Read as one word too: "ivan_petrov" is a login, "ivan petrov" two words.
    return scrub_text(words, len(words)) != words or scrub_text(name, len(name)) != name


_MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "ya.ru")


def clean_event_name(name: object) -> str | None:
    """A GA-valid event name with no identifier hidden in it, or None."""
    if not isinstance(name, str):
        return None
    if name in _accepted_event_names:
        return name
    if not _NAME.match(name):
        return None
    if _DIGIT_RUN.search(name) or (_looks_like_token(name) and len(name) >= 16):
        return None
    if name not in GA_EVENT_NAMES and _name_identifies(name):
        return None
    return _remember(_accepted_event_names, name)


def clean_param_name(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    if name in _accepted_param_names:
        return name
    if not _NAME.match(name):
        return None
    if name in RESERVED_PARAMS:
        return None
    if _DIGIT_RUN.search(name) or (_looks_like_token(name) and len(name) >= 16):
        return None
    # Identity words, and identifiers read in the name ("ivan_petrov" as a key).
    if _name_identifies(name):
        return None
    return _remember(_accepted_param_names, name)


# --- values -----------------------------------------------------------------

ParamValue = str | int | float


def clean_number(value: int | float) -> int | float | None:
    """Numbers pass unless they are long enough to be a phone or card number."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if abs(value) >= 10 ** (MIN_IDENTIFYING_DIGITS - 1):
        return None
    return value


_URL_VALUE = re.compile(r"^(?:(?i:https?):)?//|^/(?!/)|^(?i:www\.)")


def clean_url_value(value: str, site_origins: Iterable[str] = ()) -> str | None:
    """A parameter value that is a URL or a site path, through the URL rules.

    The site's own URLs keep their anonymized path (no query, no fragment);
    any other site's URL keeps its origin only; a path stays a path.
    """
    text = detectors.decode_layers(value.strip()[: MAX_URL_LENGTH * RAW_FACTOR])
    if text.startswith("/") and not text.startswith("//"):
        path = text.split("?", 1)[0].split("#", 1)[0]
        return anonymize_path(path)[:MAX_VALUE_LENGTH]
    if text.startswith("//"):
        text = "https:" + text
    elif text[:4].lower() == "www.":
        text = "https://" + text
    origins = tuple(site_origins)
    clean = anonymize_url(text, (), origins)
    if clean is None:
        return None
    kept = clean.origin + clean.path if clean.origin in origins else external_origin(clean.origin)
    return kept[:MAX_VALUE_LENGTH] if kept else None


def external_origin(origin: str) -> str | None:
    """Another site's origin; its registrable domain alone when a label could identify."""
    scheme, _sep, netloc = origin.partition("://")
    host = netloc.split(":", 1)[0]
    labels = host.split(".")
    if not any(is_sensitive_segment(label) or _looks_like_token(label) for label in labels):
        return origin
    domain = registrable_domain(host)
    return f"{scheme}://{domain}" if domain else None


def clean_value(value: object, site_origins: Iterable[str] = ()) -> ParamValue | None:
    """A scalar parameter value with identifiers removed, or None to drop it."""
    return _clean_value(value, site_origins)[0]


# Which rule a string value went through: the rules of enhanced measurement
# (``measurement.clean_measured``) need not run the same rule on it again.
VIA_URL = "url"
VIA_TEXT = "text"


def _clean_value(value: object, site_origins: Iterable[str]) -> tuple[ParamValue | None, str]:
    if isinstance(value, bool):
        return int(value), ""
    if isinstance(value, (int, float)):
        return clean_number(value), ""
    if isinstance(value, str):
        if _URL_VALUE.match(value.lstrip()):
            return clean_url_value(value, site_origins), VIA_URL
        cleaned = scrub_text(value, MAX_VALUE_LENGTH).strip()
        return cleaned or None, VIA_TEXT
    return None, ""


@dataclass
class CleanParams:
    params: dict[str, ParamValue] = field(default_factory=dict)
    dropped: int = 0
    # Per kept string value, the rule it went through (VIA_URL or VIA_TEXT).
    via: dict[str, str] = field(default_factory=dict)


def clean_params(
    raw: Mapping[str, object] | None,
    limit: int = MAX_PARAMS,
    site_origins: Iterable[str] = (),
) -> CleanParams:
    """Identity-suggesting names dropped, values scrubbed, at most ``limit`` kept."""
    result = CleanParams()
    if not raw:
        return result
    for name, value in raw.items():
        clean_name = clean_param_name(name)
        clean, via = _clean_value(value, site_origins) if clean_name else (None, "")
        if clean_name is None or clean is None or len(result.params) >= limit:
            result.dropped += 1
            continue
        result.params[clean_name] = clean
        if via:
            result.via[clean_name] = via
    return result


# --- identifiers ------------------------------------------------------------


def _keyed_digest(key: bytes, *parts: str) -> bytes:
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def client_id_from(key: bytes, kind: str, identifier: str) -> str:
    """GA's "digits.digits" client id, a keyed hash of an id the gateway never forwards.

    ``kind`` separates the namespaces (a consent id, a gtag ``cid``) so the two
    can never map to the same client id by accident.
    """
    digest = _keyed_digest(key, "client", kind, identifier)
    first = 1_000_000_000 + int.from_bytes(digest[:8], "big") % 9_000_000_000
    second = 1_000_000_000 + int.from_bytes(digest[8:16], "big") % 9_000_000_000
    return f"{first}.{second}"


def session_id_from(key: bytes, kind: str, identifier: str, day: str) -> str:
    """A session id stable for one visitor during one UTC day, unlinkable across days."""
    digest = _keyed_digest(key, "session", kind, identifier, day)
    return str(1_000_000_000 + int.from_bytes(digest[:8], "big") % 9_000_000_000)


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, derived from the app's signing key."""
    return hmac.new(secret.encode("utf-8"), purpose.encode("utf-8"), hashlib.sha256).digest()
