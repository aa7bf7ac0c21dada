"""The embedded identity provider's signing keys, kept in a directory (the data directory's
``identity/``): a :class:`KeySource` for the gateway and the signer for ``issue_token``.

Layout: one PKCS#8 PEM file per key, ``<kid>.pem``, mode 0600 (written so from creation, never
chmod-ed afterwards, so there is no moment at which another user could read it), and a file
``current`` naming the key that signs. The ``kid`` is the key's RFC 7638 thumbprint. The
directory is created 0700.

* First use generates a key (RSA-2048, for RS256 — see :mod:`gateway.identity.embedded` for
  why) if the directory has none; processes that start together (``serve gateway --workers
  N``) serialise on an advisory lock file, so exactly one key is made.
* :meth:`LocalKeyPair.rotate` makes a new current key and keeps the previous ones, so a token
  signed before the rotation verifies until it expires; :meth:`LocalKeyPair.retire` deletes an
  old key once no unexpired token can name it.
* :meth:`LocalKeyPair.refresh` (called by the verifier on an unknown ``kid``) re-reads the
  directory, so a rotation made by another process (the CLI) is picked up at once; it parses
  only files that changed, and costs one ``stat`` when nothing did — a flood of tokens with
  made-up kids cannot make it re-parse keys.
* A key file readable by group or others is refused (:class:`InsecureKeyFile`), as ssh does:
  a signing key others can read signs for anyone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from gateway.identity.jwk import thumbprint
from gateway.identity.jws import MIN_RSA_BITS
from gateway.identity.model import PublicKey

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
CURRENT_FILE = "current"
LOCK_FILE = ".lock"
KEY_SUFFIX = ".pem"


class InsecureKeyFile(PermissionError):
    """A private key file that group or others may read (or that is not a regular file)."""


class KeyDirectoryError(ValueError):
    """The key directory is inconsistent (``current`` names no key, a file is not a key…)."""


@dataclass(frozen=True)
class _KeyFile:
    """A parsed key file and the ``stat`` identity it was parsed at (to skip re-parsing)."""

    signature: tuple[int, int, int]
    kid: str
    private: RSAPrivateKey


@dataclass(frozen=True)
class KeyRing:
    """One consistent snapshot of the directory: the signing key and every verification key."""

    current: str
    private: dict[str, RSAPrivateKey]
    public: dict[str, PublicKey]


def _stat_signature(status: os.stat_result) -> tuple[int, int, int]:
    return (status.st_ino, status.st_size, status.st_mtime_ns)


class LocalKeyPair:
    """RS256 signing keys under ``directory``; generated on first use."""

    def __init__(self, directory: Path | str, *, key_size: int = 2048) -> None:
        if key_size < MIN_RSA_BITS:
            raise ValueError(f"key_size must be at least {MIN_RSA_BITS}, got {key_size}")
        self.directory = Path(directory)
        self.key_size = key_size
        self._ring: KeyRing | None = None
        self._files: dict[str, _KeyFile] = {}
        self._seen: tuple[object, ...] | None = None
        self._lock = threading.Lock()

    # -- KeySource ---------------------------------------------------------------------------

    def key(self, kid: str) -> PublicKey | None:
        return self.ring().public.get(kid)

    def refresh(self) -> None:
        """Re-read the directory if it changed since the last read (one ``stat`` otherwise)."""
        with self._lock:
            if self._ring is None or self._fingerprint() != self._seen:
                self._ring = self._read_or_create()

    # -- the provider's side -----------------------------------------------------------------

    def ring(self) -> KeyRing:
        """The current snapshot, loading (or generating) it on first use."""
        ring = self._ring
        if ring is None:
            with self._lock:
                if self._ring is None:
                    self._ring = self._read_or_create()
                ring = self._ring
        return ring

    def signing_key(self) -> tuple[str, RSAPrivateKey]:
        """``(kid, private key)`` of the key that signs new tokens."""
        ring = self.ring()
        return ring.current, ring.private[ring.current]

    def public_keys(self) -> dict[str, PublicKey]:
        """Every verification key by ``kid``, the current one first."""
        return dict(self.ring().public)

    def rotate(self) -> str:
        """Make a new signing key, keep the previous ones for verification; return its kid."""
        with self._lock, self._directory_lock():
            self._read()  # refuses to add to a directory it could not read
            kid = self._write_new_key()
            self._ring = self._read_or_create()
        log.info("identity: rotated the signing key; %s now signs", kid)
        return kid

    def retire(self, kid: str) -> None:
        """Delete a previous key: tokens it signed stop verifying. The current key cannot be."""
        with self._lock, self._directory_lock():
            ring = self._read()
            if ring is None or kid not in ring.private:
                raise KeyError(f"no key {kid!r} in {self.directory}")
            if kid == ring.current:
                raise ValueError(f"{kid} is the current signing key; rotate first")
            (self.directory / f"{kid}{KEY_SUFFIX}").unlink()
            self._ring = self._read_or_create()
        log.info("identity: retired signing key %s", kid)

    # -- files -------------------------------------------------------------------------------

    def _fingerprint(self) -> tuple[object, ...]:
        """What changes when a key is added, removed or replaced, or ``current`` moves."""
        try:
            directory = self.directory.stat()
            current = (self.directory / CURRENT_FILE).stat()
        except FileNotFoundError:
            return ()
        return (_stat_signature(directory), _stat_signature(current))

    @contextlib.contextmanager
    def _directory_lock(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _read_or_create(self) -> KeyRing:
        ring = self._read()
        if ring is not None:
            return ring
        with self._directory_lock():
            ring = self._read()  # another process may have made one while we waited
            if ring is None:
                kid = self._write_new_key()
                log.info("identity: generated the first signing key %s in %s", kid, self.directory)
                ring = self._read()
        if ring is None:
            raise KeyDirectoryError(f"no signing key could be made in {self.directory}")
        return ring

    def _read(self) -> KeyRing | None:
        """A snapshot of the directory, or ``None`` when it holds no key yet.

        ``current`` is read before the key files are listed: a writer adds the key file before
        it moves ``current`` to it, so the named key is then always listed. A rotation and a
        retirement between the two reads could still make ``current`` name a key no longer
        there; the read is then tried once more before the directory is called inconsistent.
        """
        current = ""
        for _ in range(2):
            seen = self._fingerprint()
            if not seen:
                self._files, self._seen = {}, seen
                return None
            current = (self.directory / CURRENT_FILE).read_text(encoding="ascii").strip()
            files = {
                path.name: self._load(path)
                for path in sorted(self.directory.glob(f"*{KEY_SUFFIX}"))
            }
            private = {entry.kid: entry.private for entry in files.values()}
            if current in private:
                ordered = {current: private[current]} | private
                self._files, self._seen = files, seen
                return KeyRing(
                    current=current,
                    private=ordered,
                    public={kid: key.public_key() for kid, key in ordered.items()},
                )
        raise KeyDirectoryError(
            f"{self.directory / CURRENT_FILE} names {current!r}, which is not one of the keys "
            f"in {self.directory}"
        )

    def _load(self, path: Path) -> _KeyFile:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise InsecureKeyFile(f"{path} is not a regular file")
        if status.st_mode & 0o077:
            raise InsecureKeyFile(
                f"{path} is readable by others (mode {stat.S_IMODE(status.st_mode):o}); "
                f"a signing key must be 0600: chmod 600 {path}"
            )
        signature = _stat_signature(status)
        known = self._files.get(path.name)
        if known is not None and known.signature == signature:
            return known
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
            raise KeyDirectoryError(f"{path} is not an RSA key of at least {MIN_RSA_BITS} bits")
        kid = thumbprint(key.public_key())
        if path.stem != kid:
            raise KeyDirectoryError(f"{path} holds key {kid}; its file must be {kid}{KEY_SUFFIX}")
        return _KeyFile(signature=signature, kid=kid, private=key)

    def _write_new_key(self) -> str:
        key = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
        kid = thumbprint(key.public_key())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._write_atomically(self.directory / f"{kid}{KEY_SUFFIX}", pem)
        self._write_atomically(self.directory / CURRENT_FILE, f"{kid}\n".encode("ascii"))
        return kid

    def _write_atomically(self, path: Path, data: bytes) -> None:
        """Write to a new 0600 file beside ``path``, fsync, rename over ``path``, fsync the
        directory: a crash leaves the old file or the new one, never half of one."""
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
