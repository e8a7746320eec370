"""Minutes export (IM-10, 聊天消息导出): a group's messages over a time range as a meeting-minutes style document —
title, group, period, participants, then time — speaker — text (files by name, recalled messages left out) — as
PDF (WeasyPrint, printables/im/minutes.html) or DOCX (python-docx, the same content). Staff holding
`im.history.export` export any group; a group's owner and admins their own group. At most MAX_MESSAGES in one
document; every export is audited (who, group, range, count, format)."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from app.core import audit, db, pdf
from app.core.audit import Actor
from app.core.exports import watermark_text
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.query_tree import like_operator
from app.im import conversations
from app.im.history import like_pattern

PERM = "im.history.export"
MAX_MESSAGES = 20_000
FORMATS = ("pdf", "docx")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def group_for_export(actor: Actor, conversation: int) -> dict:
    """The group if the actor may export it. Not a group, or not the actor's and no permission: NotMember (a
    404, audited); a plain member: PermissionDenied (a 403, audited)."""
    group = await db.fetchrow("SELECT id, kind, title FROM im_conversation WHERE id = $1", conversation)
    if group is not None and group["kind"] == "group" and actor.can(PERM):
        return group
    me = await conversations.member(conversation, actor.id) if actor.id and group else None
    if me is None or group["kind"] != "group":
        await audit.record(actor, "refused", "im_conversation", conversation, summary="export: not a member")
        raise conversations.NotMember()
    if me["role"] not in ("owner", "admin"):
        await audit.record(actor, "refused", "im_conversation", conversation, summary="export: not an admin")
        raise PermissionDenied()
    return group


async def find_groups(text: str, limit: int = 20) -> list[dict]:
    """Groups by name (the admin page's picker), the most recently active first."""
    text = " ".join((text or "").split())[:50]
    return await db.fetch(
        "SELECT c.id, c.title, c.last_at, (SELECT count(*) FROM im_member m WHERE m.conversation = c.id"
        " AND m.left_at IS NULL) AS members FROM im_conversation c WHERE c.kind = 'group'"
        f" AND ($1 = '' OR c.title {like_operator(text)} $2) ORDER BY c.last_at DESC NULLS LAST, c.id DESC LIMIT $3",
        text, like_pattern(text), limit)


def _moment(value: str | None, field: str, *, end: bool) -> datetime:
    value = (value or "").strip()
    try:
        if len(value) == 10:  # a date: the whole day (the end of the range includes it)
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(field, _("Give a date (and time), e.g. 2026-12-01 or 2026-12-01T09:30.")) from None
    return moment.astimezone() if moment.tzinfo is None else moment  # naive: the server's local time


def parse_range(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """[start, end) from the form's from / to (dates or date-times, server-local time)."""
    since, until = _moment(start, "from", end=False), _moment(end, "to", end=True)
    if until <= since:
        raise Invalid("to", _("The end of the period must come after its start."))
    return since, until


async def collect(group: dict, since: datetime, until: datetime) -> dict:
    """What the document shows; Invalid when the range holds more than MAX_MESSAGES messages."""
    rows = await db.fetch(
        "SELECT x.id, x.kind, x.body, x.created_at, x.attachment->>'name' AS file_name,"
        " coalesce(nullif(u.name, ''), u.username, '') AS speaker FROM im_message x"
        " LEFT JOIN app_user u ON u.id = x.sender WHERE x.conversation = $1 AND x.recalled_at IS NULL"
        " AND x.created_at >= $2 AND x.created_at < $3 ORDER BY x.id LIMIT $4",
        group["id"], since, until, MAX_MESSAGES + 1)
    if len(rows) > MAX_MESSAGES:
        raise Invalid("to", _("This period holds more than %(n)s messages; choose a shorter one.",
                              n=f"{MAX_MESSAGES:,}"))
    items, speakers = [], {}
    for r in rows:
        text = r["body"] or ""
        if r["kind"] in ("image", "file"):
            text = _("[File] %(name)s", name=r["file_name"] or text) if r["kind"] == "file" else \
                _("[Image] %(name)s", name=r["file_name"] or text)
        items.append({"at": r["created_at"].astimezone(), "speaker": r["speaker"] or _("(deleted user)"),
                      "text": text})
        speakers.setdefault(r["speaker"] or _("(deleted user)"), None)
    return {"title": _("Minutes of %(group)s", group=group["title"]), "group": group["title"],
            "since": since.astimezone(), "until": _shown_end(until),
            "participants": list(speakers), "items": items, "count": len(items),
            "members": await db.fetchval("SELECT count(*) FROM im_member WHERE conversation = $1 AND left_at IS NULL",
                                         group["id"])}


def _shown_end(until: datetime) -> datetime:
    """The end as people read it: a range to midnight ends at 23:59 of the day before."""
    until = until.astimezone()
    return until - timedelta(minutes=1) if until.time() == time() else until


def _period(data: dict) -> str:
    return f"{data['since']:%Y-%m-%d %H:%M} – {data['until']:%Y-%m-%d %H:%M}"


def docx_bytes(data: dict, watermark: str) -> bytes:
    """The minutes as a Word document: a heading, the facts, then a table time — speaker — text."""
    from docx import Document  # imported lazily: lxml and the template cost ~0.2 s
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Noto Sans CJK SC", Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")  # Chinese in Word's own font slot
    document.core_properties.title = data["title"]
    document.add_heading(data["title"], level=1)
    for label, value in ((_("Chat group"), data["group"]), (_("Period"), _period(data)),
                         (_("Participants"), "、".join(data["participants"]) or "—"),
                         (_("Messages"), str(data["count"]))):
        line = document.add_paragraph()
        line.add_run(f"{label}：").bold = True
        line.add_run(value)
    document.add_heading(_("Proceedings"), level=2)
    if data["items"]:
        table = document.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, label in zip(table.rows[0].cells, (_("Time"), _("Speaker"), _("Message")), strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(label).bold = True
        for item in data["items"]:
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = f"{item['at']:%Y-%m-%d %H:%M}", item["speaker"], item["text"]
    else:
        document.add_paragraph(_("No messages in this period."))
    document.add_paragraph(watermark).runs[0].italic = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def export(actor: Actor, conversation: int, start: str | None, end: str | None, fmt: str,
                 viewer=None) -> tuple[str, bytes, str]:
    """(file name, bytes, media type) of the minutes; checks the right to export, audits the export."""
    if fmt not in FORMATS:
        raise Invalid("fmt", _("Choose PDF or Word."))
    group = await group_for_export(actor, conversation)
    since, until = parse_range(start, end)
    data = await collect(group, since, until)
    watermark = watermark_text(viewer or actor)
    if fmt == "pdf":
        content = await pdf.render_pdf_async("im/minutes.html", data=data, period=_period(data),
                                             watermark_text=watermark)
        media = "application/pdf"
    else:
        content = docx_bytes(data, watermark)
        media = DOCX_TYPE
    await audit.record(actor, "export", "im_conversation", conversation,
                       summary=f"minutes {fmt}: {data['count']} messages",
                       after={"group": group["title"], "from": since, "to": until, "count": data["count"],
                              "format": fmt})
    name = f"{group['title']}_{data['since']:%Y%m%d}-{data['until']:%Y%m%d}.{fmt}"
    return name, content, media
