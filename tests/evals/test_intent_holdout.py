"""The classifier's held-out measurement (evals/intent_holdout.py): honest figures, and a held-out set that
never leaks into the training examples."""

from __future__ import annotations

from evals.intent_holdout import HOLDOUT_DIR, figures, load_holdout


def test_the_figures_count_what_they_say() -> None:
    pairs = [("where is it", "order_status"), ("refund?", "refund_status"), ("cancel pls", "cancel_order"),
             ("hello", "other")]
    guesses = [("order_status", 0.9), ("order_status", 0.7), ("cancel_order", 0.5), ("other", 0.95)]
    result = figures(pairs, guesses)
    assert result.messages == 4 and result.accuracy == 0.75
    assert result.recall == {"order_status": 1.0, "refund_status": 0.0, "cancel_order": 1.0, "other": 1.0}
    assert result.confident_share == 0.75 and result.confident_accuracy == round(2 / 3, 3)
    assert result.confusions == [("refund_status", "order_status", 1)]
    # macro-F1 over the expected intents: order_status 2/3, refund_status 0, the other two 1
    assert result.macro_f1 == round((2 / 3 + 0 + 1 + 1) / 4, 3)


def test_held_out_messages_are_never_training_examples() -> None:
    from agent.triage.classifier import load_examples

    trained_on = {" ".join(t.lower().split()) for t in load_examples()[0]}
    held_out = load_holdout()
    assert held_out, f"no held-out messages under {HOLDOUT_DIR}"
    assert not [t for t, _ in held_out if " ".join(t.lower().split()) in trained_on]


def test_the_training_data_generator_never_reads_the_held_out_folder() -> None:
    from pathlib import Path

    source = (Path(__file__).parents[2] / "evals" / "training_data.py").read_text(encoding="utf-8")
    assert "intent_holdout" not in source
