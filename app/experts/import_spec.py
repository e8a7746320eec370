"""Placeholder: the import spec of experts (EXP-11)."""
