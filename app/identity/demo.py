"""Demo data of the identity module (idempotent): the three login providers of the built-in school IdP
(CAS, OIDC, WeChat; providers.ensure_builtin) and the verification funnel (demo_claims.seed)."""
from __future__ import annotations


async def seed_demo() -> None:
    from app.identity import demo_claims, providers

    await providers.ensure_builtin()
    await demo_claims.seed()
