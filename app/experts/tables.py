"""Tables of the expert pool (EXP-01 … EXP-20)."""
