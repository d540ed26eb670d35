"""Channels: how each marketplace reaches us (webhooks, email relay, APIs) and how replies go back."""
