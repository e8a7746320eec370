"""Cash payment adapter (MALL-06). The interface is what a real provider (WeChat Pay, Alipay) needs:
`start` returns the URL the buyer is sent to, `verify_callback` checks the provider's signed
notification and returns what was paid. LocalPayment is the built-in provider for development and
demos: its own pay pages (app/mall/routes/h5/pay.py for shop orders, app/ops/routes/h5/pay.py for event tickets)
post back a callback signed with the site secret. `kind` names what is paid for ("mall" orders, "ops"
registrations), so a callback for one can never settle the other."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.core.security import sign, unsign

CALLBACK_PURPOSE = "mall.pay.callback"
CALLBACK_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Paid:
    order_id: int
    amount: int  # fen
    provider_ref: str
    kind: str = "mall"


@dataclass(frozen=True)
class Refunded:
    provider_ref: str
    amount: int  # fen


class LocalPayment:
    name = "local"

    def start(self, order_id: int, amount: int, kind: str = "mall") -> str:
        """Where to send the buyer: the local pay page."""
        return f"/pay/local/{order_id}" if kind == "mall" else f"/pay/local/{kind}/{order_id}"

    def callback_token(self, order_id: int, amount: int, kind: str = "mall") -> str:
        """What the local "provider" signs when the buyer presses Pay (a real one signs with its key)."""
        return sign(CALLBACK_PURPOSE, {"order": order_id, "amount": amount, "kind": kind,
                                       "ref": "LP" + secrets.token_hex(8)})

    def verify_callback(self, token: str) -> Paid:
        """Raises security.TokenInvalid / TokenExpired for forged or stale callbacks."""
        data = unsign(CALLBACK_PURPOSE, token, max_age=CALLBACK_MAX_AGE)
        return Paid(int(data["order"]), int(data["amount"]), str(data["ref"]), str(data.get("kind") or "mall"))

    def refund(self, provider_ref: str, amount: int) -> Refunded:
        """Give the money of one payment back (a real provider calls its refund API keyed on provider_ref, so a
        repeated call refunds once)."""
        return Refunded("LR" + provider_ref.removeprefix("LP"), amount)


def provider() -> LocalPayment:
    return LocalPayment()
