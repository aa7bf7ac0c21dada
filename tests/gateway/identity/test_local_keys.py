"""The embedded provider's key directory: made on first use with private files, rotated
without invalidating tokens already issued, re-read when another process rotates, and refused
when its files are readable by others."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from gateway.identity import (
    InsecureKeyFile,
    JwtAuthenticator,
    KeyDirectoryError,
    LocalKeyPair,
    issue_token,
)
from gateway.identity.jwk import thumbprint
from tests.gateway.identity.kit import NOW, Clock, authenticate, bearer

ISSUER, AUDIENCE = "quantvista-embedded", "quantvista-gateway"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def verifier(keys: LocalKeyPair) -> JwtAuthenticator:
    return JwtAuthenticator(keys, issuer=ISSUER, audience=AUDIENCE, clock=Clock())


def token(keys: LocalKeyPair, subject: str = "alice") -> str:
    return issue_token(keys, subject, ttl_s=600, clock=lambda: NOW)


def test_first_use_makes_one_private_key_named_by_its_thumbprint(tmp_path: Path) -> None:
    directory = tmp_path / "identity"
    keys = LocalKeyPair(directory)
    kid, private_key = keys.signing_key()
    assert kid == thumbprint(private_key.public_key())
    visible = {p.name for p in directory.iterdir() if not p.name.startswith(".")}
    assert visible == {f"{kid}.pem", "current"}
    assert mode(directory / f"{kid}.pem") == 0o600
    assert mode(directory) == 0o700
    assert (directory / "current").read_text() == f"{kid}\n"
    assert private_key.key_size == 2048


def test_another_instance_on_the_same_directory_uses_the_same_key(tmp_path: Path) -> None:
    first = LocalKeyPair(tmp_path)
    second = LocalKeyPair(tmp_path)
    assert first.signing_key()[0] == second.signing_key()[0]
    assert authenticate(verifier(second), bearer(token(first))) is not None


def test_instances_starting_together_make_exactly_one_key(tmp_path: Path) -> None:
    instances = [LocalKeyPair(tmp_path) for _ in range(4)]
    threads = [threading.Thread(target=instance.ring) for instance in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(list(tmp_path.glob("*.pem"))) == 1
    assert len({instance.signing_key()[0] for instance in instances}) == 1


def test_rotation_keeps_tokens_issued_before_it_valid(tmp_path: Path) -> None:
    keys = LocalKeyPair(tmp_path)
    old_kid = keys.signing_key()[0]
    before = token(keys)
    new_kid = keys.rotate()
    after = token(keys, "bob")
    assert new_kid != old_kid and keys.signing_key()[0] == new_kid
    assert list(keys.public_keys()) == [new_kid, old_kid]  # current first
    check = verifier(keys)
    assert authenticate(check, bearer(before)).subject == "alice"  # type: ignore[union-attr]
    assert authenticate(check, bearer(after)).subject == "bob"  # type: ignore[union-attr]
    assert mode(tmp_path / f"{new_kid}.pem") == 0o600


def test_a_rotation_by_another_process_is_picked_up_on_the_first_token_it_signs(
    tmp_path: Path,
) -> None:
    gateway_keys = LocalKeyPair(tmp_path)
    check = verifier(gateway_keys)
    assert authenticate(check, bearer(token(gateway_keys))) is not None
    cli_keys = LocalKeyPair(tmp_path)  # e.g. ``quantvista token`` after a rotation
    cli_keys.rotate()
    assert authenticate(check, bearer(token(cli_keys, "carol"))).subject == "carol"  # type: ignore[union-attr]


def test_a_refresh_with_nothing_changed_reads_no_key_again(tmp_path: Path) -> None:
    keys = LocalKeyPair(tmp_path)
    ring = keys.ring()
    keys.refresh()
    keys.refresh()
    assert keys.ring() is ring


def test_a_retired_key_no_longer_verifies_and_the_current_one_cannot_be_retired(
    tmp_path: Path,
) -> None:
    keys = LocalKeyPair(tmp_path)
    old_kid = keys.signing_key()[0]
    before = token(keys)
    new_kid = keys.rotate()
    with pytest.raises(ValueError, match="current signing key"):
        keys.retire(new_kid)
    keys.retire(old_kid)
    assert list(keys.public_keys()) == [new_kid]
    with pytest.raises(Exception, match="invalid or expired") as failure:
        authenticate(verifier(keys), bearer(before))
    assert "unknown kid" in failure.value.reason  # type: ignore[attr-defined]


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    kid = LocalKeyPair(tmp_path).signing_key()[0]
    os.chmod(tmp_path / f"{kid}.pem", 0o644)
    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        LocalKeyPair(tmp_path).ring()


def test_current_naming_a_missing_key_is_refused(tmp_path: Path) -> None:
    LocalKeyPair(tmp_path).ring()
    (tmp_path / "current").write_text("no-such-kid\n")
    with pytest.raises(KeyDirectoryError, match="no-such-kid"):
        LocalKeyPair(tmp_path).ring()


def test_a_renamed_key_file_is_refused(tmp_path: Path) -> None:
    kid = LocalKeyPair(tmp_path).signing_key()[0]
    (tmp_path / f"{kid}.pem").rename(tmp_path / "other.pem")
    (tmp_path / "current").write_text(f"{kid}\n")
    with pytest.raises(KeyDirectoryError, match="its file must be"):
        LocalKeyPair(tmp_path).ring()


def test_a_key_smaller_than_2048_bits_cannot_be_asked_for(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2048"):
        LocalKeyPair(tmp_path, key_size=1024)
