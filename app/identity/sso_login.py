"""The one login flow every external login goes through (SUP-05, SUP-08): external subject → local user →
session. Its binding if there is one; else the provider's mapping rule (student/staff number, email), a
WeChat unionid known through another appid, or a new account where the provider auto-creates; else the
binding page, where the person links the subject to an account they prove they own: (a) its password,
(b) an SMS code (the SMS-code login calls bindings.bind_pending with the signed token), (c) a new account.

Every login honours app.core.auth: disabled accounts and login blocks are refused, successes and
failures go to the login log (reason = the provider kind, or why it failed), refusals to the audit log."""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from app.core import audit, auth, db, sessions
from app.core.audit import Actor
from app.core.auth import LoginRefused
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.identity import auth_states, bindings, cas, oidc, wechat
from app.identity.auth_states import AuthState
from app.identity.external import ExternalIdentity, LoginFailed
from app.identity.providers import Provider
from app.records import api as records_api
from app.support import users

# Refusals that say nothing about the person (a server down, a misconfiguration, a cancelled login, a link
# to an account that is taken): audited, but not counted as failed logins towards a block.
NOT_COUNTED = {"idp_unreachable", "oidc_discovery", "wechat_config", "oidc_denied", "wechat_denied",
               "already_linked"}


@dataclass
class Outcome:
    kind: str  # logged_in / pending (→ binding page) / linked (a logged-in user added a login) / redirect
    url: str = ""  # next page (logged_in, pending, linked) or the next redirect (redirect)
    cookie: str = ""  # the new session cookie (logged_in)
    pending: str = ""  # the signed pending identity (pending)
    state: str = ""  # the state the browser must hold for the next callback (redirect)
    user_id: int | None = None
    name: str = ""


def _state_refused() -> LoginFailed:
    return LoginFailed("state", _("This login has expired or was already used. Start again."))


def _disabled(user_id: int, username: str) -> LoginFailed:
    return LoginFailed("disabled", _("This account is disabled. Contact the alumni office."), user_id=user_id,
                       username=username)


async def refuse(provider: Provider, failed: LoginFailed, ip: str, ua: str) -> None:
    """A refused external login in the login log (when it counts) and, always, in the audit log."""
    username = (failed.username or f"{provider.code}:{failed.subject or '?'}")[:64]
    if failed.reason not in NOT_COUNTED and not failed.logged:
        await auth.record_failure(username, failed.user_id, ip, ua, failed.reason)
    await audit.record(Actor(None, "anonymous", ip), "login_refused", "idn_provider", provider.id,
                       summary=failed.reason, after={"provider": provider.code, "reason": failed.reason,
                                                     "subject": failed.subject, "user": failed.user_id,
                                                     "detail": failed.detail})


# --- leaving for the provider ---------------------------------------------------------------------------

async def start(provider: Provider, ip: str, ua: str, *, next_url: str = "",
                link_user_id: int | None = None) -> tuple[str, str]:
    """(URL to send the browser to, the state it must bring back). `link_user_id`: a logged-in user adds
    this provider as a way to log in instead of logging in with it. Raises LoginFailed, already recorded."""
    state = await auth_states.create(provider.id, next_url=next_url, purpose="bind" if link_user_id else "login",
                                     user_id=link_user_id, scope=wechat.BASE if provider.kind == "wechat" else "")
    try:
        if provider.kind == "cas":
            return cas.login_url(provider, state.state), state.state
        if provider.kind == "oidc":
            return await oidc.authorize_url(provider, state), state.state
        return wechat.authorize_url(provider, state.state, wechat.BASE), state.state
    except LoginFailed as failed:
        await refuse(provider, failed, ip, ua)
        raise


# --- coming back -----------------------------------------------------------------------------------------

async def _state(provider: Provider, params: dict, browser_state: str, current_user: int | None) -> AuthState:
    given = str(params.get("state") or "")
    # The state must be the one this browser was sent off with (a cookie), so nobody can hand a victim the
    # callback of their own login; and a "link" callback belongs to the user who started it.
    if not given or not hmac.compare_digest(given.encode(), (browser_state or "").encode()):
        await auth_states.consume(given, provider.id)  # spent either way
        raise _state_refused()
    state = await auth_states.consume(given, provider.id)
    if state is None or (state.purpose == "bind" and state.user_id != current_user):
        raise _state_refused()
    return state


async def finish_sso(provider: Provider, params: dict, ip: str, ua: str, *, browser_state: str = "",
                     current_user: int | None = None) -> Outcome:
    """The CAS (?ticket=) or OIDC (?code= / ?error=) callback. Raises LoginFailed, already recorded."""
    try:
        await _not_blocked(ip, "", ua)
        state = await _state(provider, params, browser_state, current_user)
        if provider.kind == "cas":
            ext = await cas.validate(provider, str(params.get("ticket") or ""), state.state)
        elif params.get("error"):
            raise oidc.error_from_callback(params)
        else:
            ext = await oidc.exchange(provider, state, str(params.get("code") or ""), params.get("iss"))
        return await _conclude(provider, ext, state, ip, ua)
    except LoginFailed as failed:
        await refuse(provider, failed, ip, ua)
        raise


async def finish_wechat(provider: Provider, params: dict, ip: str, ua: str, *, browser_state: str = "",
                        current_user: int | None = None) -> Outcome:
    """The WeChat callback. A silent snsapi_base round trip names the openid; an unknown openid is sent
    once more with snsapi_userinfo (when the provider asks for it) for the nickname and unionid."""
    try:
        await _not_blocked(ip, "", ua)
        state = await _state(provider, params, browser_state, current_user)
        if not params.get("code"):
            raise LoginFailed("wechat_denied", _("The WeChat login was not allowed. Start again if you want to "
                                                 "log in."))
        token = await wechat.exchange(provider, str(params["code"]))
        ext = ExternalIdentity(provider.id, token.openid, unionid=token.unionid)
        known = await bindings.by_subject(provider.id, token.openid) or await bindings.by_unionid(token.unionid)
        if known is None and state.scope == wechat.BASE and provider.wants_userinfo:
            again = await auth_states.create(provider.id, next_url=state.next_url, purpose=state.purpose,
                                             user_id=state.user_id, scope=wechat.USERINFO)
            return Outcome("redirect", url=wechat.authorize_url(provider, again.state, wechat.USERINFO),
                           state=again.state)
        if known is None and state.scope == wechat.USERINFO:
            info = await wechat.userinfo(provider, token)
            ext.display_name = str(info.get("nickname") or "")
            ext.unionid = str(info.get("unionid") or token.unionid)
            ext.attributes = {k: info[k] for k in ("nickname", "headimgurl", "sex", "province", "city", "country")
                              if k in info}
        return await _conclude(provider, ext, state, ip, ua)
    except LoginFailed as failed:
        await refuse(provider, failed, ip, ua)
        raise


async def _not_blocked(ip: str, username: str, ua: str, user_id: int | None = None) -> None:
    try:
        await auth.check_not_blocked(ip, username, ua)
    except LoginRefused as refused:
        raise LoginFailed("blocked", _("Too many failed attempts. Login is blocked for about %(minutes)s minutes.",
                                       minutes=refused.minutes_left), user_id=user_id, username=username,
                          logged=True) from None


async def _conclude(provider: Provider, ext: ExternalIdentity, state: AuthState, ip: str, ua: str) -> Outcome:
    if state.purpose == "bind":
        return await _link_logged_in(provider, ext, state, ip)
    found = await _resolve(provider, ext, ip, ua)
    if found is None:
        return Outcome("pending", url=state.next_url, pending=ext.to_token(state.next_url))
    return await _log_in(provider, found[0], ext, found[1], state.next_url, ip, ua)


async def _by_number(number: str) -> int | None:
    user_id = await db.fetchval("SELECT id FROM app_user WHERE lower(username) = lower($1)", number)
    return user_id or await records_api.user_for_student_no(number)


async def _resolve(provider: Provider, ext: ExternalIdentity, ip: str, ua: str) -> tuple[int, int] | None:
    """(user id, binding id) for the subject, binding it now if a rule finds its user; None: not known."""
    if known := await bindings.by_subject(provider.id, ext.subject):
        return known["user_id"], known["id"]
    user_id, how = None, ""
    if ext.unionid and (twin := await bindings.by_unionid(ext.unionid)):
        user_id, how = twin["user_id"], "unionid"  # the same WeChat person, known through another appid
    elif provider.mapping == "number" and ext.number:
        user_id, how = await _by_number(ext.number), "number"
    elif provider.mapping == "email" and ext.email:
        user_id, how = await db.fetchval("SELECT id FROM app_user WHERE lower(email) = lower($1)", ext.email), "email"
    if user_id is None and provider.auto_create:
        username = ext.number or str(ext.attributes.get("preferred_username") or "") or f"{provider.code}_{ext.subject}"
        user_id = await users.create_external_account(username=username, name=ext.display_name, email=ext.email,
                                                      ip=ip, source=provider.code, pick_free=True)
        how = "created"
    if user_id is None:
        return None
    row = await db.fetchrow("SELECT username, is_active FROM app_user WHERE id = $1", user_id)
    if not row["is_active"]:
        raise _disabled(user_id, row["username"])
    await _not_blocked(ip, row["username"], ua, user_id)  # before anything is written for this login
    try:
        binding_id = await bindings.create(Actor(user_id, row["username"], ip), ext, user_id, how)
    except Conflict as exc:
        raise LoginFailed("already_linked", str(exc), subject=ext.subject, user_id=user_id,
                          username=row["username"]) from None
    return user_id, binding_id


async def _log_in(provider: Provider, user_id: int, ext: ExternalIdentity, binding_id: int | None, next_url: str,
                  ip: str, ua: str) -> Outcome:
    row = await db.fetchrow("SELECT username, name, is_active FROM app_user WHERE id = $1", user_id)
    if not row["is_active"]:
        raise _disabled(user_id, row["username"])
    await _not_blocked(ip, row["username"], ua, user_id)
    if binding_id:
        await bindings.touch(binding_id, ext)
    await auth.record_login(row["username"], user_id, ip, ua, provider.kind)
    cookie = await sessions.create(user_id, ip, ua)
    return Outcome("logged_in", url=next_url, cookie=cookie, user_id=user_id, name=row["name"] or row["username"])


async def _link_logged_in(provider: Provider, ext: ExternalIdentity, state: AuthState, ip: str) -> Outcome:
    """A logged-in user came back from the provider to add it as a way to log in."""
    username = await db.fetchval("SELECT username FROM app_user WHERE id = $1", state.user_id)
    try:
        await bindings.create(Actor(state.user_id, username or "", ip), ext, state.user_id, "manual")
    except Conflict as exc:
        raise LoginFailed("already_linked", str(exc), subject=ext.subject, user_id=state.user_id,
                          username=username or "") from None
    return Outcome("linked", url=state.next_url, user_id=state.user_id)


# --- the binding page ------------------------------------------------------------------------------------

@dataclass
class Pending:
    ext: ExternalIdentity
    provider: Provider
    next_url: str

    def prefill(self) -> dict:
        """The registration form as the provider describes the person."""
        username = self.ext.number or str(self.ext.attributes.get("preferred_username") or "")
        return {"username": username, "name": self.ext.display_name, "email": self.ext.email}


async def pending(token: str) -> Pending:
    """The identity waiting on the binding page; TokenInvalid / TokenExpired when there is none."""
    return Pending(*await bindings.pending_identity(token))


async def _bind_and_log_in(found: Pending, user_id: int, how: str, ip: str, ua: str, *,
                           record: bool = True) -> Outcome:
    username = await db.fetchval("SELECT username FROM app_user WHERE id = $1", user_id)
    try:
        binding_id = await bindings.create(Actor(user_id, username, ip), found.ext, user_id, how)
    except Conflict as exc:
        raise Invalid("", str(exc)) from None
    if record:
        return await _log_in(found.provider, user_id, found.ext, binding_id, found.next_url, ip, ua)
    await bindings.touch(binding_id, found.ext)
    return Outcome("logged_in", url=found.next_url, cookie=await sessions.create(user_id, ip, ua), user_id=user_id,
                   name=username)


async def link_with_password(token: str, username: str, password: str, ip: str, ua: str) -> Outcome:
    """(a) The person proves an existing account with its password — through app.core.auth.authenticate,
    so the lockout and the login log apply. Raises LoginRefused, Invalid, TokenInvalid / TokenExpired."""
    found = await pending(token)
    user_id = await auth.authenticate(username, password, ip, ua)  # logs the successful password login
    return await _bind_and_log_in(found, user_id, "password", ip, ua, record=False)


async def link_by_register(token: str, *, username: str, name: str, email: str | None, ip: str,
                           ua: str) -> Outcome:
    """(c) A new account, prefilled from the provider, bound at once; no password (this login is the way in)."""
    found = await pending(token)
    async with db.transaction():
        user_id = await users.create_external_account(username=username, name=name, email=email, ip=ip,
                                                      source=found.provider.code)
        return await _bind_and_log_in(found, user_id, "created", ip, ua)
