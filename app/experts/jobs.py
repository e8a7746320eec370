"""Placeholder: background jobs of the expert pool (invitation reminders)."""
