"""Evaluation: scenario sets, metrics, runners and reports."""
