"""Self-contained HTML report of an eval run: tables and inline SVG charts, no scripts, no network."""

from __future__ import annotations

import html
from collections.abc import Mapping

from evals.suite import EvalRun


def _bars(title: str, values: Mapping[str, float], *, percent: bool = True, width: int = 560) -> str:
    if not values:
        return f"<h3>{html.escape(title)}</h3><p>No data.</p>"
    row = 22
    top = max(values.values()) or 1
    height = row * len(values) + 10
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">']
    for i, (label, value) in enumerate(values.items()):
        scale = 1.0 if percent else top
        length = int((width - 260) * (value / scale if scale else 0))
        y = i * row + 5
        shown = f"{value * 100:.0f}%" if percent else f"{value:g}"
        parts.append(f'<text x="0" y="{y + 14}">{html.escape(label)}</text>'
                     f'<rect x="180" y="{y}" width="{max(length, 1)}" height="16" fill="#2f6f4f"/>'
                     f'<text x="{186 + length}" y="{y + 14}">{shown}</text>')
    parts.append("</svg>")
    return f"<h3>{html.escape(title)}</h3>" + "".join(parts)


def _histogram(values: list[float], buckets: int = 10) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values), max(values)
    step = (high - low) / buckets or 1
    counts = [0] * buckets
    for v in values:
        counts[min(buckets - 1, int((v - low) / step))] += 1
    return {f"{low + i * step:.0f}-{low + (i + 1) * step:.0f} ms": c for i, c in enumerate(counts)}


def _share(value: object) -> str:
    """A share as a percentage; "n/a" when its denominator was empty (None), so 0% always means zero."""
    return f"{value:.1%}" if isinstance(value, (int, float)) else "n/a"


def render_html(run: EvalRun) -> str:
    s = run.summary
    wrong_ids = ", ".join(s.get("wrong_auto_send_ids") or [])
    headline = [("Scenarios", s["scenarios"]), ("Runs", s["runs"]), ("Pass rate", f"{s['pass_rate']:.1%}"),
                ("pass^k", ", ".join(f"^{k} {v:.2f}" for k, v in s["pass^k"].items())),
                ("Intent accuracy", s["intent_accuracy"]), ("Intent macro-F1", s["intent_macro_f1"]),
                ("Trajectory match", s["trajectory_match"]), ("End-state match", s["end_state_match"]),
                ("Required facts", s["required_facts"]), ("Grounded replies", s["grounded_replies"]),
                ("Handoff precision / recall", f"{s['handoff_precision']} / {s['handoff_recall']}"),
                ("Automation rate (last turn auto-sent)", _share(s.get("automation_rate"))),
                ("Wrong auto-sends", f"{s.get('wrong_auto_sends', 0)} of {s.get('auto_sent', 0)} auto-sent "
                                     f"({_share(s.get('wrong_auto_send_share'))})"
                                     + (f": {wrong_ids}" if wrong_ids else "")),
                ("Order resolution accuracy", f"{_share(s.get('order_resolution_accuracy'))} "
                                              f"(n = {s.get('order_resolution_n', 0)})"),
                ("Latency p50 / p95 (ms)", f"{s['latency_ms']['p50']} / {s['latency_ms']['p95']}"),
                ("LLM calls / tokens per scenario", f"{s['llm_calls_per_scenario']} / {s['tokens_per_scenario']}")]
    rows = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in headline)
    failures = "".join(
        f"<tr><td>{html.escape(r.id)}</td><td>{html.escape(r.platform)}</td><td>{r.run}</td>"
        f"<td>{html.escape('; '.join(r.failed_checks) or r.error or '')}</td></tr>"
        for r in run.results if not r.passed and not r.skipped
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>shopdesk eval {html.escape(run.id)}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#1d1d1d}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}</style></head><body>
<h1>Eval run {html.escape(run.id)}</h1>
<p>Configuration <strong>{html.escape(run.config)}</strong>, engine <strong>{html.escape(run.engine)}</strong>,
scenarios from {html.escape(run.scenario_source)},
k = {run.k}, started {run.started_at:%Y-%m-%d %H:%M UTC}.</p>
<table>{rows}</table>
{_bars("Pass rate by platform", s["pass_rate_by_platform"])}
{_bars("Pass rate by intent", s["pass_rate_by_intent"])}
{_bars("Compliance violations by rule", s["compliance_violations_by_rule"], percent=False)}
{_bars("Latency per turn (count of runs)", _histogram([r.latency_ms for r in run.results if not r.skipped]), percent=False)}
<h2>Failed scenarios</h2>
<table><tr><th>scenario</th><th>platform</th><th>run</th><th>why</th></tr>{failures or "<tr><td colspan=4>None</td></tr>"}</table>
</body></html>"""
