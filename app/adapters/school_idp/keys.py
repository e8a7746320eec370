"""The OIDC signing key: RSA 2048, kept in DATA_DIR/idp/jwks_private.pem (0600) so restarts keep the same kid.
A second, never published key with the same kid exists only in memory: it signs the `bad_signature` fault."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from joserfc.jwk import RSAKey

FILE_NAME = "jwks_private.pem"


class SigningKeys:
    def __init__(self, key_dir: str | Path):
        path = Path(key_dir) / FILE_NAME
        if not path.exists():
            _create(path)
        self.key = RSAKey.import_key(path.read_bytes())
        self.kid = self.key.thumbprint()[:16]

    @property
    def impostor(self) -> RSAKey:
        return _impostor_key()

    def jwks(self) -> dict:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}


@lru_cache
def _impostor_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


def _create(path: Path) -> None:
    """Write a new key atomically: a whole file appears or none (two simulators starting at once agree)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(RSAKey.generate_key(2048, private=True).as_pem(private=True))
    try:
        os.link(tmp, path)  # fails when another process was first: its key wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
