"""Loaded by the worker (every records `*jobs.py` is): registers the tree's start-up warm-up
(`tree.warm_root_counts`), which the worker runs when it starts."""
from app.records import tree  # noqa: F401 - registering is the import's effect
