"""Secret references for webhook signatures and SMTP passwords.

Secrets never enter the event log: a preference names a secret by reference and the
delivery component resolves it when it needs it. ``env:NAME`` reads the environment
variable ``NAME`` of the delivery process (in Kubernetes, a ``Secret`` mounted as env) —
only variables whose name starts with :data:`SECRET_PREFIX`, so that a reference can never
make the platform sign with, and so expose a digest of, one of its own settings
(``DATABASE_URL``, a cloud credential).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SECRET_PREFIX = "QUANTVISTA_SECRET_"


class EnvSecrets:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def resolve(self, reference: str) -> bytes | None:
        scheme, _, name = reference.partition(":")
        if scheme != "env" or not name.startswith(SECRET_PREFIX):
            return None
        value = self._environ.get(name)
        return None if not value else value.encode()
