"""Country and ISO 3166-2 region of an address, from a GeoIP2/GeoLite2 database.

The reader is opened once per process, on first use (after gunicorn forks),
and shared by every thread. Without a database there is no location.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_readers: dict[str, Any] = {}
_failed: set[str] = set()
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
        import maxminddb
        from maxminddb import InvalidDatabaseError

        try:
            # The raw reader: records as dicts, without geoip2's model objects
            # (which cost ten times the lookup itself on every beacon).
            reader = maxminddb.open_database(path)
        except (OSError, ValueError, InvalidDatabaseError) as exc:
            # Said once, without any address: the gateway keeps working, with no location.
            log.warning("GeoIP database %s cannot be opened (%s); no location", path, exc)
            _failed.add(path)
            return None
        _readers[path] = reader
        return reader


def close_readers() -> None:
    with _lock:
        for reader in _readers.values():
            reader.close()
        _readers.clear()
        _failed.clear()


def locate(database: str, address: str) -> Location | None:
    """The coarse location of ``address``, or None (no database, private or unknown address)."""
    if not database or not address:
        return None
    # The socket module's parser, then ipaddress from the packed form: a third
    # of the cost of ipaddress parsing the text, on every beacon.
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    except (OSError, ValueError):
        return None
    ip = ipaddress.ip_address(packed)
    if not ip.is_global:
        return None
    reader = _reader(database)
    if reader is None:
        return None
    from maxminddb import InvalidDatabaseError

    try:
        record = reader.get(ip)
    except (InvalidDatabaseError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(record, dict):
        return None  # not in the database
    country = _iso_code(record.get("country"))
    if not country:
        return None
    # City databases list subdivisions, largest first: the last is the most specific.
    subdivisions = record.get("subdivisions")
    subdivision = (
        _iso_code(subdivisions[-1]) if isinstance(subdivisions, list) and subdivisions else ""
    )
    region = f"{country}-{subdivision}" if subdivision else ""
    return Location(country, region)


def _iso_code(entry: Any) -> str:
    code = entry.get("iso_code") if isinstance(entry, dict) else None
    return code if isinstance(code, str) else ""
