"""Tables of tag groups (EXP-16) and the import/export configuration (EXP-11)."""
