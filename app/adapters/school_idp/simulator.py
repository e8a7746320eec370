"""One simulator instance per process: configuration, directory, signing keys, every in-memory store, and
the IdP single sign-on session shared by CAS and OIDC."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from litestar import Request, Response

from app.adapters.school_idp.config import IdpConfig
from app.adapters.school_idp.keys import SigningKeys
from app.adapters.school_idp.state import Directory, Person, Store

SSO_COOKIE = "tc_idp_tgc"  # cookies ignore ports: names must not clash with the app's on 127.0.0.1
SSO_SECONDS = 8 * 3600
OIDC_FAULTS = ("wrong_nonce", "wrong_issuer", "wrong_audience", "bad_signature", "expired")


@dataclass
class RealnameCounters:
    daily_limit: int
    calls: int = 0
    today: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> app -> billable answers
    answers: dict[tuple[str, str], dict] = field(default_factory=dict)  # (app, request_id) -> first answer

    def day(self) -> dict[str, int]:
        return self.today.setdefault(time.strftime("%Y-%m-%d"), {})


class Simulator:
    def __init__(self, config: IdpConfig):
        self.config = config
        self.directory = Directory(config.directory_file)
        self.keys = SigningKeys(config.key_dir)
        self.sessions = Store("TGC-")
        self.cas_tickets = Store("ST-")
        self.oidc_requests = Store()
        self.oidc_codes = Store()
        self.oidc_tokens = Store()
        self.wechat_codes = Store()
        self.wechat_tokens = Store()
        self.wechat_refresh = Store()
        self.faults: dict[str, str] = {"oidc": ""}
        self.realname = RealnameCounters(daily_limit=config.realname_daily)

    def stores(self) -> list[Store]:
        return [self.cas_tickets, self.oidc_requests, self.oidc_codes, self.oidc_tokens, self.wechat_codes,
                self.wechat_tokens, self.wechat_refresh]

    # --- the IdP session (TGC) ---
    def signed_in(self, request: Request) -> tuple[Person, dict] | None:
        status, session = self.sessions.peek(request.cookies.get(SSO_COOKIE, ""))
        person = self.directory.get(session["username"]) if status == "ok" and session else None
        return (person, session) if person else None

    def sign_in(self, response: Response, person: Person) -> dict:
        session = {"username": person.username, "auth_time": int(time.time())}
        key = self.sessions.issue(session, SSO_SECONDS)
        response.set_cookie(SSO_COOKIE, key, path="/", httponly=True, samesite="lax", max_age=SSO_SECONDS)
        return session

    def sign_out(self, request: Request, response: Response) -> None:
        self.sessions.drop(request.cookies.get(SSO_COOKIE, ""))
        response.delete_cookie(SSO_COOKIE, path="/")


def sim(request: Request) -> Simulator:
    return request.app.state.sim
