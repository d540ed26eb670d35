"""Run a scenario set k times under one configuration and summarise it.

The model comes from the configuration file when it names an endpoint (`llm_base_url`), else from
`SHOPDESK_LLM_*` like every other entry point, else the embedded engine runs; `embedded: true` forces the
embedded engine (the A side of an A/B). The run records which engine and model answered.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from evals.judge import judge_reply
from evals.metrics import ScenarioResult, summarize
from evals.runner import EvalEnvironment, build_store_template, run_scenario
from evals.scenarios import Scenario, load_scenarios
from evals.simulator import make_simulator
from knowledge.retriever import Retriever
from shopdesk import kb_service
from shopdesk.settings import Settings

Progress = Callable[[int, int], None]


class EvalConfig(BaseModel):
    """One side of an A/B comparison (a JSON or YAML file), or the defaults (embedded engine)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "default"
    embedded: bool = Field(default=False, description="Run the embedded engine even when SHOPDESK_LLM_* is set.")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_review: bool = False
    seller_settings: SellerSettings = Field(default_factory=SellerSettings)
    lexical_retrieval: bool = True
    cost_per_1k_tokens: float = 0.0

    @classmethod
    def load(cls, path: Path) -> EvalConfig:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        data.setdefault("name", path.stem)
        return cls.model_validate(data)


class EvalRun(BaseModel):
    id: str
    config: str
    engine: str = "embedded"
    """Which engine answered: "embedded", or "llm <model> at <host/path>"."""
    started_at: datetime
    scenario_source: str
    k: int
    summary: dict[str, Any]
    results: list[ScenarioResult]


def eval_llm(settings: Settings, config: EvalConfig) -> Any | None:
    """The chat model a run uses: the config file's endpoint, else SHOPDESK_LLM_*, else None (embedded)."""
    from agent.llm import LLMConfig, make_chat_model

    if config.embedded:
        return None
    if config.llm_base_url:
        llm_config: LLMConfig | None = LLMConfig(
            base_url=config.llm_base_url, model=config.llm_model or "default",
            api_key=SecretStr(config.llm_api_key) if config.llm_api_key else None, timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries, max_tokens=settings.llm_max_tokens)
    else:
        llm_config = LLMConfig.from_settings(settings)
    return make_chat_model(llm_config) if llm_config else None


def make_environment(settings: Settings, config: EvalConfig, folder: Path, llm: Any | None = None) -> EvalEnvironment:
    index = kb_service.open_index(settings)
    kb_service.ensure_indexed(settings)
    if llm is None:
        llm = eval_llm(settings, config)
    if llm is not None:
        from agent.llm import track_usage

        track_usage(llm)  # calls and tokens per scenario, from the responses (evals.runner reads it)
    return EvalEnvironment(
        store_template=build_store_template(folder), retriever=Retriever(index, lexical=config.lexical_retrieval),
        classifier=IntentClassifier(cache_dir=settings.data_dir / "cache"), llm=llm, seller_settings=config.seller_settings, llm_review=config.llm_review,
    )


def run_set(settings: Settings, source: Path, *, k: int = 1, config: EvalConfig | None = None,
            progress: Progress | None = None, llm: Any | None = None, judge: Any | None = None,
            scenarios: list[Scenario] | None = None) -> EvalRun:
    """Every scenario k times; with an LLM the simulated customers run, with a judge every final reply is scored."""
    config = config or EvalConfig()
    chosen = scenarios if scenarios is not None else load_scenarios(source)
    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = make_environment(settings, config, Path(tmp), llm)
        engine = _describe(env.llm)
        total = len(chosen) * k
        simulate = make_simulator(env.llm) if env.llm is not None else None
        for run in range(k):
            for scenario in chosen:
                result = run_scenario(scenario, env, run=run, simulate=simulate)
                if judge is not None and result.replies:
                    score = judge_reply(judge, platform=scenario.platform, customer_text=result.customer_text or "",
                                        reply=result.replies[-1])
                    if score:
                        result.judge = score.model_dump(exclude={"rationale"})
                results.append(result)
                if progress:
                    progress(len(results), total)
    return EvalRun(id=f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}", config=config.name,
                   engine=engine, started_at=datetime.now(UTC), scenario_source=str(source), k=k,
                   summary=summarize(results, k, config.cost_per_1k_tokens), results=results)


def _describe(llm: Any | None) -> str:
    """"embedded", or "llm <model> at <host/path>" (a test double names its class)."""
    if llm is None:
        return "embedded"
    model = getattr(llm, "model_name", None) or type(llm).__name__
    endpoint = urlsplit(getattr(llm, "openai_api_base", None) or "")  # host and path only: no link in reports
    return f"llm {model} at {endpoint.netloc}{endpoint.path}" if endpoint.netloc else f"llm {model}"


def save_run(settings: Settings, run: EvalRun) -> Path:
    folder = settings.ensure_data_dir() / "evals" / run.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(run.model_dump_json(indent=2), encoding="utf-8")
    return folder


def list_runs(settings: Settings) -> list[dict[str, Any]]:
    """Saved runs, newest first (the console lists these)."""
    root = settings.data_dir / "evals"
    runs = []
    for report in sorted(root.glob("*/report.json"), reverse=True) if root.exists() else []:
        data = json.loads(report.read_text(encoding="utf-8"))
        runs.append({"id": data["id"], "config": data["config"], "started_at": data["started_at"],
                     "engine": data.get("engine", "embedded"),
                     "scenarios": data["summary"]["scenarios"], "pass_rate": data["summary"]["pass_rate"],
                     "path": str(report.parent)})
    return runs


def make_judge(settings: Settings) -> Any | None:
    """The judge model from SHOPDESK_JUDGE_* settings, or None (deterministic metrics only)."""
    if not settings.judge_base_url:
        return None
    from agent.llm import LLMConfig, make_chat_model

    return make_chat_model(LLMConfig(base_url=settings.judge_base_url, model=settings.judge_model or "default",
                                     api_key=settings.judge_api_key, temperature=0.0))
