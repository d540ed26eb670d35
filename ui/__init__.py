"""The Gradio agent console: thin callbacks over the application layer."""
