"""Several ways in, one answer: the first authenticator that finds credentials decides.

"Finds credentials" matters: an adapter that finds *bad* credentials raises, and the chain does
not go on to the next — a request with a forged bearer token and a valid session cookie is
refused, not quietly let in as the cookie's owner (no downgrade to a weaker proof, no
confusion about who acted). Only a request none of them finds anything in is anonymous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gateway.identity.model import Authenticator, Identity


class ChainAuthenticator:
    def __init__(self, authenticators: Iterable[Authenticator]) -> None:
        self.authenticators = tuple(authenticators)
        if not self.authenticators:
            raise ValueError("a chain needs at least one authenticator")

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        for authenticator in self.authenticators:
            identity = await authenticator.authenticate(headers, cookies)
            if identity is not None:
                return identity
        return None
