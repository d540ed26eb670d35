"""The `shopdesk` command line. Commands parse options, call the application layer, print.

Errors from the commerce layer print one clear line on stderr and exit 1; bad options exit 2
with the choices spelled out.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from knowledge.loader import KnowledgeError
from shopdesk import kb_service, store_service
from shopdesk.settings import Settings
from tools.errors import CommerceError
from tools.models import ORDER_STATUSES, PLATFORMS

app = typer.Typer(
    help="shopdesk: AI customer service for multi-marketplace US sellers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
store_app = typer.Typer(help="The sandbox demo store (SQLite).", no_args_is_help=True)
app.add_typer(store_app, name="store")
kb_app = typer.Typer(help="The seller's knowledge base (Chroma, offline embeddings).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
inbox_app = typer.Typer(help="Inbound customer messages from every channel.", no_args_is_help=True)
app.add_typer(inbox_app, name="inbox")
outbox_app = typer.Typer(help="Replies waiting to go out, sent, or failed.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
eval_app = typer.Typer(help="Scenario evals: run sets, compare configurations, list reports.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

# Wide enough for the order tables when output goes to a pipe or a log instead of a terminal.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
F = TypeVar("F", bound=Callable[..., Any])

# Every number from the command line is range-checked by click (a clean "Invalid value", exit 2) before it can
# reach SQLite (64-bit integers: a larger id raised OverflowError with a traceback) or a server setting.
ROW_ID = {"min": 1, "max": 2**63 - 1}
SEED = {"min": 0, "max": 2**32 - 1}
PORT = {"min": 1, "max": 65535}
WORKERS = {"min": 1, "max": 32}
RATE = {"min": 0.01, "max": 6000.0}
SECONDS = {"min": 0.0, "max": 366 * 86400.0}


def _fail_cleanly(func: F) -> F:
    """Turn domain and validation errors into one readable line and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CommerceError as exc:
            err.print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
            raise typer.Exit(1) from exc
        except ValidationError as exc:
            err.print(f"[red]invalid input[/red]: {exc.errors()[0]['msg']}", highlight=False)
            raise typer.Exit(1) from exc
        except KnowledgeError as exc:
            err.print(f"[red]knowledge base error[/red]: {exc}", highlight=False)
            raise typer.Exit(1) from exc
        except ValueError as exc:
            err.print(f"[red]error[/red]: {exc}", highlight=False)
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not a valid {name}; choose one of: {', '.join(allowed)}")
    return value


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _settings() -> Settings:
    return Settings()


# ---------------------------------------------------------------- store

@store_app.command("seed")
@_fail_cleanly
def store_seed(
    seed: Annotated[int | None, typer.Option(**SEED, help="Generator seed (default: SHOPDESK_STORE_SEED or 7).")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Replace an existing store.")] = False,
    anchor: Annotated[
        datetime | None, typer.Option(help="The store's 'now' (ISO 8601, UTC); default: today 00:00 UTC.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Generate the demo store (same seed and anchor => identical store)."""
    if anchor is not None and anchor.tzinfo is None:
        from datetime import UTC

        anchor = anchor.replace(tzinfo=UTC)
    result = store_service.seed_store(_settings(), seed=seed, reset=reset, anchor=anchor)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    verb = f"Seeded in {result.seconds:.2f}s" if result.seeded else "Already seeded"
    out.print(f"{verb}: {result.path} (seed {result.seed}, anchor {result.anchor.isoformat()})")
    out.print(", ".join(f"{n} {k}" for k, n in result.counts.items()))
    out.print(f"content hash {result.content_hash}")


@store_app.command("summary")
@_fail_cleanly
def store_summary(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the store holds: orders per platform and status, and the support states in it."""
    with store_service.open_store(_settings()) as store:
        summary = store_service.store_summary(store)
    if as_json:
        _print_json(summary)
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    meta = summary["meta"]
    out.print(f"[bold]Northfork Goods demo store[/bold] (seed {meta.get('seed')}, anchor {meta.get('anchor')})")
    out.print(", ".join(f"{n} {k}" for k, n in summary["counts"].items()))
    table = Table("platform", *ORDER_STATUSES, "total", title="Orders by platform and status")
    cells = summary["orders_by_platform_status"]
    for platform in PLATFORMS:
        row = [str(cells.get(f"{platform}/{s}", 0)) for s in ORDER_STATUSES]
        table.add_row(platform, *row, str(summary["orders_by_platform"][platform]))
    out.print(table)
    states = summary["support_states"]
    out.print("[bold]What the support inbox will meet[/bold]")
    for key, value in states.items():
        out.print(f"  {key.replace('_', ' ')}: {value}")
    out.print(f"  customers on more than one platform: {summary['multi_platform_customers']}")
    out.print(f"  shipments by carrier: {summary['shipments_by_carrier']}")
    out.print(f"content hash {summary['content_hash']}")


@store_app.command("orders")
@_fail_cleanly
def store_orders(
    platform: Annotated[str | None, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of: {', '.join(ORDER_STATUSES)}.")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer id (C00042) or a platform identity.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (fields follow the domain model).")] = False,
) -> None:
    """List orders, newest first."""
    platform = _choice(platform, PLATFORMS, "platform")
    status = _choice(status, ORDER_STATUSES, "order status")
    with store_service.open_store(_settings()) as store:
        store.require_seeded()
        customer_id = store_service.resolve_customer(store, customer).id if customer else None
        orders = store.find_orders(platform=platform, status=status, customer_id=customer_id, limit=limit)  # type: ignore[arg-type]
    if as_json:
        _print_json([o.model_dump(mode="json") for o in orders])
        return
    table = Table("order", "platform", "status", "customer", "placed", "total", "items", "tracking")
    for o in orders:
        tracking = ", ".join(f"{s.carrier} {s.tracking_number} ({s.status})" for s in o.shipments) or "-"
        items = "; ".join(f"{i.quantity}x {i.sku}" for i in o.items)
        table.add_row(o.id, o.platform, o.status, o.customer_id, o.created_at.strftime("%Y-%m-%d %H:%M"),
                      f"${o.total}", items, tracking)
    out.print(table)
    out.print(f"{len(orders)} orders")


@store_app.command("customer")
@_fail_cleanly
def store_customer(
    key: Annotated[str, typer.Argument(metavar="ID", help="Customer id (C00042) or any platform identity.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One customer across every platform: identities, orders, returns, refunds, claims..."""
    with store_service.open_store(_settings()) as store:
        store.require_seeded()
        profile = store_service.customer_profile(store, key)
    if as_json:
        _print_json(profile)
        return
    c = profile["customer"]
    out.print(f"[bold]{c['name']}[/bold] ({c['id']}), customer since {c['created_at'][:10]}")
    for identity in c["identities"]:
        out.print(f"  {identity['platform']:<10} {identity['kind']:<12} {identity['value']}")
    table = Table("order", "platform", "status", "placed", "total")
    for o in profile["orders"]:
        table.add_row(o["id"], o["platform"], o["status"], o["created_at"][:10], f"${o['total']:.2f}")
    out.print(table)
    for key_name in ("returns", "refunds", "subscriptions", "claims", "chargebacks", "feedback", "carts", "conversations"):
        if profile[key_name]:
            out.print(f"  {key_name}: {len(profile[key_name])}")


# ---------------------------------------------------------------- knowledge base

def _index_with_progress(settings: Settings, rebuild: bool = False) -> kb_service.SyncReport:
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Embedding knowledge chunks", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return kb_service.index_knowledge(settings, rebuild=rebuild, progress=advance)


@kb_app.command("index")
@_fail_cleanly
def kb_index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the collection and embed everything again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Index the knowledge base; only new or changed documents are embedded."""
    report = _index_with_progress(_settings(), rebuild=rebuild)
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    out.print(
        f"Indexed in {report.seconds:.2f}s: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged documents; "
        f"{report.chunks_embedded} chunks embedded, {report.chunks_total} in the index."
    )


KB_SCOPES = (*PLATFORMS, "meta")


@kb_app.command("search")
@_fail_cleanly
def kb_search(
    query: Annotated[str, typer.Argument(help="What the customer asked, in their words.")],
    platform: Annotated[str | None, typer.Option(help=f"The customer's platform: {', '.join(KB_SCOPES)}.")] = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the passages as JSON.")] = False,
) -> None:
    """Search the knowledge base, limited to the platform's passages plus general ones."""
    platform = _choice(platform, KB_SCOPES, "platform")
    settings = _settings()
    if kb_service.open_index(settings).count() == 0:
        err.print("The knowledge base is not indexed yet; indexing it now.")
        _index_with_progress(settings)
    passages = kb_service.search_knowledge(settings, query, platform=platform, k=k)
    if as_json:
        _print_json([p.model_dump(mode="json") for p in passages])
        return
    for rank, p in enumerate(passages, start=1):
        out.print(f"[bold]{rank}. {p.id}[/bold] ({p.platform}, {p.topic}, score {p.score:.4f})")
        out.print(p.text.split("\n", 1)[-1][:400] + ("..." if len(p.text) > 400 else ""), highlight=False)
        out.print()


@kb_app.command("eval")
@_fail_cleanly
def kb_eval(
    lexical: Annotated[bool, typer.Option("--lexical/--no-lexical", help="Fuse BM25 with vector search.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Recall@1/3/5 and MRR of retrieval on the labelled question set (evals/retrieval/questions.yaml)."""
    report = kb_service.evaluate_retrieval(_settings(), lexical=lexical)
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    out.print(
        f"{report.questions} questions ({'vector + BM25' if report.lexical else 'vector only'}): "
        f"recall@1 {report.recall_at_1:.3f}, recall@3 {report.recall_at_3:.3f}, recall@5 {report.recall_at_5:.3f}, "
        f"MRR {report.mrr:.3f}, {report.mean_latency_ms:.1f} ms per query"
    )
    for miss in report.misses_at_3:
        out.print(f"  miss@3 {miss.id} [{miss.platform}] {miss.question!r}: expected {miss.expected}, "
                  f"got {miss.retrieved[:3]}", highlight=False)


@kb_app.command("stats")
@_fail_cleanly
def kb_stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the index holds: documents and chunks by platform and topic."""
    stats = kb_service.open_index(_settings()).stats()
    if as_json:
        _print_json(stats)
        return
    for key, value in stats.items():
        out.print(f"{key}: {value}")


# ---------------------------------------------------------------- the agent

def _print_trace(trace: Any) -> None:
    from shopdesk import agent_service

    why = f" ({'; '.join(trace.urgency_reasons)})" if trace.urgency_reasons else ""
    out.print(f"[bold]intent[/bold] {trace.intent} ({trace.confidence}), urgency {trace.urgency}{why}, "
              f"flags {trace.risk_flags or '-'}, entities {trace.entities or '-'}", highlight=False)
    for call in trace.tool_calls:
        mark = "ok" if call.ok else f"error: {call.error}"
        out.print(f"  tool {call.name}({call.args}) -> {mark}", highlight=False)
    if trace.passages:
        out.print(f"  passages: {', '.join(trace.passages)}", highlight=False)
    if trace.draft:
        out.print("[bold]draft[/bold]")
        out.print(trace.draft, highlight=False)
    if trace.compliance:
        violations = trace.compliance.get("violations", [])
        out.print(f"[bold]compliance[/bold] {'ok' if trace.compliance.get('ok') else violations}", highlight=False)
    status = trace.status
    if trace.thread.startswith(agent_service.TRY_NAMESPACE) and status in ("sent", "queued"):
        status = f"{status} in the try only (nothing queued for a platform)"  # the graph's view of a dry run
    out.print(f"[bold]route[/bold] {trace.route} ({'; '.join(trace.reasons)}), deadline {trace.deadline}, "
              f"status {status}", highlight=False)
    if trace.handoff_summary:
        out.print(f"handoff summary: {trace.handoff_summary}", highlight=False)


def _trace_json(trace: Any) -> dict[str, Any]:
    data = trace.model_dump(mode="json")
    data["compliance"] = {"ok": (trace.compliance or {}).get("ok", True) if trace.compliance else None,
                          "violations": (trace.compliance or {}).get("violations", [])}
    return data


SEND_HELP = ("Queue the reply in the service's outbox for the customer's real channel (the running service sends "
             "it). Needs --thread: a conversation the service received from that customer. Without --send this is "
             "a try: its thread is cli:..., and the reply is printed as 'would send', never queued.")


@app.command("reply")
@_fail_cleanly
def reply_command(
    platform: Annotated[str, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.")],
    customer: Annotated[str, typer.Option(help="Customer id (C00042) or the platform identity they wrote from.")],
    text: Annotated[str, typer.Option(help="The customer's message.")],
    thread: Annotated[str | None, typer.Option(help="Thread to continue: a try's (cli:...; default: a new one), or "
                                                    "with --send a conversation the service received.")] = None,
    send: Annotated[bool, typer.Option("--send", help=SEND_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Run one customer message through the agent against the sandbox store and print the trace."""
    from shopdesk import agent_service

    chosen = _choice(platform, PLATFORMS, "platform")
    settings = _settings()
    with agent_service.open_runtime(settings, dry_run=not send) as runtime:
        result = agent_service.cli_reply(settings, runtime, platform=chosen, customer=customer, text=text,  # type: ignore[arg-type]
                                         thread=thread, send=send)
    if as_json:
        _print_json({**_trace_json(result.trace), "delivery": _delivery_json(result)})
        return
    _print_trace(result.trace)
    _print_delivery(result, chosen)  # type: ignore[arg-type]
    out.print(f"thread {result.trace.thread}", highlight=False)


def _delivery_json(result: Any) -> dict[str, Any]:
    return {"sent": result.sent, "messages": [{"kind": m.kind, "text": m.text} for m in result.messages]}


def _print_delivery(result: Any, platform: str) -> None:
    """What went to the outbox (--send) or would have (a try): the reply and any handoff acknowledgment."""
    for m in result.messages:
        if result.sent:
            out.print(f"[bold]queued[/bold] for {platform} ({m.kind}): {m.text}", highlight=False)
        else:
            out.print(f"[bold]would send[/bold] on {platform} ({m.kind}; a try, nothing queued): {m.text}",
                      highlight=False)
    if not result.messages:
        out.print("nothing to send" + ("" if result.trace.route == "auto_send" else f" ({result.trace.route})"),
                  highlight=False)


PENDING_HELP = ("With --action edit while a refund, return or other write waits for a person's approval, what "
                "becomes of it: approve (made first, then your text goes), deny (dropped, your text goes) or keep "
                "(your text goes now, the write keeps waiting). Required then, as in the console.")


@app.command("review")
@_fail_cleanly
def review_command(
    thread: Annotated[str, typer.Argument(help="The thread waiting for review.")],
    action: Annotated[str, typer.Option(help="approve, edit, reject, take_over or deny_action.")] = "approve",
    text: Annotated[str | None, typer.Option(help="The edited reply (with --action edit).")] = None,
    pending: Annotated[str | None, typer.Option(help=PENDING_HELP)] = None,
    reason: Annotated[str | None, typer.Option(help="Why (with --action reject or deny_action): kept in the "
                                                    "conversation's routing reasons and the audit log.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Resume a conversation waiting for a person: approve, edit, reject or take over its draft. On a conversation
    the service received, the decision is recorded as the console records it (status, audit log: actor "cli")."""
    from agent.nodes.review import PENDING_CHOICES, awaits_approval, choice_problem
    from shopdesk import agent_service, review_audit

    chosen = _choice(action, ("approve", "edit", "reject", "take_over", "deny_action"), "review action")
    choice = _choice(pending, PENDING_CHOICES, "pending choice")
    if choice and chosen != "edit":
        raise typer.BadParameter("--pending goes with --action edit (approve_action/deny_action decide it alone)")
    if chosen == "edit" and not (text or "").strip():
        raise typer.BadParameter("--action edit needs --text")
    if reason is not None and chosen not in ("reject", "deny_action"):
        raise typer.BadParameter("--reason goes with --action reject or deny_action")
    if reason is not None and len(reason) > 500:
        raise typer.BadParameter("--reason is at most 500 characters")
    try_run = thread.startswith(agent_service.TRY_NAMESPACE)  # a try's approved reply is never queued either
    settings = _settings()
    with agent_service.open_runtime(settings, dry_run=try_run) as runtime:
        before = runtime.trace(thread)
        if not before.awaiting_review:
            raise typer.BadParameter(f"thread {thread} is not waiting for review")
        if chosen == "edit" and (problem := choice_problem(text or "", before.pending_action, choice)):
            raise typer.BadParameter(problem)  # the review node would refuse it too; say so before resuming
        if choice and not awaits_approval(before.pending_action):
            out.print("(no write waits for approval: --pending is not used)", highlight=False)
        answer = {"action": chosen, "text": text, "reviewer": "cli", **({"pending": choice} if choice else {}),
                  **({"reason": (reason or "").strip() or "no reason given"} if chosen in ("reject", "deny_action") else {})}
        started = review_audit.start(runtime, thread, chosen, before)
        trace = runtime.resume(thread, answer)
        if not try_run:  # the console's trail: the conversation's status and the audit entries (actor "cli")
            review_audit.record(settings, runtime, started, answer, trace)
    if (refused := review_audit.refusal(started, trace)) is not None:
        raise ValueError(f"not sent: {refused}")
    if as_json:
        _print_json(_trace_json(trace))
        return
    _print_trace(trace)
    if try_run and trace.status == "sent":
        out.print("would send (a try, nothing queued)", highlight=False)


@app.command("chat")
@_fail_cleanly
def chat_command(
    platform: Annotated[str, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.")],
    customer: Annotated[str, typer.Option(help="Customer id (C00042) or the platform identity they write from.")],
    thread: Annotated[str | None, typer.Option(help="Thread to continue: a try's (cli:...; default: a new one), or "
                                                    "with --send a conversation the service received.")] = None,
    send: Annotated[bool, typer.Option("--send", help=SEND_HELP)] = False,
) -> None:
    """An interactive multi-turn conversation in the terminal (empty line or Ctrl-D to quit)."""
    from shopdesk import agent_service

    chosen = _choice(platform, PLATFORMS, "platform")
    settings = _settings()
    with agent_service.open_runtime(settings, dry_run=not send) as runtime:
        if send:
            thread = agent_service.check_send(settings, runtime, thread=thread, platform=chosen,  # type: ignore[arg-type]
                                              customer=customer)
        mode = f"replies are queued for {chosen} on {thread}" if send else "a try: replies are printed, never sent"
        out.print(f"Chatting as {customer} on {chosen} ({mode}). Empty line to quit.", highlight=False)
        while True:
            try:
                text = input("customer> ").strip()
            except EOFError:
                break
            if not text:
                break
            result = agent_service.cli_reply(settings, runtime, platform=chosen, customer=customer, text=text,  # type: ignore[arg-type]
                                             thread=thread, send=send)
            trace = result.trace
            thread = trace.thread
            if trace.route == "auto_send":
                out.print(f"agent> {trace.draft}", highlight=False)
                out.print("  (queued)" if result.sent else "  (would send: a try, nothing queued)", highlight=False)
            elif trace.route == "review":
                out.print(f"(held for a person's approval: {'; '.join(trace.reasons)})\n  draft> {trace.draft}",
                          highlight=False)
            else:
                out.print(f"(handed to a person: {'; '.join(trace.reasons)})", highlight=False)


# ---------------------------------------------------------------- evals

def _eval_with_progress(settings: Settings, source: Path, k: int, config: Any) -> Any:
    from rich.progress import Progress

    from evals.suite import make_judge, run_set

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"Running {source} ({getattr(config, 'name', 'embedded')})", total=None)
        return run_set(settings, source, k=k, config=config, judge=make_judge(settings),
                       progress=lambda done, total: bar.update(task, completed=done, total=total))


@eval_app.command("run")
@_fail_cleanly
def eval_run(
    source: Annotated[Path, typer.Argument(help="A scenario YAML file or a folder of them (e.g. evals/sets).")],
    k: Annotated[int, typer.Option(min=1, max=20, help="Runs per scenario (pass^1..pass^k).")] = 1,
    config: Annotated[Path | None, typer.Option(
        help="A configuration file; its llm_base_url overrides SHOPDESK_LLM_* (default: SHOPDESK_LLM_* if set, "
             "else the embedded engine).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON (summary and results).")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the HTML report here.")] = None,
) -> None:
    """Run a scenario set through the agent and score it; the report is kept under the data dir.

    The model is the one SHOPDESK_LLM_* configures, unless --config names another endpoint (or sets
    `embedded: true`); the report says which engine and model answered.
    """
    from evals.report import render_html
    from evals.suite import EvalConfig, save_run

    if not source.exists():
        raise typer.BadParameter(f"{source} does not exist")
    settings = _settings()
    cfg = EvalConfig.load(config) if config else EvalConfig()
    run = _eval_with_progress(settings, source, k, cfg)
    folder = save_run(settings, run)
    html_text = render_html(run)
    (folder / "report.html").write_text(html_text, encoding="utf-8")
    if report:
        report.write_text(html_text, encoding="utf-8")
    if as_json:
        _print_json({"id": run.id, "engine": run.engine, "summary": run.summary,
                     "results": [r.model_dump(mode="json", include={"id", "platform", "run", "passed", "skipped",
                                                                    "failed_checks", "error", "tags"})
                                 for r in run.results]})
        return
    s = run.summary
    out.print(f"engine: {run.engine}; LLM calls / tokens per scenario: {s['llm_calls_per_scenario']} / "
              f"{s['tokens_per_scenario']}", highlight=False)
    out.print(f"{s['scenarios']} scenarios x {run.k}: pass rate {s['pass_rate']:.1%}, pass^k {s['pass^k']}, "
              f"intent accuracy {s['intent_accuracy']}, handoff P/R {s['handoff_precision']}/{s['handoff_recall']}")
    automated = "n/a" if s["automation_rate"] is None else f"{s['automation_rate']:.1%}"
    wrong_share = "n/a" if s["wrong_auto_send_share"] is None else f"{s['wrong_auto_send_share']:.1%}"
    line = (f"automation rate {automated}, wrong auto-sends {s['wrong_auto_sends']} of {s['auto_sent']} "
            f"auto-sent ({wrong_share})")
    if s["order_resolution_n"]:
        line += f", order resolution {s['order_resolution_accuracy']:.1%} ({s['order_resolution_n']})"
    out.print(line, highlight=False)
    wrong_ids = s["wrong_auto_send_ids"]
    if wrong_ids:  # the costliest failures: sent to the customer with nobody reviewing them
        more = f" (+{len(wrong_ids) - 20} more)" if len(wrong_ids) > 20 else ""
        out.print(f"  wrong auto-sends: {', '.join(wrong_ids[:20])}{more}", highlight=False)
    for platform, value in s["pass_rate_by_platform"].items():
        out.print(f"  {platform:<10} {value:.1%}")
    failed = [r for r in run.results if not r.passed and not r.skipped]
    for r in failed[:40]:
        out.print(f"  FAIL {r.id}: {'; '.join(r.failed_checks) or r.error}", highlight=False)
    out.print(f"report: {folder / 'report.html'}")


@eval_app.command("validate")
@_fail_cleanly
def eval_validate(
    source: Annotated[Path, typer.Argument(help="A scenario YAML file or a folder of them.")],
) -> None:
    """Check a scenario set without running the agent: the format, every store pick and placeholder."""
    from evals.runner import build_store_template, validate_scenarios
    from evals.scenarios import load_scenarios

    if not source.exists():
        raise typer.BadParameter(f"{source} does not exist")
    try:
        scenarios = load_scenarios(source)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with tempfile.TemporaryDirectory() as tmp:
        problems = validate_scenarios(scenarios, build_store_template(Path(tmp)))
    for scenario_id, problem in problems.items():
        out.print(f"  BAD {scenario_id}: {problem}", highlight=False)
    out.print(f"{len(scenarios)} scenarios, {len(problems)} with problems")
    if problems:
        raise typer.Exit(1)


@eval_app.command("compare")
@_fail_cleanly
def eval_compare(
    source: Annotated[Path, typer.Argument(help="The scenario set both configurations run.")],
    a: Annotated[Path, typer.Option("--a", help="Configuration A (YAML/JSON).")],
    b: Annotated[Path, typer.Option("--b", help="Configuration B (YAML/JSON).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Both configurations on the same scenarios: per-metric deltas, McNemar test, flipped scenarios."""
    from evals.compare import compare
    from evals.suite import EvalConfig, make_judge, save_run

    settings = _settings()
    run_a = _eval_with_progress(settings, source, 1, EvalConfig.load(a))
    run_b = _eval_with_progress(settings, source, 1, EvalConfig.load(b))
    save_run(settings, run_a)
    save_run(settings, run_b)
    result = compare(run_a, run_b, judge=make_judge(settings))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    out.print(f"A = {result.a}, B = {result.b}, {result.scenarios} scenarios")
    for key, d in result.deltas.items():
        out.print(f"  {key:<30} A {d['a']}  B {d['b']}  delta {d['delta']}")
    out.print(f"McNemar: {result.mcnemar}")
    out.print(f"flipped to pass: {result.flipped_to_pass}")
    out.print(f"flipped to fail: {result.flipped_to_fail}")
    if result.judge_pairwise:
        out.print(f"LLM judge, pairwise in both orders: {result.judge_pairwise}")


@eval_app.command("list")
@_fail_cleanly
def eval_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Saved eval runs, newest first."""
    from evals.suite import list_runs

    runs = list_runs(_settings())
    if as_json:
        _print_json(runs)
        return
    for r in runs:
        out.print(f"{r['id']}  {r['config']:<12} {r['scenarios']:>4} scenarios  pass {r['pass_rate']:.1%}  {r['path']}")


# ---------------------------------------------------------------- main job

@app.command("serve")
@_fail_cleanly
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default SHOPDESK_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(**PORT, help="Port (default SHOPDESK_PORT, 8000).")] = None,
    workers: Annotated[int | None, typer.Option(**WORKERS, help="Worker threads running the agent.")] = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="Start every marketplace's simulator on loopback "
                                           "and feed a steady stream of customer messages.")] = False,
    rate: Annotated[float, typer.Option(**RATE, help="Simulated customer messages per minute.")] = 20.0,
    duration: Annotated[float | None, typer.Option(**SECONDS, help="Stop after this many seconds.")] = None,
) -> None:
    """The HTTP server: webhooks, health, the console at /, workers and the outbox dispatcher."""
    from shopdesk import serve

    settings = _settings()
    update = {k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None}
    settings = settings.model_copy(update=update)
    serve.prepare(settings, out.print)
    serve.serve(settings, simulate=simulate, say=lambda line: out.print(line, highlight=False),
                per_minute=rate, duration_s=duration)


@app.command("work")
@_fail_cleanly
def work_command(
    workers: Annotated[int | None, typer.Option(**WORKERS, help="Worker threads in this process.")] = None,
    duration: Annotated[float | None, typer.Option(**SECONDS, help="Stop after this many seconds.")] = None,
) -> None:
    """Extra worker process beside a running `shopdesk serve` on the same data dir (scale-out on one machine:
    the agent is CPU-bound Python, so processes, not threads, add throughput). Claims inbox items and runs
    the agent; the server keeps receiving, sending and serving the console."""
    import threading
    import time

    from shopdesk.service import Service

    settings = _settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    stop = threading.Event()
    with Service(settings, dispatch=False, poll_email=False) as service:
        out.print(f"Worker process: {service.worker_count} worker(s) on {settings.app_db_path}. Ctrl-C stops.")
        started = time.monotonic()
        try:
            while not stop.wait(0.5):
                if duration is not None and time.monotonic() - started >= duration:
                    break
        except KeyboardInterrupt:
            pass


@app.command("run")
@_fail_cleanly
def run(
    duration: Annotated[float | None, typer.Option(**SECONDS, help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    rate: Annotated[float, typer.Option(**RATE, help="Simulated customer messages per minute.")] = 20.0,
) -> None:
    """The main job on embedded defaults: seed the demo store, index the knowledge base, then serve the console
    and webhooks with every marketplace simulated on loopback, customers writing on all six platforms. Ctrl-C or
    SIGTERM stops it gracefully (exit 0); a restart on the same data dir continues the customers' script."""
    from shopdesk import run_hints, serve

    def say(line: str) -> None:  # plain text, never re-wrapped: commands in it must paste as printed
        out.print(line, highlight=False, markup=False, soft_wrap=True)

    settings = _settings()
    command = run_hints.shopdesk_command()
    with serve.sigterm_like_ctrl_c() as shutting_down:  # SIGTERM stops like Ctrl-C; serve() has its own too
        try:
            _prepare_demo(settings, command, say)
        except KeyboardInterrupt:
            say("Stopped before the service started: no customer message was sent.")
            return
        serve.serve(settings, simulate=True, say=say, per_minute=rate, duration_s=duration)
        shutting_down()  # stopped: the hints below print in a moment, a late SIGTERM does not cut them short
        say("")
        for line in run_hints.try_lines(run_hints.try_hints(settings), command):
            say(line)


def _prepare_demo(settings: Settings, command: str, say: Callable[[str], None]) -> None:
    """Seed the demo store and index the knowledge base, saying what each step does and how long it takes."""
    from contextlib import nullcontext

    from shopdesk import serve

    say("Checking the demo store (seeding it takes a few seconds the first time)...")
    result = store_service.seed_store(settings)
    verb = f"Seeded the demo store in {result.seconds:.2f}s" if result.seeded else "Demo store ready"
    with store_service.open_store(settings) as store:
        counts = store.counts()
    say(f"{verb} at {result.path}: {counts.get('customers', 0):,} customers, {counts.get('orders', 0):,} "
        f"orders on six marketplaces (`{command} store summary` shows the support states in it)")
    say("Indexing the knowledge base (half a minute to two the first time on 2 idle cores, longer on a busy machine: every passage is embedded on the CPU; "
        "later starts embed only changed articles)...")
    with nullcontext() if err.is_terminal else serve.heartbeat(say, "indexing the knowledge base"):
        report = _index_with_progress(settings)  # a progress bar on a terminal; else a line every 20 s
    say(f"Knowledge base: {report.chunks_total} passages indexed in {report.seconds:.0f} s "
        f"({report.chunks_embedded} embedded now, {report.unchanged} documents unchanged)")


@inbox_app.command("list")
@_fail_cleanly
def inbox_list(
    status: Annotated[str | None, typer.Option(help="queued, claimed, done or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Newest N items.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Inbound messages: platform message id, customer, text, status."""
    from shopdesk import queue_service

    _choice(status, ("queued", "claimed", "done", "dead"), "status")
    with queue_service.open_queues(_settings()) as queues:
        rows = [queue_service.inbox_row(i, queues) for i in queues.inbox.items(status, limit=limit)]  # type: ignore[arg-type]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("The inbox is empty.")
    for r in rows:
        text = r["text"].replace("\n", " ")
        out.print(f"{r['id']:>5} {r['status']:<7} {r['platform']:<9} {r['platform_message_id'] or r['delivery_id']} "
                  f"{r['customer'] or r['customer_identity']}: {text[:70]}", highlight=False)


@inbox_app.command("show")
@_fail_cleanly
def inbox_show(item_id: Annotated[int, typer.Argument(**ROW_ID, help="Inbox item id.")],
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """One inbound message with its conversation, what the agent did, and the replies."""
    from shopdesk import queue_service

    with queue_service.open_queues(_settings()) as queues:
        item = queues.inbox.get(item_id)
        if item is None:
            raise ValueError(f"no inbox item {item_id}")
        detail = queue_service.inbox_detail(item, queues)
    if as_json:
        _print_json(detail)
        return
    out.print(f"#{detail['id']} {detail['platform']} {detail['status']} (attempts {detail['attempts']}) "
              f"conversation {detail['conversation']}", highlight=False)
    out.print(f"customer {detail['customer'] or '?'} ({detail['customer_identity']}), received {detail['received_at']}",
              highlight=False)
    if detail["last_error"]:
        out.print(f"last error: {detail['last_error']}", highlight=False)
    agent = detail["agent"] or {}
    if agent:
        out.print(f"agent: intent {agent.get('intent')}, route {agent.get('route')}, "
                  f"reasons {'; '.join(agent.get('reasons') or []) or '-'}", highlight=False)
    for m in detail["thread"]:
        out.print(f"  [{m['at']}] {m['direction']} {m['author']}: {m['text']}", highlight=False)
    for r in detail["outbox"]:
        out.print(f"  outbox {r['id']}: {r['status']} {r['last_error'] or ''}", highlight=False)


@outbox_app.command("list")
@_fail_cleanly
def outbox_list(
    status: Annotated[str | None, typer.Option(help="queued, sent, dead, uncertain...")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Replies and their delivery status."""
    from shopdesk import queue_service

    with queue_service.open_queues(_settings()) as queues:
        rows = [queue_service.outbox_row(r) for r in queues.outbox.records(status)]  # type: ignore[arg-type]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        out.print(f"{r['id']:>5} {r['status']:<9} {r['platform']:<9} {r['conversation']} {r['last_error'] or ''}",
                  highlight=False)


@outbox_app.command("retry")
@_fail_cleanly
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(**ROW_ID, help="Outbox ids (default: every dead letter).")] = None,
    uncertain: Annotated[bool, typer.Option("--uncertain", help="Also release sends whose fate is unknown "
                                            "(check the platform first: this may send twice).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Send dead letters again (a running `shopdesk serve` picks them up)."""
    from shopdesk import queue_service

    with queue_service.open_queues(_settings()) as queues:
        released = queue_service.retry_outbox(queues, ids, include_uncertain=uncertain)
        rows = [queue_service.outbox_row(r) for r in released]
    if as_json:
        _print_json(rows)
        return
    out.print(f"Released {len(rows)} repl{'y' if len(rows) == 1 else 'ies'} for another try: "
              f"{', '.join(str(r['id']) for r in rows) or '-'}")


def main() -> None:
    os.umask(0o077)  # what shopdesk writes (databases, attachments, reports) is its own user's alone
    app()


if __name__ == "__main__":
    main()
