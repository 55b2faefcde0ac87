"""The thinking budget a request asks for, in any wire's words, for the loopback's `think` model.

Anthropic and Gemini name a budget in tokens (`thinking.budget_tokens`, `thinkingConfig.thinkingBudget`);
the OpenAI-style wires name an effort (`reasoning_effort`, `reasoning.effort`), which the loopback
reads as 1K / 4K / 16K tokens, the seed's budgets. None: the request names no budget."""

from __future__ import annotations

from typing import Any

EFFORT_BUDGET = {"none": 0, "minimal": 0, "low": 1024, "medium": 4096, "high": 16_384, "xhigh": 32_768}


def thinking_budget(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and isinstance(thinking.get("budget_tokens"), int):
        return max(0, thinking["budget_tokens"])
    config = (body.get("generationConfig") or body.get("generation_config") or {}).get("thinkingConfig") if isinstance(body.get("generationConfig") or body.get("generation_config"), dict) else None
    if isinstance(config, dict) and isinstance(config.get("thinkingBudget"), int) and config["thinkingBudget"] >= 0:
        return config["thinkingBudget"]
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else body.get("reasoning_effort")
    return EFFORT_BUDGET.get(effort) if isinstance(effort, str) else None
