"""Password hashing (argon2), signed expiring tokens (itsdangerous), secret masking, sanitising."""
from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

import nh3
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.config import get_settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenInvalid(Exception):
    """A signed link was forged, altered or used for another purpose."""


class TokenExpired(Exception):
    """A signed link was genuine but is too old."""


@lru_cache(maxsize=64)
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=purpose)


def serializer(purpose: str) -> URLSafeTimedSerializer:
    """The signer of one purpose (built once: session cookies are verified on every request)."""
    return _serializer(get_settings().secret_key, purpose)


def sign(purpose: str, data) -> str:
    """A URL-safe token for `data`, salted by purpose so a token for one use fails for another."""
    return serializer(purpose).dumps(data)


def unsign(purpose: str, token: str, max_age: int):
    try:
        return serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise TokenInvalid() from exc


def mask_secret(value: str | None) -> str:
    """Show only that a secret is set, and its last 2 characters."""
    if not value:
        return ""
    return "••••••" + value[-2:] if len(value) > 4 else "••••••"


ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "h2", "h3", "h4",
                "blockquote", "img", "table", "thead", "tbody", "tr", "th", "td", "span", "hr", "pre", "code"}


def sanitize_html(html: str) -> str:
    """Rich text from users: only safe tags/attributes survive (no script, no event handlers)."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "*": {"class"}},
                     url_schemes={"http", "https", "mailto"})
