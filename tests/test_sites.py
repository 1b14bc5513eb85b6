from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sites import DEMO_SITES_TOML, SitesError, parse_sites
from tests.conftest import TEST_SITES_TOML


def test_demo_and_test_sites_files_parse() -> None:
    demo = parse_sites(DEMO_SITES_TOML)["hottelecom"]
    assert demo.languages == ("ru", "en")
    assert demo.category_ids == ("necessary", "analytics", "marketing")
    assert demo.allows_origin("http://127.0.0.1:8000")
    assert not demo.allows_origin("http://evil.example")
    assert not demo.allows_origin(None)
    sites = parse_sites(TEST_SITES_TOML)
    assert set(sites) == {"hottelecom", "shop"}
    assert sites["shop"].default_language == "en"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sites.x]\norigins = ['ftp://x']", "not an origin"),
        ("[sites.x]\norigins = ['https://x.example/path']", "not an origin"),
        ("[sites.x]\nlanguages = ['de']", "languages"),
        ("[sites.x]\nga_measurement_id = 'UA-1'", "G-XXXXXXXXXX"),
        ("[sites.x]\nquery_allowlist = 'utm_source'", "list of strings"),
        ("[sites.x]\ncolour = 'red'", "unknown keys colour"),
        ("[sites.Bad_Id]\nname = 'x'", "lowercase"),
        ("[sites.x.categories.analytics.en]\ntitle='a'\ndescription='b'", "reserved"),
        ("[sites.x.categories.ads.en]\ntitle='a'", "title and description"),
        ("[sites.x", "sites file"),
        ("sites = 3", "must be a table"),
    ],
)
def test_bad_sites_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(SitesError, match=message):
        parse_sites(text)


def test_origins_are_normalised() -> None:
    site = parse_sites("[sites.x]\norigins = ['HTTPS://Shop.Example:8443/']")["x"]
    assert site.origins == ("https://shop.example:8443",)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_either_parses_or_raises_sites_error(text: str) -> None:
    with contextlib.suppress(SitesError):
        parse_sites(text)


toml_scalars = st.one_of(
    st.integers(), st.booleans(), st.text(max_size=20), st.lists(st.text(max_size=10), max_size=3)
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "origins",
                "languages",
                "ga_measurement_id",
                "ga_api_secret",
                "query_allowlist",
            ]
        ),
        toml_scalars,
    )
)
def test_any_structured_site_either_parses_or_raises_sites_error(raw: dict[str, object]) -> None:
    from gateway.sites import parse_site

    with contextlib.suppress(SitesError):
        parse_site("x", raw)


def test_the_gateway_placeholder_is_the_origin_of_the_public_url() -> None:
    moved = parse_sites(DEMO_SITES_TOML, gateway_origin="http://127.0.0.1:8001")["hottelecom"]
    assert moved.allows_origin("http://127.0.0.1:8001")
    assert moved.origins.count("http://127.0.0.1:8000") == 1
    default = parse_sites(DEMO_SITES_TOML)["hottelecom"]
    assert not default.allows_origin("http://127.0.0.1:8001")
    assert default.origins.count("http://127.0.0.1:8000") == 1  # listed once, not twice
