"""``quantvista users`` and ``quantvista token`` as an operator runs them: grants, a token the
gateway's verifier accepts, refusals that say what is wrong, and every administration command
in the access log."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.identity import JwtAuthenticator, LocalKeyPair

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [QUANTVISTA, "--data-dir", str(data), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_users_are_granted_tokens_issued_and_every_command_recorded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = run(data, "users", "add", "alice", "--role", "trader", "--account", "ACC-1")
    assert added.returncode == 0, added.stderr[-2000:]
    assert "accounts:ACC-1#trader@alice" in added.stdout

    wizard = run(data, "users", "add", "bob", "--role", "wizard")
    said = " ".join((wizard.stdout + wizard.stderr).split())
    assert wizard.returncode == 2 and "unknown role 'wizard'" in said and "regulator" in said

    nobody = run(data, "token", "nobody")
    assert nobody.returncode == 2 and "no user 'nobody'" in nobody.stdout + nobody.stderr

    issued = run(data, "token", "alice", "--ttl", "1h")
    assert issued.returncode == 0, issued.stderr[-2000:]
    token = issued.stdout.strip().splitlines()[-1]
    verifier = JwtAuthenticator(
        LocalKeyPair(data / "identity"), issuer="quantvista-embedded", audience="quantvista-gateway"
    )
    identity = asyncio.run(verifier.authenticate({"authorization": f"Bearer {token}"}, {}))
    assert identity is not None and identity.subject == "alice"

    listed = run(data, "users", "list")
    assert listed.returncode == 0 and "alice" in listed.stdout and "ACC-1 (trader)" in listed.stdout

    log = run(data, "audit", "access", "--json")
    assert log.returncode == 0, log.stderr[-2000:]
    operator = f"os:{getpass.getuser()}"
    assert '"users.add"' in log.stdout and '"token.issue"' in log.stdout
    assert operator in log.stdout
    assert all(json.loads(line)["outcome"] == "ALLOWED" for line in log.stdout.splitlines())

    denied = run(data, "audit", "access", "--denied", "--json")
    assert denied.returncode == 0 and denied.stdout.strip() == "", denied.stdout
    bad = run(data, "audit", "access", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stdout, bad.stdout + bad.stderr[-2000:]
    assert "Traceback" not in bad.stderr
