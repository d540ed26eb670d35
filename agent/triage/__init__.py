"""Triage: entities, risk rules and the local intent classifier."""
