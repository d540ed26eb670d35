"""A simulated customer driven by an LLM from a persona and a goal (scenarios without scripted turns)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from evals.scenarios import Scenario

CUSTOMER_PROMPT = """You play a customer writing to Northfork Goods customer service on {platform}. Persona: \
{persona}. Your goal: {goal}. Write only your next message, short and in your persona's words. When your goal \
is met, or clearly cannot be met, answer exactly DONE."""


def make_simulator(model: Any) -> Callable[[Scenario, list[str]], str | None]:
    from agent.llm import LLMUnavailable, invoke_safely

    def next_message(scenario: Scenario, replies: list[str]) -> str | None:
        assert scenario.simulated_customer is not None
        persona = scenario.simulated_customer
        messages: list[Any] = [SystemMessage(content=CUSTOMER_PROMPT.format(
            platform=scenario.platform, persona=persona.persona, goal=persona.goal))]
        messages += [HumanMessage(content=f"Customer service replied:\n{r}") for r in replies] or \
            [HumanMessage(content="Write your first message.")]
        try:
            text = invoke_safely(model, messages).content
        except LLMUnavailable:
            return None
        text = text.strip() if isinstance(text, str) else ""
        return None if not text or text.upper().startswith("DONE") else text

    return next_message
