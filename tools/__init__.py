"""Commerce domain, backends and the agent's tools (policy enforced in code)."""
