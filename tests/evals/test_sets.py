"""The shipped scenario sets: valid, and covering what the eval issue asks for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agent.schemas import INTENTS
from evals.scenarios import load_scenarios
from tools.models import PLATFORMS

SETS = Path(__file__).resolve().parents[2] / "evals" / "sets"


def test_sets_cover_every_platform_intent_and_hard_case() -> None:
    scenarios = load_scenarios(SETS)
    assert len(scenarios) >= 150
    platforms = Counter(s.platform for s in scenarios)
    assert set(platforms) == set(PLATFORMS)
    first_tags = {s.tags[0] for s in scenarios if s.tags}
    assert set(INTENTS) <= first_tags
    tags = Counter(t for s in scenarios for t in s.tags)
    for kind in ("multi_turn", "adversarial", "must_handoff", "typo", "angry", "non_english"):
        assert tags[kind] >= 5, kind
    assert sum(len(s.turns) > 1 for s in scenarios) >= 20
