"""Country, ISO 3166-2 region and hosting verdict of an address, from GeoIP2 databases.

Locations come from a GeoIP2/GeoLite2 City or Country database
(``GEOIP_DB``), the network operator from a GeoLite2-ASN database
(``GEOIP_ASN_DB``), both through ``geoip2.database.Reader``. Each reader is
opened once per process, on first use (after gunicorn forks), and shared by
every thread. Without a database there is no location and no hosting verdict.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

_readers: dict[str, Any] = {}
_failed: set[str] = set()
_location_methods: dict[str, Any] = {}
_lookup_errors: list[type[Exception]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Location:
    country: str  # ISO 3166-1 alpha-2, e.g. "RU"
    region: str  # ISO 3166-2, e.g. "RU-MOW"; "" when unknown


def _reader(path: str) -> Any:
    reader = _readers.get(path)
    if reader is not None or path in _failed:
        return reader
    with _lock:
        if path in _readers or path in _failed:
            return _readers.get(path)
        import geoip2.database
        from geoip2.errors import GeoIP2Error
        from maxminddb import InvalidDatabaseError

        try:
            reader = geoip2.database.Reader(path)
        except (OSError, ValueError, InvalidDatabaseError) as exc:
            # Said once, without any address: the gateway keeps working, with no location.
            log.warning("GeoIP database %s cannot be opened (%s); not used", path, exc)
            _failed.add(path)
            return None
        # Resolved once, not on every beacon: which lookup a location takes
        # (City or Country database), and what a failed lookup raises.
        _location_methods[path] = (
            reader.city if "City" in reader.metadata().database_type else reader.country
        )
        _lookup_errors[:] = [GeoIP2Error, InvalidDatabaseError, ValueError, TypeError, KeyError]
        _readers[path] = reader
        return reader


def close_readers() -> None:
    with _lock:
        for reader in _readers.values():
            reader.close()
        _readers.clear()
        _failed.clear()
        _location_methods.clear()


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (first, last) address numbers of a range.
_Ranges = tuple[tuple[int, int], ...]


def _ranges(networks: object) -> _Ranges:
    return tuple(
        (int(net.network_address), int(net.broadcast_address))
        for net in networks  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=2)
def _special_ranges(version: int) -> tuple[_Ranges, _Ranges, _Ranges]:
    """(private, exceptions to the private ones, shared address space) of
    ``ipaddress`` itself for IPv4 or IPv6: the networks its ``is_global`` reads."""
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    constants: Any = getattr(kind, "_constants")  # noqa: B009  # no public name for them
    shared = getattr(constants, "_public_network", None) if version == 4 else None
    return (
        _ranges(constants._private_networks),
        _ranges(getattr(constants, "_private_networks_exceptions", ())),
        _ranges([shared] if shared is not None else []),
    )


def _within(number: int, ranges: _Ranges) -> bool:
    return any(first <= number <= last for first, last in ranges)


def is_global(ip: Address) -> bool:
    """``ip.is_global``, without its per-address cache.

    The standard library's ``is_global`` and ``is_private`` are wrapped in
    ``lru_cache``: every worker would hold the last 128 visitors' addresses.
    Same networks, same answer (tests/test_geo.py compares the two).
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is global unless a.b.c.d is private (the standard library's rule).
        return not _private(ip.ipv4_mapped)
    if _private(ip):
        return False
    return not _within(int(ip), _special_ranges(ip.version)[2])


def _private(ip: Address) -> bool:
    private, exceptions, _shared = _special_ranges(ip.version)
    number = int(ip)
    return _within(number, private) and not _within(number, exceptions)


def _public_ip(address: str) -> Address | None:
    """The address when it is a global one, else None (any text is safe to pass)."""
    # The socket module's parser, then ipaddress from the packed form: a third
    # of the cost of ipaddress parsing the text, on every beacon.
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    except (OSError, ValueError):
        return None
    ip = ipaddress.ip_address(packed)
    return ip if is_global(ip) else None


def _lookup(database: str, address: str, method: str) -> Any:
    """``Reader.<method>(ip)`` or None (no database, private or unknown address)."""
    if not database or not address:
        return None
    ip = _public_ip(address)
    if ip is None:
        return None
    reader = _reader(database)
    if reader is None:
        return None
    lookup = _location_methods[database] if method == "location" else reader.asn
    try:
        return lookup(ip)
    except tuple(_lookup_errors):
        # Not in the database, or a database of another kind than asked for.
        return None


def locate(database: str, address: str) -> Location | None:
    """The coarse location of ``address``, or None (no database, private or unknown address)."""
    response = _lookup(database, address, "location")
    if response is None:
        return None
    country = response.country.iso_code
    if not isinstance(country, str) or not country:
        return None
    # City databases list subdivisions, largest first: the most specific is last.
    subdivisions = getattr(response, "subdivisions", None)
    subdivision = subdivisions.most_specific.iso_code if subdivisions else None
    region = f"{country}-{subdivision}" if isinstance(subdivision, str) and subdivision else ""
    return Location(country, region)


def asn(database: str, address: str) -> int | None:
    """The autonomous system number of ``address`` (GeoLite2-ASN), or None."""
    response = _lookup(database, address, "asn")
    number = response.autonomous_system_number if response is not None else None
    return number if isinstance(number, int) else None


@lru_cache(maxsize=1)
def hosting_asns() -> frozenset[int]:
    """The hosting and cloud providers' ASNs kept in ``gateway/data/hosting_asns.txt``."""
    text = resources.files("gateway").joinpath("data/hosting_asns.txt").read_text("utf-8")
    numbers = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(int(number) for number in numbers if number)


def from_hosting(database: str, address: str) -> bool:
    """True when ``address`` belongs to a hosting or cloud provider (no database: False)."""
    number = asn(database, address)
    return number is not None and number in hosting_asns()
