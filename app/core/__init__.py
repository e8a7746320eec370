"""Cross-cutting machinery every module uses."""
