"""Tab 5, eval runs: the runs saved under the data dir (evals.suite.list_runs), newest first, read-only; start times
in the seller's time zone (ConsoleService.display_zone), as everywhere in the console."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr

from evals.suite import list_runs
from shopdesk.console_service import ConsoleService
from ui.format import frame, md_escape, percent, when

HEADERS = ["Run", "Started", "Configuration", "Scenarios", "Pass rate", "Saved in"]


@dataclass
class EvalsTab:
    refresh: gr.Button
    note: gr.Markdown
    table: gr.Dataframe


def build() -> EvalsTab:
    with gr.Row():
        note = gr.Markdown("", elem_id="evals-note")
        refresh = gr.Button("Refresh runs", elem_id="evals-refresh", scale=0, min_width=150)
    table = gr.Dataframe(frame(HEADERS, []), label="Saved eval runs (newest first)", interactive=False,
                         elem_id="evals-table", wrap=True)
    return EvalsTab(refresh, note, table)


def _config(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)


def refresh(console: ConsoleService, tab: EvalsTab) -> dict[Any, Any]:
    try:
        runs = list_runs(console.service.settings)
    except (OSError, ValueError, KeyError) as exc:  # a half-written report must not break the console
        return {tab.note: f"**Could not read the eval runs:** {md_escape(exc)}", tab.table: frame(HEADERS, [])}
    zone = console.display_zone()  # like every other time the console shows: in the seller's time zone
    rows = [[r["id"], when(r["started_at"], zone), _config(r["config"]), r["scenarios"], percent(r["pass_rate"], 1),
             r["path"]] for r in runs]
    note = (f"{len(runs)} saved run{'s' if len(runs) != 1 else ''} (times in {zone}). Start one with "
            "`shopdesk eval run`."
            if runs else "No eval runs saved yet. Start one with `shopdesk eval run`.")
    return {tab.note: note, tab.table: frame(HEADERS, rows)}
