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


def _edge_addresses() -> list[str]:
    """Both ends of every network the standard library treats as special, and their
    neighbours outside, for IPv4, IPv6 and IPv4-mapped IPv6."""
    import ipaddress

    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        constants = kind._constants  # type: ignore[attr-defined]
        networks += constants._private_networks
        networks += getattr(constants, "_private_networks_exceptions", [])
        if hasattr(constants, "_public_network"):
            networks.append(constants._public_network)
    found: list[str] = []
    for net in networks:
        first, last = int(net.network_address), int(net.broadcast_address)
        top = 2**net.max_prefixlen - 1
        for number in (first - 1, first, first + 1, last - 1, last, last + 1):
            if 0 <= number <= top:
                found.append(
                    str(
                        ipaddress.ip_address(number)
                        if net.version == 4
                        else ipaddress.IPv6Address(number)
                    )
                )
                if net.version == 4:
                    found.append(f"::ffff:{ipaddress.IPv4Address(number)}")
    return [*found, "8.8.8.8", "81.200.10.20", "2a00:1450:4010::65", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", _edge_addresses())
def test_global_verdict_is_the_standard_librarys(address: str) -> None:
    import ipaddress

    from gateway.geo import is_global

    ip = ipaddress.ip_address(address)
    assert is_global(ip) is ipaddress.ip_address(address).is_global


def test_addresses_are_not_remembered_by_the_global_check(database: str) -> None:
    """ipaddress caches is_global/is_private per address object (lru_cache): the
    gateway's own check must leave those caches as they were."""
    import ipaddress

    global_cache = ipaddress.IPv4Address.is_global.fget  # type: ignore[attr-defined]
    private_cache = ipaddress.IPv4Address.is_private.fget  # type: ignore[attr-defined]
    if not hasattr(global_cache, "cache_info"):
        pytest.skip("this Python's ipaddress keeps no per-address cache")
    before = (global_cache.cache_info().currsize, private_cache.cache_info().currsize)
    global_cache.cache_clear()
    private_cache.cache_clear()
    for last in range(1, 200):
        assert locate(database, f"81.200.10.{last}") == Location("RU", "RU-MOW")
        assert locate(database, f"10.0.0.{last}") is None
    assert global_cache.cache_info().currsize == 0, before
    assert private_cache.cache_info().currsize == 0
