#!/usr/bin/env python3
"""Build oui.tsv, an offline IEEE OUI vendor table, from the IEEE Registration
Authority public listings shipped by Debian's ieee-data package.

Usage:
    python3 build_oui.py [INPUT_DIR] [-o OUTPUT] [--source-version VERSION]

INPUT_DIR defaults to /usr/share/ieee-data and must contain oui.csv (MA-L),
mam.csv (MA-M) and oui36.csv (MA-S). OUTPUT defaults to oui.tsv next to this
script. Only the Python 3 standard library is used, and the output depends
only on the input files and the ieee-data version, so reruns are byte-identical.

Output format (UTF-8, LF line endings):
    line 1: a '#' comment naming the source, version and file date
    then:   PREFIX<TAB>BITS<TAB>Organization name
PREFIX is upper-case hex without separators: 6 digits / BITS 24 (MA-L),
7 digits / BITS 28 (MA-M), 9 digits / BITS 36 (MA-S). Rows are sorted by
PREFIX then BITS. "Private" and empty organisations are skipped, as are
repeated rows. If the IEEE lists several different organisations for one
assignment (a few historic MA-L blocks), they are joined in sorted order
with " | " so that every (PREFIX, BITS) appears exactly once.
"""

import argparse
import csv
import datetime
import os
import subprocess
import sys
import unicodedata

DEFAULT_INPUT_DIR = "/usr/share/ieee-data"

# (file name, registry name in the CSV, hex digits, prefix length in bits)
REGISTRIES = (
    ("oui.csv", "MA-L", 6, 24),
    ("mam.csv", "MA-M", 7, 28),
    ("oui36.csv", "MA-S", 9, 36),
)

HEXDIGITS = frozenset("0123456789ABCDEF")
JOINER = " | "


def clean_name(raw):
    """Trim, drop control/format characters, collapse whitespace, NFC."""
    out = []
    for ch in unicodedata.normalize("NFC", raw):
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append(" ")  # tab, CR, LF and other controls act as separators
        elif cat == "Cf":
            continue  # zero-width space, left-to-right mark, BOM, ...
        else:
            out.append(ch)
    # str.split() with no argument splits on all Unicode whitespace
    # (including no-break and ideographic spaces).
    return " ".join("".join(out).split())


def ieee_data_version():
    try:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "ieee-data"],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            "build_oui.py: cannot read the ieee-data version with dpkg-query "
            f"({exc}); install ieee-data or pass --source-version"
        )
    version = res.stdout.strip()
    if not version:
        sys.exit("build_oui.py: dpkg-query reported no ieee-data version")
    return version


def files_date(input_dir):
    """Date of the listings: ieee-data's .lastupdate stamp (Unix time),
    else the newest modification time of the three CSV files, in UTC."""
    stamp = None
    try:
        with open(os.path.join(input_dir, ".lastupdate"), encoding="ascii") as f:
            stamp = int(f.read().strip())
    except (OSError, ValueError):
        stamp = max(
            int(os.stat(os.path.join(input_dir, name)).st_mtime)
            for name, _, _, _ in REGISTRIES
        )
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).date()


def read_registry(path, registry, digits, bits, table, stats):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != [
            "Registry",
            "Assignment",
            "Organization Name",
        ]:
            sys.exit(f"build_oui.py: unexpected header in {path}: {header!r}")
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < 3:
                sys.exit(f"build_oui.py: {path}:{lineno}: short row {row!r}")
            if row[0].strip() != registry:
                sys.exit(
                    f"build_oui.py: {path}:{lineno}: registry {row[0]!r}, "
                    f"expected {registry}"
                )
            prefix = "".join(row[1].split()).replace("-", "").replace(":", "").upper()
            if len(prefix) != digits or not set(prefix) <= HEXDIGITS:
                sys.exit(f"build_oui.py: {path}:{lineno}: bad assignment {row[1]!r}")
            name = clean_name(row[2])
            if not name or name.casefold() == "private":
                stats["skipped_private"] += 1
                continue
            names = table.setdefault((prefix, bits), set())
            if name in names:
                stats["skipped_duplicate"] += 1
            names.add(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "input_dir",
        nargs="?",
        default=DEFAULT_INPUT_DIR,
        help=f"directory holding oui.csv, mam.csv, oui36.csv (default {DEFAULT_INPUT_DIR})",
    )
    ap.add_argument(
        "-o",
        "--output",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "oui.tsv"),
        help="output file (default: oui.tsv next to this script)",
    )
    ap.add_argument(
        "--source-version",
        help="ieee-data version for the header (default: ask dpkg-query)",
    )
    args = ap.parse_args()

    version = args.source_version or ieee_data_version()
    date = files_date(args.input_dir)

    table = {}
    stats = {"skipped_private": 0, "skipped_duplicate": 0}
    for name, registry, digits, bits in REGISTRIES:
        read_registry(
            os.path.join(args.input_dir, name), registry, digits, bits, table, stats
        )

    lines = [
        "# IEEE OUI vendor table (PREFIX<TAB>BITS<TAB>Organization). Source: IEEE "
        "Registration Authority public listings MA-L (oui.csv), MA-M (mam.csv), "
        f"MA-S (oui36.csv) via Debian ieee-data version {version}, files dated "
        f"{date.isoformat()}. Generated by build_oui.py.\n"
    ]
    counts = {}
    joined = 0
    for (prefix, bits) in sorted(table):
        names = sorted(table[(prefix, bits)], key=lambda s: (s.casefold(), s))
        if len(names) > 1:
            joined += 1
        lines.append(f"{prefix}\t{bits}\t{JOINER.join(names)}\n")
        counts[bits] = counts.get(bits, 0) + 1

    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    os.replace(tmp, args.output)

    summary = ", ".join(f"/{b}: {counts.get(b, 0)}" for _, _, _, b in REGISTRIES)
    print(
        f"wrote {args.output}: {sum(counts.values())} rows ({summary}); "
        f"skipped {stats['skipped_private']} private/empty, "
        f"{stats['skipped_duplicate']} duplicate; "
        f"{joined} assignment(s) with several organisations joined",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
