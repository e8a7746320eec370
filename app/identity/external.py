"""What every external login hands to the one login flow (app.identity.sso_login): who the school CAS, the
OIDC server or WeChat says this is, and the refusal raised when their answer cannot be trusted."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.core.security import TokenInvalid, sign, unsign

PENDING_PURPOSE = "idn-pending"
PENDING_MAX_AGE = 600  # the binding page must be finished within 10 minutes of the callback
PENDING_COOKIE = "tc_idn_pending"  # the signed pending identity, between the callback and the binding page
STATE_COOKIE = "tc_idn_state"  # the state of the login this browser started (RFC 6749 §10.12)


class LoginFailed(Exception):
    """An external login refused: `reason` goes to the login log (≤ 40 characters), `message` to the user
    (already translated), `detail` (the server's own words, an error code) to the audit log only."""

    def __init__(self, reason: str, message: str, detail: str = "", subject: str = "", *, user_id: int | None = None,
                 username: str = "", logged: bool = False):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.message = message
        self.detail = detail
        self.subject = subject
        self.user_id = user_id  # the local account, when the refusal is about it (disabled, blocked)
        self.username = username
        self.logged = logged  # already in the login log (a block found by app.core.auth)


@dataclass
class ExternalIdentity:
    """One external subject as its provider describes it."""
    provider_id: int
    subject: str  # CAS user / OIDC sub / WeChat openid
    display_name: str = ""
    unionid: str = ""
    email: str = ""
    number: str = ""  # student or staff number, for the "number" mapping rule
    attributes: dict = field(default_factory=dict)

    def to_token(self, next_url: str = "") -> str:
        """A signed, short-lived copy for the binding page: what the browser sends back is never trusted."""
        return sign(PENDING_PURPOSE, {"ext": asdict(self), "next": next_url})

    @classmethod
    def from_token(cls, token: str) -> tuple[ExternalIdentity, str]:
        """(identity, next URL); raises TokenInvalid (forged, altered) or TokenExpired."""
        data = unsign(PENDING_PURPOSE, token or "", PENDING_MAX_AGE)
        try:
            ext = data["ext"]
            return cls(**{k: ext[k] for k in ("provider_id", "subject", "display_name", "unionid", "email",
                                             "number", "attributes")}), str(data.get("next") or "")
        except (KeyError, TypeError):
            raise TokenInvalid() from None
