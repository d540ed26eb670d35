"""shopdesk: application wiring shared by every part (settings, CLI)."""
