"""Logging in with an SMS code, and binding a mobile number to one's account (SUP-02), on top of
sms_codes. The login finds the one active account whose mobile number it is, or creates one for the number
(alumni on a phone often have no password yet); it honours the login lockout of SUP-12 and counts wrong
codes as failed logins. A pending external identity (WeChat / SSO, signed by the binding page) can ride
along and is bound to the account once the code is confirmed."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from app.core import auth, db, phones
from app.core.audit import Actor
from app.core.auth import LoginRefused
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.security import TokenExpired, TokenInvalid
from app.identity import sms_codes
from app.identity.sms_codes import CodeRefused, SentCode
from app.support import users


def phone_form(data=None) -> Form:
    return Form([Field("phone", L("Mobile number"), "phone", required=True, max_length=20,
                       placeholder=L("11 digits, e.g. 138 0013 8000"))], data or {})


def code_form(data=None) -> Form:
    return Form([Field("phone", L("Mobile number"), "phone", required=True, max_length=20),
                 Field("code", L("Verification code"), required=True, max_length=10)], data or {})


@dataclass(frozen=True)
class SmsLogin:
    user_id: int
    username: str
    created: bool  # a new account was made for the number
    bind_error: str = ""  # the pending external identity could not be bound (the login itself went through)


class BindUnavailable(Invalid):
    """The hook that binds a pending external identity (app.identity.bindings.bind_pending) is missing."""


def bind_hook():
    """app.identity.bindings.bind_pending, looked up when needed (the binding module is another file's)."""
    try:
        bindings = importlib.import_module("app.identity.bindings")
    except ModuleNotFoundError as exc:
        if exc.name != "app.identity.bindings":
            raise
        bindings = None
    hook = getattr(bindings, "bind_pending", None)
    if hook is None:
        raise BindUnavailable("", _("Linking an external account is not available here. You can still log in"
                                    " with the code."))
    return hook


def bind_available() -> bool:
    try:
        bind_hook()
    except BindUnavailable:
        return False
    return True


async def send_login_code(phone: str, ip: str) -> SentCode:
    return await sms_codes.send_code(phone, "login", Actor(None, "anonymous", ip))


async def login(phone: str, code: str, ip: str, ua: str, *, bind_token: str = "") -> SmsLogin:
    """Raises Invalid / CodeRefused (wrong input or code) or LoginRefused (blocked, disabled)."""
    phone = phones.or_invalid(phone)
    accounts = await users.find_by_phone(phone)
    active = [a for a in accounts if a["is_active"]]
    # The login log and the lockout use the account's name when the number names one account, else the number.
    name = active[0]["username"] if len(active) == 1 else phone
    user_id = active[0]["id"] if len(active) == 1 else None
    await auth.check_not_blocked(ip, phone, ua)
    if name != phone:
        await auth.check_not_blocked(ip, name, ua)
    try:
        await sms_codes.verify_code(phone, "login", code)
    except CodeRefused as refused:
        if until := await auth.record_failure(name, user_id, ip, ua, f"sms_{refused.reason}"):
            raise LoginRefused("blocked", until) from refused
        raise
    if len(active) > 1:
        await auth.record_failure(name, None, ip, ua, "sms_ambiguous")
        raise Invalid("phone", _("Several accounts use this mobile number, so we cannot tell which one to log in"
                                 " to. Log in with your username and password instead."))
    created = False
    if accounts and not active:
        await auth.record_failure(accounts[0]["username"], accounts[0]["id"], ip, ua, "disabled")
        raise LoginRefused("disabled")
    if not accounts:
        user_id, created = await users.create_for_phone(phone, ip), True
        name = await db.fetchval("SELECT username FROM app_user WHERE id = $1", user_id)
    await auth.record_login(name, user_id, ip, ua, "sms")
    bind_error = await _bind(bind_token, user_id) if bind_token else ""
    return SmsLogin(user_id, name, created, bind_error)


async def _bind(token: str, user_id: int) -> str:
    """Bind the pending external identity; '' when done, else why not (the login stands either way)."""
    try:
        result = bind_hook()(token, user_id)
        if inspect.isawaitable(result):
            await result
    except Invalid as exc:
        return exc.message
    except Conflict as exc:
        return str(exc)
    except (TokenInvalid, TokenExpired):
        return _("The link to your external account has expired or is not valid. Start linking again.")
    return ""


# --- binding a mobile number to the logged-in account ----------------------------------------------------

async def _check_free(phone: str, user_id: int) -> None:
    others = [a for a in await users.find_by_phone(phone) if a["is_active"] and a["id"] != user_id]
    if others:
        raise Invalid("phone", _("This mobile number already belongs to another account. Log in to that account"
                                 " with an SMS code, or use another number."))


async def current_phone(user_id: int) -> str:
    return await db.fetchval("SELECT COALESCE(phone, '') FROM app_user WHERE id = $1", user_id)


async def send_bind_code(actor: Actor, phone: str) -> SentCode:
    phone = phones.or_invalid(phone)
    if phones.normalise(await current_phone(actor.id)) == phone:
        raise Invalid("phone", _("This is already your mobile number."))
    await _check_free(phone, actor.id)
    return await sms_codes.send_code(phone, "bind", actor, user_id=actor.id)


async def confirm_phone(actor: Actor, phone: str, code: str) -> str:
    """Set the account's mobile number once the code sent to it is confirmed; returns the number."""
    phone = phones.or_invalid(phone)
    await _check_free(phone, actor.id)
    await sms_codes.verify_code(phone, "bind", code, user_id=actor.id)
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('idn_phone:' || $1))", phone)
        await _check_free(phone, actor.id)  # another account may have taken it meanwhile
        await users.set_phone(actor, actor.id, phone)
    return phone
