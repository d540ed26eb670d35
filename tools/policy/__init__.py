"""Per-platform policy data (windows, timelines, limits) and its loader."""
