"""E-certificates (EXP-08): a PDF per formal expert (WeasyPrint, printables/experts/certificate.html, the
wording per expert type) with an anti-forgery QR: a signed link to the public verification page, which shows
the name, the number and the validity — nothing more."""
from __future__ import annotations

from datetime import date

from app.config import get_settings
from app.core import db, pdf
from app.core.security import TokenExpired, TokenInvalid, sign, unsign

PURPOSE = "exp.certificate"
FOREVER = 100 * 365 * 86400


def verify_path(number: str) -> str:
    return f"/experts/verify?t={sign(PURPOSE, number)}"


async def verify(token: str) -> dict | None:
    """What the public page shows for a certificate's QR link, or None for a forged or unknown one."""
    try:
        number = unsign(PURPOSE, token, max_age=FOREVER)
    except (TokenInvalid, TokenExpired):
        return None
    row = await db.fetchrow("SELECT name, number, valid_until, status FROM exp_expert WHERE number = $1", number)
    if row is None:
        return None
    return {"name": row["name"], "number": row["number"], "valid_until": row["valid_until"],
            "valid": row["status"] == "formal" and (row["valid_until"] is None or row["valid_until"] >= date.today())}


async def certificate_pdf(expert: dict) -> bytes:
    return await pdf.render_pdf_async("experts/certificate.html", expert=expert,
                                      verify_url=get_settings().public_url() + verify_path(expert["number"]),
                                      issued=date.today())
