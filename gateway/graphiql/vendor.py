"""Re-create GraphiQL's vendored browser files from the npm registry, reproducibly.

Run from the repository root (needs ``npm``; reaches only the npm registry)::

    .venv/bin/python -m gateway.graphiql.vendor           # fetch, verify, write assets/
    .venv/bin/python -m gateway.graphiql.vendor --check   # fetch, verify, compare; write nothing
    .venv/bin/python -m gateway.graphiql.vendor --repin   # after changing a version: write and
                                                          # print the new sha256 pins

Why a script: the files are third-party code served to every browser that opens the IDE, so
where they came from must be checkable. Each pinned package is fetched with ``npm pack`` (npm
verifies the tarball against the registry's integrity hash), the wanted file is read straight
out of the tarball (nothing is extracted to disk), and its sha256 must equal the pin in
:data:`gateway.graphiql.assets.VENDORED`. It is stored gzipped with a fixed header (no name, no
time), so the same input gives the same ``.gz`` with the same zlib; the pinned sha256 of the
uncompressed file is the contract, the ``.gz`` bytes are not. The package's licence is stored
beside it, as the MIT licence requires.

To upgrade: change the versions (and served names) in ``VENDORED``, run ``--repin``, paste the
printed sha256 values into ``VENDORED``, check the IDE in a browser
(``tests/gateway/browser``), and commit the assets with the pins.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gateway.graphiql.assets import ASSETS_DIR, VENDORED, VendoredFile


@dataclass(frozen=True)
class Fetched:
    """A pinned file as the registry serves it today, with its package's licence."""

    file: VendoredFile
    content: bytes
    licence: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def gzipped(self) -> bytes:
        return gzip.compress(self.content, compresslevel=9, mtime=0)


def npm_pack(spec: str, into: Path) -> Path:
    """Download ``spec`` (``name@version``) as a tarball with npm; return its path."""
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        cwd=into,
        check=True,
        capture_output=True,
        text=True,
    )
    return into / json.loads(result.stdout)[0]["filename"]


def read_member(tarball: Path, wanted: str) -> bytes:
    """The bytes of ``package/<wanted>`` in an npm tarball, read without extracting."""
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.getmember(f"package/{wanted}")
        handle = archive.extractfile(member)
        if handle is None:
            raise SystemExit(f"{tarball.name}: package/{wanted} is not a regular file")
        return handle.read()


def read_licence(tarball: Path) -> bytes:
    """The package's top-level licence file (``LICENSE``, ``LICENSE.md``, ``license``...)."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            folder, _, name = member.name.partition("/")
            if folder == "package" and name.lower().startswith(("license", "licence")):
                handle = archive.extractfile(member)
                if handle is not None:
                    return handle.read()
    raise SystemExit(f"{tarball.name} has no LICENSE file: it cannot be vendored")


def fetch_all(workdir: Path) -> list[Fetched]:
    """Fetch every pinned package once and read its files and licence."""
    tarballs: dict[str, Path] = {}
    fetched = []
    for file in VENDORED:
        spec = f"{file.package}@{file.version}"
        if spec not in tarballs:
            tarballs[spec] = npm_pack(spec, workdir)
        tarball = tarballs[spec]
        content = read_member(tarball, file.path_in_package)
        fetched.append(Fetched(file, content, read_licence(tarball)))
    return fetched


def report(fetched: list[Fetched]) -> None:
    """Print what was vendored: names, versions, sizes and sha256 of the uncompressed files."""
    total = 0
    for item in fetched:
        size = len(item.gzipped())
        total += size
        print(
            f"{item.file.served_name:38} {item.file.package}@{item.file.version:8} "
            f"{len(item.content):>9,} B  {size:>9,} B gz  sha256 {item.sha256}"
        )
    print(f"{'total gzipped':38} {'':24} {'':11}  {total:>9,} B gz")


def mismatches(fetched: list[Fetched]) -> list[str]:
    """Files whose registry content no longer matches the pinned sha256."""
    return [
        f"{f.file.served_name}: pinned {f.file.sha256}, registry {f.sha256}"
        for f in fetched
        if f.sha256 != f.file.sha256
    ]


def stored_differences(fetched: list[Fetched]) -> list[str]:
    """Files in ``assets/`` that differ from what the registry gave (or are missing)."""
    problems = []
    for item in fetched:
        stored, licence = item.file.stored, item.file.licence
        if not stored.exists() or gzip.decompress(stored.read_bytes()) != item.content:
            problems.append(f"{stored.name} differs from {item.file.package}@{item.file.version}")
        if not licence.exists() or licence.read_bytes() != item.licence:
            problems.append(f"{licence.name} differs from the package's licence")
    return problems


def write(fetched: list[Fetched]) -> None:
    """Replace ``assets/`` with the fetched files (and drop files no longer pinned)."""
    ASSETS_DIR.mkdir(exist_ok=True)
    keep = {f.file.stored for f in fetched} | {f.file.licence for f in fetched}
    for old in [*ASSETS_DIR.glob("*.gz"), *ASSETS_DIR.glob("LICENSE.*")]:
        if old not in keep:
            old.unlink()
    for item in fetched:
        item.file.stored.write_bytes(item.gzipped())
        item.file.licence.write_bytes(item.licence)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with assets/; write nothing")
    mode.add_argument("--repin", action="store_true", help="write even if a sha256 pin differs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="graphiql-vendor-") as workdir:
        fetched = fetch_all(Path(workdir))
    report(fetched)
    wrong = mismatches(fetched)
    if wrong and not args.repin:
        print(
            "sha256 pins do not match (update VENDORED with --repin if intended):",
            *wrong,
            sep="\n  ",
            file=sys.stderr,
        )
        return 1
    if args.check:
        problems = stored_differences(fetched)
        for problem in problems:
            print(problem, file=sys.stderr)
        print("assets/ matches the registry" if not problems else "assets/ is out of date")
        return 1 if problems else 0
    write(fetched)
    print(f"wrote {len(fetched)} files and their licences to {ASSETS_DIR}")
    if wrong:
        print("paste these sha256 pins into VENDORED:", *wrong, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
