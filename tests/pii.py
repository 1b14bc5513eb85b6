"""Hypothesis strategies for personal data the anonymizer must never let through."""

from __future__ import annotations

from hypothesis import strategies as st

from gateway.analytics.intake.anonymizer import luhn_valid

_digit = st.sampled_from("0123456789")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.lists(_digit, min_size=n, max_size=n).map("".join)


emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"\A[a-z][a-z0-9._+-]{0,12}[a-z0-9]\Z"),
    st.from_regex(r"\A[a-z][a-z0-9-]{0,10}[a-z0-9]\Z"),
    st.sampled_from(["ru", "com", "org", "example"]),
)


@st.composite
def ru_phones(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(["9", "4"])) + draw(_digits(2))
    a, b, c = draw(_digits(3)), draw(_digits(2)), draw(_digits(2))
    fmt = draw(st.integers(0, 5))
    return [
        f"+7 ({code}) {a}-{b}-{c}",
        f"8 {code} {a} {b} {c}",
        f"+7{code}{a}{b}{c}",
        f"8({code}){a}-{b}-{c}",
        f"+7 {code} {a} {b}{c}",
        f"8-{code}-{a}-{b}-{c}",
    ][fmt]


@st.composite
def international_phones(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["1", "44", "49", "33", "380", "375", "86"]))
    groups = draw(st.lists(st.integers(2, 4), min_size=3, max_size=4))
    sep = draw(st.sampled_from([" ", "-", ""]))
    parts = [draw(_digits(n)) for n in groups]
    return f"+{country} " + sep.join(parts)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["4", "51", "55", "2200"]))
    body = prefix + draw(_digits(15 - len(prefix)))
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    number = body + check
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
uuids = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())
hex_tokens = st.binary(min_size=16, max_size=32).map(bytes.hex)
opaque_tokens = st.from_regex(r"\A[A-Za-z0-9_-]{22,40}\Z").filter(
    lambda t: (
        any(c.isupper() for c in t) and any(c.islower() for c in t) and any(c.isdigit() for c in t)
    )
)
jwts = st.builds(
    lambda a, b, c: f"eyJ{a}.eyJ{b}.{c}",
    st.from_regex(r"\A[A-Za-z0-9_-]{10,30}\Z"),
    st.from_regex(r"\A[A-Za-z0-9_-]{10,30}\Z"),
    st.from_regex(r"\A[A-Za-z0-9_-]{10,40}\Z"),
)

secrets = st.one_of(
    emails,
    ru_phones(),
    international_phones(),
    card_numbers(),
    ipv4,
    ipv6,
    uuids,
    hex_tokens,
    opaque_tokens,
    jwts,
)

# Ordinary words around the secret: letters only, so any long digit run in
# the output can only have come from an injected secret.
filler = st.text(alphabet="abcdefghij klmnoАБВГДежзик", max_size=12)


def needles(secret: str) -> list[str]:
    """Substrings whose presence in any output means the secret leaked."""
    found = [secret]
    digits = "".join(c for c in secret if c.isdigit())
    if ":" not in secret and "." not in secret.strip(".") and len(digits) >= 7:
        found.append(digits)
    if "@" in secret:
        found.append(secret.split("@", 1)[0] + "@")
    return [n for n in found if len(n) >= 4]
