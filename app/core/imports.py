"""Import/export engine (placeholder until the engine lands)."""
