"""Unified points service (SUP-09) and its admin: rules and tasks, ledger, levels, manual grants (MALL-01 … MALL-04).
Its table of contents is `module.py`. Other modules use `app.points.api` (earn/spend/refund/award)."""
