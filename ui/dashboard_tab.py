"""Tab 3, the dashboard: the figures of ConsoleService.dashboard() as tables (exact numbers) and bar charts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import gradio as gr
import pandas as pd

from shopdesk.console_service import ConsoleService
from ui.format import counts_frame, hours, md_table, percent, when

PLATFORM_HEADERS = ["Platform", "Conversations", "Answered", "First response p50", "First response p90",
                    "Answered within the platform's clock"]


@dataclass
class DashboardTab:
    refresh: gr.Button
    asof: gr.Markdown
    kpis: gr.Markdown
    platforms: gr.Markdown
    breakdowns: gr.Markdown
    frt_plot: gr.BarPlot
    within_plot: gr.BarPlot
    platform_plot: gr.BarPlot
    intent_plot: gr.BarPlot
    handoff_plot: gr.BarPlot
    blocks_plot: gr.BarPlot

    @property
    def outputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self) if f.name != "refresh"]


def build() -> DashboardTab:
    with gr.Row():
        asof = gr.Markdown("", elem_id="dashboard-asof")
        refresh = gr.Button("Refresh figures", elem_id="dashboard-refresh", scale=0, min_width=160)
    kpis = gr.Markdown("", elem_id="kpi-summary")
    platforms = gr.Markdown("", elem_id="platform-figures")
    with gr.Row():
        frt_plot = gr.BarPlot(x="bar", y="hours", color="percentile", title="First response time (hours)",
                              label="First response time p50 and p90 by platform", elem_id="plot-frt",
                              x_title="platform and percentile", y_title="hours", x_label_angle=-30,
                              y_lim=[0, None])
        within_plot = gr.BarPlot(x="platform", y="percent", title="Answered within the platform's clock (%)",
                                 label="Share answered within each platform's clock", elem_id="plot-within",
                                 y_lim=[0, 100])
    with gr.Row():
        platform_plot = gr.BarPlot(x="platform", y="conversations", title="Volume by platform",
                                   label="Conversations by platform", elem_id="plot-platform", y_lim=[0, None])
        intent_plot = gr.BarPlot(x="intent", y="conversations", title="Volume by intent",
                                 label="Conversations by intent", elem_id="plot-intent", x_label_angle=-30,
                                 y_lim=[0, None])
    with gr.Row():
        handoff_plot = gr.BarPlot(x="reason", y="handoffs", title="Handoffs by reason", label="Handoffs by reason",
                                  elem_id="plot-handoffs", x_label_angle=-20,
                                  y_lim=[0, None])
        blocks_plot = gr.BarPlot(x="rule", y="blocks", title="Compliance blocks by rule",
                                 label="Compliance blocks by rule", elem_id="plot-blocks", x_label_angle=-20,
                                 y_lim=[0, None])
    breakdowns = gr.Markdown("", elem_id="dashboard-breakdowns")
    return DashboardTab(refresh, asof, kpis, platforms, breakdowns, frt_plot, within_plot, platform_plot, intent_plot,
                        handoff_plot, blocks_plot)


def refresh(console: ConsoleService, tab: DashboardTab) -> dict[Any, Any]:
    board = console.dashboard()
    kpis = md_table(["Figure", "Value"], [
        ("Conversations", board.conversations),
        ("Replies sent", board.replies_sent),
        ("Automation rate (sent by the agent without a person)", percent(board.automation_rate, 1)),
        ("Handoff rate (processed conversations handed to a person)", percent(board.handoff_rate, 1)),
        ("Amazon order defect rate (60 days; Amazon's target is under 1%)", percent(board.amazon_odr, 2)),
    ])
    platforms = md_table(PLATFORM_HEADERS, [
        (p.platform, p.conversations, p.answered, hours(p.first_response_p50_s), hours(p.first_response_p90_s),
         percent(p.within_clock_share)) for p in board.platforms])
    health = md_table(["Platform", "Figure", "Value", "Limit", "Status", "Orders (window)"], [
        (f.platform, f.name, percent(f.value, 2), f"{'at most' if f.kind == 'max' else 'at least'} {percent(f.limit, 0)}",
         "no orders" if f.ok is None else ("✓ OK" if f.ok else "⚠ AT RISK"), f"{f.orders} ({f.window_days} days)")
        for f in board.account_health])
    breakdowns = "\n\n".join([
        "#### Account health (the marketplaces' limits, from the policy files)\n\n" + health,
        "#### Handoffs by reason\n\n" + md_table(["Reason", "Handoffs"], sorted(board.handoffs_by_reason.items())),
        "#### Compliance blocks by rule\n\n" + md_table(["Rule", "Blocks"],
                                                        sorted(board.compliance_blocks_by_rule.items())),
        "#### Volume by intent\n\n" + md_table(["Intent", "Conversations"], sorted(board.volume_by_intent.items())),
        "#### Volume by platform\n\n" + md_table(["Platform", "Conversations"],
                                                 sorted(board.volume_by_platform.items())),
    ])
    frt = pd.DataFrame(
        [(f"{p.platform} {name}", name, round(value / 3600, 2)) for p in board.platforms
         for name, value in (("p50", p.first_response_p50_s), ("p90", p.first_response_p90_s)) if value is not None],
        columns=["bar", "percentile", "hours"])
    within = pd.DataFrame([(p.platform, round(p.within_clock_share * 100, 1)) for p in board.platforms
                           if p.within_clock_share is not None], columns=["platform", "percent"])
    return {
        tab.asof: f"Figures from the app database as of {when(console.service.clock.now())} (service clock).",
        tab.kpis: "#### Key figures\n\n" + kpis,
        tab.platforms: "#### By platform\n\n" + platforms,
        tab.breakdowns: breakdowns,
        tab.frt_plot: frt,
        tab.within_plot: within,
        tab.platform_plot: counts_frame(board.volume_by_platform, "platform", "conversations"),
        tab.intent_plot: counts_frame(board.volume_by_intent, "intent", "conversations"),
        tab.handoff_plot: counts_frame(board.handoffs_by_reason, "reason", "handoffs"),
        tab.blocks_plot: counts_frame(board.compliance_blocks_by_rule, "rule", "blocks"),
    }
