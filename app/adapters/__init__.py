"""External systems: one sub-package per system, an interface plus a local implementation."""
