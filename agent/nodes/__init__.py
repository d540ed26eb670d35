"""The graph's nodes, one per step of DESIGN.md section 2."""
