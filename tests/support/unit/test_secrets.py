"""Secret references resolve only the variables meant as secrets."""

from __future__ import annotations

from bounded_contexts.support.adapters.secrets import EnvSecrets


def test_only_variables_named_as_secrets_resolve() -> None:
    secrets = EnvSecrets(
        {
            "QUANTVISTA_SECRET_ALICE_HOOK": "s3cret",
            "DATABASE_URL": "postgresql://admin:pw@db/quantvista",
            "QUANTVISTA_SECRET_EMPTY": "",
        }
    )
    assert secrets.resolve("env:QUANTVISTA_SECRET_ALICE_HOOK") == b"s3cret"
    assert secrets.resolve("env:DATABASE_URL") is None  # a setting is never a signing key
    assert secrets.resolve("env:QUANTVISTA_SECRET_EMPTY") is None
    assert secrets.resolve("env:QUANTVISTA_SECRET_MISSING") is None
    assert secrets.resolve("vault:QUANTVISTA_SECRET_ALICE_HOOK") is None  # unknown scheme
