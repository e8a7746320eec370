"""Operations (OPS-01 … OPS-08, SMS-12, CLS-05): events with typed signup forms, ticket types, waiting lists and
check-in; votes, surveys, micro-pages, lottery, coupons and mass messaging. This file is its table of contents:
everything it registers with the app."""
from app.core.modules import Module

MODULE = Module(
    name="ops",
    package="app.ops",
)
