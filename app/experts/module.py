"""The expert pool (EXP-01 … EXP-20): applications and approvals, the experts' own portal, certificates, the
taxonomy of fields, blacklist, smart search and statistics. Self-contained: it runs for a review office on the
support platform alone. This file is its table of contents: everything it registers with the app."""
from app.core.modules import Module

MODULE = Module(
    name="experts",
    package="app.experts",
)
