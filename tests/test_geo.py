"""GeoIP lookup: only public addresses are located, and any text is safe to pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.geo import Location, close_readers, locate


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A database that (wrongly, as some home-made ones do) places private ranges too."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", ipv4_compatible=True)
    writer.insert_network(
        IPSet(["81.200.10.0/24", "10.0.0.0/8", "192.168.0.0/16", "100.64.0.0/10"]),
        {"country": {"iso_code": "RU"}, "subdivisions": [{"iso_code": "MOW"}]},
    )
    writer.insert_network(IPSet(["2a00:1450::/32", "fd00::/8"]), {"country": {"iso_code": "DE"}})
    path = tmp_path / "geo.mmdb"
    writer.to_db_file(str(path))
    yield str(path)
    close_readers()


def test_public_addresses_are_located(database: str) -> None:
    assert locate(database, "81.200.10.20") == Location("RU", "RU-MOW")
    assert locate(database, "2a00:1450:4010::65") == Location("DE", "")
    assert locate(database, "2A00:1450:4010::65") == Location("DE", "")


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "192.168.1.1", "100.64.0.1", "127.0.0.1", "fd00::1", "::1"]
)
def test_private_and_shared_addresses_are_never_looked_up(database: str, address: str) -> None:
    """A home network's address says nothing of a country, whatever the database says."""
    assert locate(database, address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "unknown",
        "81.200.10",
        "81.200.10.20.1",
        "81.200.10.256",
        "81.200.10.20\x00",
        "81.200.10.20 ",
        "::g",
        "1.2.3.4/24",
        "2a00:1450::1%eth0",
        "٨١.٢٠٠.١٠.٢٠",
    ],
)
def test_anything_that_is_not_one_address_is_no_location(database: str, address: str) -> None:
    assert locate(database, address) is None


def test_unknown_public_address_and_no_database(database: str) -> None:
    assert locate(database, "8.8.8.8") is None
    assert locate("", "81.200.10.20") is None
