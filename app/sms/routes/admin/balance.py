"""Balance pages (SMS-06): balance of every account in scope, top-up (permission), the ledger with
filters, monthly totals, and the low-balance alert threshold."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core import sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.sms import accounts, billing, labels, stats
from app.sms.routes.admin import account_or_404

GUARD = [requires("sms.balance.view")]
TOPUP = [requires("sms.balance.view", "sms.balance.topup")]
BASE = "/admin/sms/balance"


async def _page(request: Request, account: dict | None, errors: dict | None = None, data: dict | None = None,
                status: int = 200) -> Response:
    who = actor(request)
    params = request.query_params
    dates, date_errors = sqlfilter.dates(params, "from", "to")
    ledger = monthly = None
    if account:
        ledger = await stats.ledger(account["id"], kind=params.get("kind") or "", date_from=dates["from"],
                                    date_to=dates["to"], req=PageRequest.from_query(params))
        monthly = await billing.monthly_totals(account["id"])
    return await render(request, "sms/admin/balance.html", labels=labels, account=account,
                        balances=await stats.balances(who), ledger=ledger, monthly=monthly, kinds=stats.LEDGER_KINDS,
                        date_errors=date_errors, errors=errors or {}, data=data or {}, status=status, block="results")


@get(BASE, guards=GUARD)
async def balance_page(request: Request) -> Response:
    return await _page(request, await accounts.resolve(actor(request), request.query_params.get("account")))


@post(f"{BASE}/{{account_id:int}}/topup", guards=TOPUP)
async def topup(request: Request, account_id: int) -> Response:
    account = await account_or_404(request, account_id)
    data = await form_data(request)
    raw = str(data.get("amount") or "").strip()
    try:
        if not raw.isdigit() or not 0 < int(raw) <= 100_000_000:
            raise Invalid("amount", _("Enter a positive number of messages."))
        after = await billing.topup(account_id, int(raw), actor=actor(request), note=str(data.get("note") or "")[:300])
    except Invalid as exc:
        return await _page(request, account, {exc.field or "amount": exc.message}, data, 422)
    return redirect(request, f"{BASE}?account={account_id}", _("Topped up: the balance is now %(n)s.", n=after))


@post(f"{BASE}/{{account_id:int}}/threshold", guards=TOPUP)
async def threshold(request: Request, account_id: int) -> Response:
    account = await account_or_404(request, account_id)
    data = await form_data(request)
    raw = str(data.get("low_balance_alert") or "0").strip()
    if not raw.isdigit():
        return await _page(request, account, {"low_balance_alert": _("Enter a whole number.")}, data, 422)
    await stats.set_threshold(actor(request), account_id, int(raw))
    return redirect(request, f"{BASE}?account={account_id}", _("Alert threshold saved."))


ROUTES = [balance_page, topup, threshold]
