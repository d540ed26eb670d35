"""Constants the tests share: the demo store every test starts from."""

from datetime import UTC, datetime

ANCHOR = datetime(2026, 11, 26, tzinfo=UTC)  # the store's "now"
SEED = 7
