"""The LangGraph agent: graph, state, context, prompts and runtime (see DESIGN.md section 2)."""
