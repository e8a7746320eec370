"""Real-name / face verification provider (IDV-01): the interface the identity module calls, and the HTTP client
of the provider API (the built-in simulator of `python -m app idp` speaks it; a commercial provider plugs in
behind the same interface).

The API: POST {base}/realname/v1/verify, `Authorization: Bearer <app secret>`, JSON {request_id, name,
id_number, photo (base64)} → {request_id, result: PASS | NAME_ID_MISMATCH | NO_FACE | FACE_MISMATCH |
ID_INVALID, score, provider_ref, message}; 429 {"result": "LIMIT_EXCEEDED"} over the daily limit; 401 for a
wrong secret. A request_id is answered once (a retry gets the same answer, billed once).
Timeouts, transport errors and unexpected answers become result ERROR with a message: never an exception."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

import httpx

PASS = "PASS"
NAME_ID_MISMATCH = "NAME_ID_MISMATCH"
NO_FACE = "NO_FACE"
FACE_MISMATCH = "FACE_MISMATCH"
ID_INVALID = "ID_INVALID"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
ERROR = "ERROR"  # ours: no usable answer (timeout, network, 401, 5xx, malformed)
ANSWERS = (PASS, NAME_ID_MISMATCH, NO_FACE, FACE_MISMATCH, ID_INVALID)


@dataclass(frozen=True)
class RealNameAnswer:
    result: str  # one of ANSWERS, LIMIT_EXCEEDED or ERROR
    score: int | None = None
    provider_ref: str = ""
    message: str = ""  # the provider's words, or what went wrong (English, for logs and admins)


class RealNameProvider(Protocol):
    name: str

    async def verify(self, request_id: str, name: str, id_number: str, photo: bytes) -> RealNameAnswer: ...


class HttpRealNameProvider:
    """The provider's HTTP API. One short-lived client per call: checks are rare and slow (≈ 0.4 s)."""

    name = "http"

    def __init__(self, base_url: str, app_secret: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.app_secret = app_secret
        self.timeout = timeout

    async def verify(self, request_id: str, name: str, id_number: str, photo: bytes) -> RealNameAnswer:
        body = {"request_id": request_id, "name": name, "id_number": id_number,
                "photo": base64.b64encode(photo).decode("ascii")}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(f"{self.base_url}/realname/v1/verify", json=body,
                                             headers={"Authorization": f"Bearer {self.app_secret}"})
        except httpx.TimeoutException:
            return RealNameAnswer(ERROR, message=f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return RealNameAnswer(ERROR, message=f"provider unreachable: {type(exc).__name__}")
        return _answer(response)


def _answer(response: httpx.Response) -> RealNameAnswer:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return RealNameAnswer(ERROR, message=f"HTTP {response.status_code}: not a JSON object")
    message = str(data.get("message") or "")[:200]
    if response.status_code == 429 or data.get("result") == LIMIT_EXCEEDED:
        return RealNameAnswer(LIMIT_EXCEEDED, message=message or "daily limit reached")
    if response.status_code == 401:
        return RealNameAnswer(ERROR, message="the provider refused our app secret (HTTP 401)")
    if response.status_code != 200 or data.get("result") not in ANSWERS:
        return RealNameAnswer(ERROR, message=f"HTTP {response.status_code}: {message or data.get('result')}"[:200])
    score = data.get("score")
    return RealNameAnswer(data["result"], int(score) if isinstance(score, (int, float)) else None,
                          str(data.get("provider_ref") or "")[:100], message)
