"""The message pipeline in one home: intake, inbox, conversations, worker, outbox, dispatcher, webhooks,
email intake and the attachment fetcher.

Dependencies point one way: shopdesk/ (application services, CLI, server) -> runtime/ -> agent/ -> tools/ and
knowledge/. channels/ are adapters that runtime calls (receive, verify, send) and that import none of agent,
runtime, shopdesk or ui. The agent reaches the outbox only through `agent.ports.ReplySink` in its context.
The direction is enforced by the import-linter contracts in pyproject.toml (tests/test_import_contracts.py).
"""
