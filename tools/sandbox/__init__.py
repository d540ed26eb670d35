"""Sandbox commerce backend: a realistic US demo store in SQLite."""
