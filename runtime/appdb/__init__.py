"""The app database: the one SQLite file the inbox, outbox, conversations (with audit) and the team's
workspace, macros and search share. `repository.py` gives a store its connection and lock; `migrations.py`
is the one way any of them creates or changes its tables."""
