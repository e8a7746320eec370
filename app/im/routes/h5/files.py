"""Images and files in chats on the phone (IM-01, IM-02): the chat form posts here (multipart, with or without JS;
a post without a file is the plain text send of chats.py), downloads answer byte ranges for members only (a
phone seeks in a video), and a conversation's files page. The rules are in app/im/attachments.py.

The upload is not held in memory: Litestar parses the multipart body from the request stream (the CSRF check
reads the form first) into a temp file per file part — in memory up to 1 MB, on disk above — and
attachments.store copies it into storage in 256 KB chunks, refusing it as soon as it passes the limit. This
route's body limit is the largest file the settings may allow (1 GB) plus room for the other fields."""
from __future__ import annotations

import secrets

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException

from app.core.file_serving import file_response
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.uploads import upload_chunks
from app.core.web import actor, form_data, redirect, render
from app.im import attachments, conversations, messages
from app.im.routes.h5 import H5, member_or_404
from app.im.routes.h5.chats import chat_page
from app.im.routes.h5.chats import send as send_text

BODY_LIMIT = (attachments.MAX_FILE_MB + 1) * 1024 * 1024


@post("/h5/im/c/{conversation:int}/send", guards=H5, request_max_body_size=BODY_LIMIT)
async def send(request: Request, conversation: int) -> Response:
    data = await form_data(request)
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await send_text.fn(request, conversation)  # the same form without a file: a text message
    text = str(data.get("body") or "")
    try:
        with member_or_404():
            await attachments.send_file(actor(request), conversation, upload.filename, upload_chunks(upload),
                                        text=text, client_ref=str(data.get("client_ref") or ""),
                                        signoff=data.get("signoff") == "1")
    except (Invalid, Conflict) as exc:
        error = exc.message if isinstance(exc, Invalid) else str(exc)
        if not request.headers.get("hx-request"):  # without JS: the chat page again, the text kept
            return await chat_page(request, conversation, text=text, error=error, status=422)
        return await render(request, "im/h5/_send.html", conversation=conversation, text=text, error=error,
                            client_ref=secrets.token_urlsafe(12), max_bytes=messages.MAX_BYTES, status=422)
    finally:
        await upload.close()
    if request.headers.get("hx-request"):  # the messages come back over the stream
        return await render(request, "im/h5/_send.html", conversation=conversation, text="", error=None,
                            client_ref=secrets.token_urlsafe(12), max_bytes=messages.MAX_BYTES)
    return redirect(request, f"/h5/im/c/{conversation}#im-send")


@get("/h5/im/files/{message_id:int}", guards=H5)
async def download(request: Request, message_id: int) -> Response:
    with member_or_404():
        found = await attachments.for_download(actor(request), message_id)
    if found is None:
        raise NotFoundException()
    return file_response(request, found["key"], found["name"], found["type"],
                         inline=found["inline"] and request.query_params.get("download") != "1")


@get("/h5/im/c/{conversation:int}/files", guards=H5)
async def files(request: Request, conversation: int) -> Response:
    with member_or_404():
        me = await conversations.require_member(actor(request), conversation)
    page = await attachments.files_page(conversation, PageRequest.from_query(request.query_params))
    title = me["title"] if me["kind"] == "group" else _("Chat")
    return await render(request, "im/h5/files.html", me=me, conversation=conversation, page=page, title=title,
                        share_title=title)


ROUTES = [send, download, files]
