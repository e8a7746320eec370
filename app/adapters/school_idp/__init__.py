"""The built-in school identity provider and the WeChat / real-name simulators (`python -m app idp`).

A small separate web app that speaks the real protocols, so development and the tests use them end to end:
the school's IdP (Apereo CAS 2.0/3.0 under /cas, OpenID Connect code flow with PKCE under /oidc and
/.well-known/openid-configuration), WeChat's web OAuth for official accounts (/connect/oauth2/authorize,
/sns/...), and a real-name / face verification HTTP API (/realname/v1/verify). Simulator-only controls live
under /_sim. See README.md beside this file. It imports app.core and app.config only.
"""
