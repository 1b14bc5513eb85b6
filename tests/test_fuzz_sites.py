"""The sites file beyond tests/test_sites.py: origin-like strings (the urlsplit corner
cases), category tables, and files that are not UTF-8. Anything → sites or SitesError."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.sites import SitesError, load_sites, parse_site, parse_sites

url_parts = st.sampled_from(
    ["https://", "http://", "ftp://", "//", "[", "]", "::1", ":", "@", "/", "?", "#", "%", "."]
)
origin_like = st.one_of(
    st.lists(
        st.one_of(url_parts, st.text(st.characters(codec="utf-8"), max_size=6)), max_size=6
    ).map("".join),
    st.builds(
        "".join,
        st.tuples(
            st.sampled_from(["https://", "http://"]),
            st.sampled_from(["[", "[::1", "a.example:", "[::1]:", "é.example", ""]),
            st.sampled_from(["", "x", "99999", "-1", "]", "/", "80"]),
        ),
    ),
)
category_texts = st.dictionaries(
    st.sampled_from(["ru", "en", "de"]),
    st.one_of(
        st.fixed_dictionaries(
            {}, optional={"title": st.one_of(st.text(max_size=5), st.integers())}
        ).map(lambda d: {**d, "description": "d"}),
        st.integers(),
        st.text(max_size=5),
    ),
    max_size=3,
)
site_tables = st.fixed_dictionaries(
    {},
    optional={
        "origins": st.one_of(st.lists(origin_like, max_size=3), origin_like),
        "languages": st.lists(st.sampled_from(["ru", "en", "de", ""]), max_size=3),
        "ga_measurement_id": st.one_of(st.just("G-ABC123"), st.text(max_size=12)),
        "query_allowlist": st.lists(st.text(max_size=8), max_size=3),
        "categories": st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(["ads", "analytics", "Ads", "a-b"]), st.text(max_size=6)),
                st.one_of(category_texts, st.integers()),
                max_size=2,
            ),
            st.integers(),
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(raw=site_tables, site_id=st.one_of(st.just("x"), st.text(max_size=8)))
def test_any_site_table_parses_or_names_its_problem(raw: dict[str, object], site_id: str) -> None:
    try:
        site = parse_site(site_id, raw)
    except SitesError as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        assert problem.startswith(f"sites.{site_id}")
        return
    for origin in site.origins:
        assert origin.startswith(("http://", "https://"))
        assert site.allows_origin(origin)


# The file is rewritten by each example: the shared tmp_path is fine.
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200))
def test_any_bytes_as_a_sites_file_load_or_raise_sites_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "sites.toml"
    path.write_bytes(b"[sites.x]\nname = 'x'\n" + data)
    with contextlib.suppress(SitesError):
        load_sites(str(path))


# -- regressions found by the properties above ----------------------------------------------


@pytest.mark.parametrize(
    "origin", ["https://[x", "https://[::1", "https://a.example:99999", "https://a.example:x"]
)
def test_origins_urlsplit_refuses_are_sites_errors(origin: str) -> None:
    """urlsplit() raises ValueError for these: it escaped as a crash at start-up."""
    with pytest.raises(SitesError, match="is not an origin"):
        parse_sites(f"[sites.x]\norigins = [{origin!r}]")


def test_a_sites_file_that_is_not_utf8_is_a_sites_error(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_bytes(b"[sites.x]\nname = '\xff'\n")
    with pytest.raises(SitesError, match="not UTF-8"):
        load_sites(str(path))
