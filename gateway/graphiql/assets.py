"""GraphiQL's browser build, vendored into the package so that the IDE works offline.

The files in ``assets/`` are npm packages' published browser builds, unmodified but gzipped
(``<served name>.gz``), each with its package's licence beside it (``LICENSE.<package>``).
:data:`VENDORED` pins them: the package and version they come from, the path inside the npm
tarball, and the sha256 of the *uncompressed* file, the contract a review can check against the
registry (``python -m gateway.graphiql.vendor --check`` does). Served names carry the version,
so browsers may cache them for a year and an upgrade still reaches them under a new name.

Our own page script and stylesheet live in ``static/`` and are served under a name that
carries a hash of their content, for the same reason.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
STATIC_DIR = Path(__file__).resolve().parent / "static"

JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class VendoredFile:
    """One browser file taken from an npm package tarball."""

    package: str
    version: str
    path_in_package: str  # inside the tarball's ``package/`` folder
    served_name: str  # the URL's last segment; stored as ``assets/<served_name>.gz``
    sha256: str  # of the uncompressed file, as published
    content_type: str

    @property
    def stored(self) -> Path:
        return ASSETS_DIR / f"{self.served_name}.gz"

    @property
    def licence(self) -> Path:
        return ASSETS_DIR / f"LICENSE.{self.package}"


VENDORED: tuple[VendoredFile, ...] = (
    VendoredFile(
        "react",
        "18.3.1",
        "umd/react.production.min.js",
        "react-18.3.1.production.min.js",
        "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd",
        JAVASCRIPT,
    ),
    VendoredFile(
        "react-dom",
        "18.3.1",
        "umd/react-dom.production.min.js",
        "react-dom-18.3.1.production.min.js",
        "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d",
        JAVASCRIPT,
    ),
    VendoredFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "graphiql-3.8.3.min.js",
        "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
        JAVASCRIPT,
    ),
    VendoredFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "graphiql-3.8.3.min.css",
        "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
        CSS,
    ),
)
"""Loaded in this order by the page: React, ReactDOM, then GraphiQL (which expects both as
``window.React``/``window.ReactDOM``). GraphiQL 3.x is the last line with such a standalone
build; its bundle includes the ``graphql-ws`` client, so subscriptions need no other file."""

OWN_FILES: dict[str, tuple[str, str]] = {
    "boot.js": ("quantvista-graphiql", JAVASCRIPT),
    "page.css": ("quantvista-graphiql", CSS),
}
"""Our files in ``static/``: file name -> (served name stem, content type)."""


@dataclass(frozen=True)
class Asset:
    """A file ready to serve: ``body`` as stored (gzip or plain) and what it is."""

    name: str
    content_type: str
    body: bytes
    gzipped: bool

    def plain(self) -> bytes:
        """The uncompressed bytes, for a client that does not accept gzip."""
        return gzip.decompress(self.body) if self.gzipped else self.body


@dataclass(frozen=True)
class Bundle:
    """Everything the page serves, and the order its HTML loads it in."""

    assets: dict[str, Asset]  # by served name
    scripts: tuple[str, ...]  # served names, in load order
    stylesheets: tuple[str, ...]


@cache
def load_bundle() -> Bundle:
    """Read every servable file once per process (about 1 MB, kept compressed)."""
    assets = [
        Asset(file.served_name, file.content_type, file.stored.read_bytes(), gzipped=True)
        for file in VENDORED
    ]
    for file_name, (stem, content_type) in OWN_FILES.items():
        body = (STATIC_DIR / file_name).read_bytes()
        suffix = file_name.rsplit(".", 1)[1]
        name = f"{stem}.{hashlib.sha256(body).hexdigest()[:12]}.{suffix}"
        assets.append(Asset(name, content_type, body, gzipped=False))
    return Bundle(
        assets={asset.name: asset for asset in assets},
        scripts=tuple(a.name for a in assets if a.content_type == JAVASCRIPT),
        stylesheets=tuple(a.name for a in assets if a.content_type == CSS),
    )
