"""Tables of the smart search (EXP-15): saved searches."""
