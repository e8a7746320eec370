"""The real-name / face verification provider our adapter calls: POST /realname/v1/verify with
`Authorization: Bearer <app secret>` and JSON {request_id, name, id_number, photo (base64 JPEG/PNG)}.

It behaves like a paid one: a latency (TC_IDP_REALNAME_LATENCY_MS, ±50 %), a daily limit per app
(TC_IDP_REALNAME_DAILY → 429 LIMIT_EXCEEDED), idempotent request_ids, and deterministic outcomes:
ID_INVALID (GB 11643 check fails), NAME_ID_MISMATCH (sequence digits v[14:17] == "999", or a name shorter than
2 characters), NO_FACE (not a decodable image, or smaller than 100×100), FACE_MISMATCH (mean grey below 30),
else PASS with a score 80–99 from a hash."""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import json
import random
import secrets
import time

from litestar import Request, Response, post

from app.adapters.school_idp.simulator import Simulator, sim
from app.core import id_numbers

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MIN_SIDE = 100
MAX_PIXELS = 40_000_000
MESSAGES = {
    "PASS": "verification passed",
    "ID_INVALID": "the ID number is not valid",
    "NAME_ID_MISMATCH": "the name does not match the ID number",
    "NO_FACE": "no face found in the photo",
    "FACE_MISMATCH": "the face does not match the ID photo on record",
}


def _json(data: dict, status: int = 200) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"})


def _app_for(simulator: Simulator, request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
    for app_key, expected in simulator.config.realname_apps.items():
        if secret and secrets.compare_digest(expected.encode(), secret.encode()):
            return app_key
    return None


def parse(body: bytes) -> tuple[dict | None, str]:
    """(fields, "") or (None, what is malformed)."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return None, "body is not JSON"
    if not isinstance(data, dict):
        return None, "body must be a JSON object"
    for name in ("request_id", "name", "id_number", "photo"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            return None, f"field {name!r} is required (a non-empty string)"
    if len(data["request_id"]) > 64:
        return None, "request_id is longer than 64 characters"
    photo = data["photo"].strip()
    if photo.startswith("data:") and "," in photo:  # a data URL is accepted too
        photo = photo.split(",", 1)[1]
    try:
        data["photo_bytes"] = base64.b64decode(photo, validate=True)
    except (binascii.Error, ValueError):
        return None, "photo is not base64"
    if len(data["photo_bytes"]) > MAX_PHOTO_BYTES:
        return None, "photo is larger than 5 MB"
    return data, ""


def _mean_grey(photo: bytes) -> float | None:
    """Mean grey level of a decodable image of at least 100×100 px, else None (no face to see)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(photo)) as image:
            width, height = image.size
            if width < MIN_SIDE or height < MIN_SIDE or width * height > MAX_PIXELS:
                return None
            grey = image.convert("L")
            grey.thumbnail((256, 256))
            pixels = grey.tobytes()
            return sum(pixels) / len(pixels)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def evaluate(name: str, id_number: str, photo: bytes) -> tuple[str, int]:
    """(result, score 0–100) as the provider decides it."""
    number = id_numbers.normalise(id_number)
    digest = hashlib.sha256(f"{name}|{number}|".encode() + photo).digest()
    if id_numbers.problem(number):
        return "ID_INVALID", 0
    if number[14:17] == "999" or len(name.strip()) < 2:
        return "NAME_ID_MISMATCH", 0
    grey = _mean_grey(photo)
    if grey is None:
        return "NO_FACE", 0
    if grey < 30:
        return "FACE_MISMATCH", 20 + digest[0] % 30
    return "PASS", 80 + digest[0] % 20


async def _latency(simulator: Simulator) -> None:
    base = simulator.config.realname_latency_ms
    if base > 0:
        await asyncio.sleep(base * random.uniform(0.5, 1.5) / 1000)


@post("/realname/v1/verify")
async def verify(request: Request) -> Response:
    simulator = sim(request)
    app_key = _app_for(simulator, request)
    if app_key is None:
        return _json({"result": "UNAUTHORIZED", "message": "missing or wrong app secret"}, 401)
    data, problem = parse(await request.body())
    if data is None:
        return _json({"result": "BAD_REQUEST", "message": problem}, 400)
    counters = simulator.realname
    counters.calls += 1
    await _latency(simulator)
    key = (app_key, data["request_id"])
    if key in counters.answers:  # idempotent: the first answer again, not billed twice
        return _json(counters.answers[key])
    today = counters.day()
    if today.get(app_key, 0) >= counters.daily_limit:
        return _json({"request_id": data["request_id"], "result": "LIMIT_EXCEEDED",
                      "message": f"daily limit of {counters.daily_limit} verifications reached"}, 429)
    today[app_key] = today.get(app_key, 0) + 1
    result, score = evaluate(data["name"], data["id_number"], data["photo_bytes"])
    answer = {"request_id": data["request_id"], "result": result, "score": score,
              "provider_ref": f"RN{time.strftime('%Y%m%d')}{secrets.token_hex(6).upper()}",
              "message": MESSAGES[result]}
    counters.answers[key] = answer
    return _json(answer)


ROUTES = [verify]
