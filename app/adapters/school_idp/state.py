"""The simulator's memory: who may log in (the directory), IdP SSO sessions, and single-use, expiring
tickets / codes / tokens. Everything here is lost on restart except what keys.py persists (one process)."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("staff", "student", "alumnus")
FIELDS = ("username", "password", "name", "email", "number", "kind", "college")
BUILT_IN = Path(__file__).with_name("directory.json")


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    name: str
    email: str
    number: str
    kind: str
    college: str

    def profile(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "number": self.number, "kind": self.kind,
                "college": self.college}


def person_from(entry: Any) -> Person:
    """A directory entry from JSON; ValueError names what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("a directory entry is a JSON object")
    values = {}
    for name in FIELDS:
        value = entry.get(name, "" if name == "college" else None)
        if not isinstance(value, str) or (name != "college" and not value.strip()):
            raise ValueError(f"field {name!r} must be a non-empty string")
        values[name] = value.strip() if name != "password" else value
    if values["kind"] not in KINDS:
        raise ValueError(f"field 'kind' must be one of {', '.join(KINDS)}")
    return Person(**values)


class Directory:
    """Built-in directory.json + the file named by TC_IDP_DIRECTORY + entries added at run time."""

    def __init__(self, extra_file: str = ""):
        self.people: dict[str, Person] = {}
        for path in [BUILT_IN, *([Path(extra_file)] if extra_file else [])]:
            entries = json.loads(path.read_text(encoding="utf-8"))
            for entry in entries if isinstance(entries, list) else [entries]:
                self.add(person_from(entry))

    def add(self, person: Person) -> None:
        self.people[person.username.lower()] = person

    def get(self, username: str) -> Person | None:
        return self.people.get((username or "").strip().lower())

    def check(self, username: str, password: str) -> Person | None:
        person = self.get(username)
        if person and secrets.compare_digest(person.password.encode(), (password or "").encode()):
            return person
        return None


@dataclass
class Item:
    value: dict
    expires: float
    used: bool = False


@dataclass
class Store:
    """Single-use or reusable values by random key, each with its own lifetime."""

    prefix: str = ""
    items: dict[str, Item] = field(default_factory=dict)

    def issue(self, value: dict, seconds: float, key: str | None = None) -> str:
        self._sweep()
        key = key or self.prefix + secrets.token_urlsafe(24)
        self.items[key] = Item(value, time.time() + seconds)
        return key

    def peek(self, key: str) -> tuple[str, dict | None]:
        """('ok' | 'missing' | 'expired' | 'used', value) without consuming."""
        item = self.items.get(key or "")
        if item is None:
            return "missing", None
        if item.used:
            return "used", item.value
        if item.expires < time.time():
            return "expired", item.value
        return "ok", item.value

    def take(self, key: str) -> tuple[str, dict | None]:
        """Like peek, and a valid item is used up (a second take says 'used')."""
        status, value = self.peek(key)
        if status == "ok":
            self.items[key].used = True
        return status, value

    def drop(self, key: str) -> None:
        self.items.pop(key or "", None)

    def expire_all(self) -> int:
        now = time.time() - 1
        for item in self.items.values():
            item.expires = min(item.expires, now)
        return len(self.items)

    def _sweep(self) -> None:
        """Forget items long past use (kept an hour so a replay still reads 'used' / 'expired')."""
        cutoff = time.time() - 3600
        for key in [k for k, item in self.items.items() if item.expires < cutoff]:
            del self.items[key]
