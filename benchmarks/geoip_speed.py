"""Cost of one GeoIP lookup per beacon: geoip2.database.Reader against the raw maxminddb reader.

Builds a City and an ASN database (mmdb-writer) of 4,096 networks each, then
times, in the same run and on the same public addresses (process CPU time):
- ``maxminddb`` ``Reader.get`` (the raw records, the gateway's former reader);
- ``geoip2`` ``Reader.city`` and ``Reader.asn`` (model objects);
- ``gateway.geo.locate`` and ``gateway.geo.from_hosting`` (address checks,
  the reader opened once per process, as the intake calls them).
Run: .venv/bin/python benchmarks/geoip_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway import geo

NETWORKS = 4096
LOOKUPS = 50_000


def build(directory: Path) -> tuple[str, str]:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    city = MMDBWriter(ip_version=6, database_type="GeoLite2-City", ipv4_compatible=True)
    asn = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    for i in range(NETWORKS):
        network = f"81.{i // 256}.{i % 256}.0/24"
        city.insert_network(
            IPSet([network]),
            {
                "country": {"iso_code": "RU", "names": {"en": "Russia", "ru": "Россия"}},
                "subdivisions": [{"iso_code": "MOW", "names": {"en": "Moscow"}}],
                "city": {"names": {"en": "Moscow"}},
                "location": {"latitude": 55.75, "longitude": 37.61, "time_zone": "Europe/Moscow"},
            },
        )
        asn.insert_network(
            IPSet([network]),
            {
                "autonomous_system_number": 16509 if i % 2 else 8402,
                "autonomous_system_organization": "X",
            },
        )
    city_path, asn_path = directory / "city.mmdb", directory / "asn.mmdb"
    city.to_db_file(str(city_path))
    asn.to_db_file(str(asn_path))
    return str(city_path), str(asn_path)


def per_lookup(fn: Callable[[str], object], addresses: list[str]) -> float:
    """Microseconds of process CPU time per call."""
    for address in addresses[:1000]:
        fn(address)  # warm-up: readers opened, caches filled
    start = time.process_time()
    for address in addresses:
        fn(address)
    return (time.process_time() - start) / len(addresses) * 1e6


def main() -> None:
    import geoip2.database
    import maxminddb

    with tempfile.TemporaryDirectory() as tmp:
        city_path, asn_path = build(Path(tmp))
        addresses = [f"81.{(i * 7) % 16}.{(i * 13) % 256}.{i % 250 + 1}" for i in range(LOOKUPS)]
        raw_city = maxminddb.open_database(city_path)
        raw_asn = maxminddb.open_database(asn_path)
        city = geoip2.database.Reader(city_path)
        asn = geoip2.database.Reader(asn_path)
        rows = [
            ("maxminddb Reader.get (City)", per_lookup(lambda a: raw_city.get(a), addresses)),
            ("maxminddb Reader.get (ASN)", per_lookup(lambda a: raw_asn.get(a), addresses)),
            ("geoip2 Reader.city", per_lookup(lambda a: city.city(a), addresses)),
            ("geoip2 Reader.asn", per_lookup(lambda a: asn.asn(a), addresses)),
            ("gateway.geo.locate", per_lookup(lambda a: geo.locate(city_path, a), addresses)),
            (
                "gateway.geo.from_hosting",
                per_lookup(lambda a: geo.from_hosting(asn_path, a), addresses),
            ),
        ]
        baseline = rows[0][1] + rows[1][1]
        print(f"{LOOKUPS:,} lookups of public addresses, {NETWORKS:,} networks per database")
        print(f"{'reader':<30} {'µs/lookup':>10}")
        for name, micros in rows:
            print(f"{name:<30} {micros:>10.2f}")
        gateway = rows[4][1] + rows[5][1]
        print(
            f"per beacon (location + hosting): geoip2 via gateway.geo {gateway:.2f} µs, "
            f"raw maxminddb {baseline:.2f} µs ({gateway / baseline:.1f}x)"
        )
        for reader in (raw_city, raw_asn, city, asn):
            reader.close()
        geo.close_readers()


if __name__ == "__main__":
    main()
