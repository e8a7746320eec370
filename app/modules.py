"""The installed modules, in load order (a module may use the ones above it through their `api`).
Adding a module = one line here + its `module.py`."""
from __future__ import annotations

import importlib

from app.core import modules as contract

MODULES = [
    "app.support.module",  # the platform: org tree, users, roles, menus, messages, imports, audit
    "app.content.module",  # the content platform: articles, posts, albums, comments, moderation (orgs, classes …)
    "app.records.module",
    "app.points.module",
    "app.sms.module",
    "app.mall.module",
    "app.identity.module",  # logins (SSO, WeChat, SMS code), real-name and alumni verification
    "app.orgs.module",  # alumni associations: chapters, councils, members, news, albums, micro-sites
    "app.classes.module",  # class spaces generated from the records, rosters, stories, cohesion ranking
    "app.ops.module",  # operations: events, check-in, votes, surveys, micro-pages, lottery, coupons, mass messages
    "app.experts.module",  # the expert pool: applications, approvals, portal, certificates, search
    "app.im.module",  # the messenger: chats, groups, receipts, recall, realtime over SSE
]


def load() -> list[contract.Module]:
    """Activates every installed module (idempotent) and returns their descriptors."""
    return contract.activate(importlib.import_module(name).MODULE for name in MODULES)
