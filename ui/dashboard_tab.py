"""Tab 3, the dashboard: the figures of ConsoleService.dashboard() as tables (exact numbers) and bar charts.

Presentation only: every figure comes from the application layer (shopdesk/metrics_service.py) with its
definition, shown on hover (a `title`) and again in "How these figures are counted" for keyboard and touch
users, and its sample size next to the value; a figure without enough data says "n/a (why)".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import gradio as gr
import pandas as pd

from shopdesk.console_service import ConsoleService, Dashboard
from shopdesk.metrics_service import APPROVAL_RATE, FIRST_RESPONSE, Figure, Metrics, PlatformMetrics, counted
from ui.format import counts_frame, duration, md_table, percent, when

KPI_HEADERS = ["Figure", "Value", "Sample"]
PLATFORM_HEADERS = ["Platform", "The platform's clock", "Conversations", "First response, median",
                    "First response, p90", "Answered within the clock"]


@dataclass
class DashboardTab:
    refresh: gr.Button
    asof: gr.Markdown
    kpis: gr.HTML
    platforms: gr.HTML
    reviews: gr.HTML
    definitions: gr.HTML
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
    kpis = gr.HTML("", elem_id="kpi-summary", js_on_load=None)
    platforms = gr.HTML("", elem_id="platform-figures", js_on_load=None)
    reviews = gr.HTML("", elem_id="review-by-intent", js_on_load=None)
    definitions = gr.HTML("", elem_id="figure-definitions", js_on_load=None)
    with gr.Row():
        frt_plot = gr.BarPlot(x="bar", y="minutes", color="percentile", title="First response time (minutes)",
                              label="First response median and p90 by platform", elem_id="plot-frt",
                              x_title="platform and percentile", y_title="minutes", x_label_angle=-30,
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
    return DashboardTab(refresh, asof, kpis, platforms, reviews, definitions, breakdowns, frt_plot, within_plot,
                        platform_plot, intent_plot, handoff_plot, blocks_plot)


# ---------------------------------------------------------------------------------------------- formatting

def minutes(value: float) -> str:
    """'12 min', '1,380 min (23 h 0 m)': minutes always, a reading aid once it is over an hour."""
    text = f"{value:,.0f} min" if value >= 1 else f"{value * 60:.0f} s"
    return text + (f" ({duration(value * 60)})" if value >= 60 else "")


def share(value: float) -> str:
    return percent(value, 1)


def figure_value(fig: Figure, fmt: Callable[[float], str]) -> str:
    return f"n/a ({fig.missing})" if fig.value is None else fmt(fig.value)


def sample(fig: Figure) -> str:
    return f"n = {counted(fig.sample, fig.unit)}"


def figure_cell(fig: Figure, fmt: Callable[[float], str], *, with_sample: bool = True) -> str:
    """A table cell: the value (or n/a and why), its sample under it, the definition on hover."""
    tip = f"{fig.definition} Sample: {sample(fig)}."
    body = f'<span class="sd-fig-value">{html.escape(figure_value(fig, fmt))}</span>'
    if with_sample:
        body += f'<br><small class="sd-fig-n">{html.escape(sample(fig))}</small>'
    return f'<td class="sd-fig" title="{html.escape(tip)}">{body}</td>'


def plain_cell(text: Any, tip: str | None = None) -> str:
    title = f' title="{html.escape(tip)}"' if tip else ""
    return f"<td{title}>{html.escape(str(text))}</td>"


def html_table(label: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`rows` are already made of <td> cells (escaped by the helpers above)."""
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return (f'<table class="sd-figures" aria-label="{html.escape(label)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


CONVERSATIONS_TIP = "Every conversation in the app database, on every channel, open or closed."
REPLIES_TIP = ("Messages that reached customers: the agent's replies, people's replies and holding messages "
               "(\"a person has your message and will reply by ...\"). Holding messages answer nothing, so the "
               "automation rate per reply leaves them out of its sample.")


def sent_split(board: Dashboard) -> str:
    """'4 replies + 27 holding messages': why "Replies sent" is larger than the automation figures' samples."""
    replies = board.replies_sent - board.holding_sent
    holding = "1 holding message" if board.holding_sent == 1 else f"{board.holding_sent:,} holding messages"
    return f"{counted(replies, 'replies')} + {holding}"


def kpi_html(board: Dashboard, metrics: Metrics) -> str:
    odr = next((f for f in board.account_health if f.platform == "amazon"), None)
    rows = [
        [plain_cell("Automation rate per conversation", metrics.automation_per_conversation.definition),
         figure_cell(metrics.automation_per_conversation, share, with_sample=False),
         plain_cell(sample(metrics.automation_per_conversation))],
        [plain_cell("Automation rate per reply", metrics.automation_per_reply.definition),
         figure_cell(metrics.automation_per_reply, share, with_sample=False),
         plain_cell(sample(metrics.automation_per_reply))],
        [plain_cell("Handoff rate", metrics.handoff_rate.definition),
         figure_cell(metrics.handoff_rate, share, with_sample=False), plain_cell(sample(metrics.handoff_rate))],
        [plain_cell("Conversations", CONVERSATIONS_TIP), plain_cell(f"{board.conversations:,}", CONVERSATIONS_TIP),
         plain_cell("every conversation")],
        [plain_cell("Replies sent", REPLIES_TIP), plain_cell(f"{board.replies_sent:,}", REPLIES_TIP),
         plain_cell(sent_split(board), REPLIES_TIP)],
    ]
    if odr is not None:
        tip = (f"Amazon order defect rate: orders with negative feedback (1-2 stars), an A-to-z claim not denied "
               f"or a chargeback, out of the orders of the last {odr.window_days} days (the demo store's "
               f"orders); Amazon's limit is under {percent(odr.limit, 0)}.")
        value = "n/a (no orders in the window)" if odr.value is None else percent(odr.value, 2)
        rows.append([plain_cell("Amazon order defect rate", tip), plain_cell(value, tip),
                     plain_cell(f"n = {odr.orders:,} orders ({odr.window_days} days)")])
    return "<h4>Key figures</h4>" + html_table("Key figures", KPI_HEADERS, rows)


def platform_row(p: PlatformMetrics) -> list[str]:
    conversations_tip = f"Conversations on {p.display_name} with at least one customer message."
    return [plain_cell(p.platform, p.display_name), plain_cell(p.clock, p.within_clock.definition),
            plain_cell(f"{p.conversations:,}", conversations_tip),
            figure_cell(p.first_response_median_min, minutes), figure_cell(p.first_response_p90_min, minutes),
            figure_cell(p.within_clock, share)]


def platforms_html(metrics: Metrics) -> str:
    rows = [platform_row(p) for p in metrics.platforms]
    return ("<h4>By platform, on each platform's own clock</h4>"
            + html_table("Figures by platform", PLATFORM_HEADERS, rows))


REVIEW_HEADERS = ["Intent", "Drafts decided", "Approved unchanged", "Edited", "Rejected", "Approval rate"]


def reviews_html(metrics: Metrics) -> str:
    """What people did with each intent's drafts: the evidence for turning autopilot on for that intent."""
    intro = ("<h4>Review outcomes by intent</h4><p>Drafts people decided while the agent was draft-only or held "
             "them for review. An intent whose drafts are approved unchanged, steadily and over many drafts, is "
             "a candidate for autopilot (Settings, per channel and intent).</p>")
    if not metrics.review_by_intent:
        return intro + "<p>n/a (no reviewed drafts yet)</p>"
    rows = [[plain_cell(r.intent.replace("_", " ")), plain_cell(f"{r.reviewed:,}"), plain_cell(f"{r.approved:,}"),
             plain_cell(f"{r.edited:,}"), plain_cell(f"{r.rejected:,}"), figure_cell(r.approval_rate, share)]
            for r in metrics.review_by_intent]
    return intro + html_table("Review outcomes by intent", REVIEW_HEADERS, rows)


def definitions_html(metrics: Metrics) -> str:
    """Every definition again, as text: a title only shows to a mouse."""
    items = [("Automation rate per conversation", metrics.automation_per_conversation.definition),
             ("Automation rate per reply", metrics.automation_per_reply.definition),
             ("Handoff rate", metrics.handoff_rate.definition)]
    items.append(("First response, median and p90", FIRST_RESPONSE))
    items += [(f"Within the clock on {p.display_name}", p.within_clock.definition) for p in metrics.platforms]
    items.append(("Approval rate (review outcomes by intent)", APPROVAL_RATE))
    body = "".join(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>" for name, text in items)
    return f"<details><summary>How these figures are counted</summary><dl>{body}</dl></details>"


def refresh(console: ConsoleService, tab: DashboardTab) -> dict[Any, Any]:
    board = console.dashboard()
    metrics = board.metrics
    health = md_table(["Platform", "Figure", "Value", "Limit", "Status", "Orders (window)"], [
        (f.platform, f.name, percent(f.value, 2), f"{'at most' if f.kind == 'max' else 'at least'} {percent(f.limit, 0)}",
         "no orders" if f.ok is None else ("✓ OK" if f.ok else "⚠ AT RISK"), f"{f.orders} ({f.window_days} days)")
        for f in board.account_health])
    breakdowns = "\n\n".join([
        "#### Account health (the marketplaces' limits, from the policy files)\n\n" + health,
        "#### Handoffs by reason\n\nConversations handed to a person, by the reason the agent gave.\n\n"
        + md_table(["Reason", "Handoffs"], sorted(board.handoffs_by_reason.items())),
        "#### Compliance blocks by rule\n\nDrafts a marketplace rule stopped, by rule.\n\n"
        + md_table(["Rule", "Blocks"], sorted(board.compliance_blocks_by_rule.items())),
        "#### Volume by intent\n\n" + md_table(["Intent", "Conversations"], sorted(board.volume_by_intent.items())),
        "#### Volume by platform\n\n" + md_table(["Platform", "Conversations"],
                                                 sorted(board.volume_by_platform.items())),
    ])
    frt = pd.DataFrame(
        [(f"{p.platform} {name}", name, round(fig.value, 1)) for p in metrics.platforms
         for name, fig in (("median", p.first_response_median_min), ("p90", p.first_response_p90_min))
         if fig.value is not None],
        columns=["bar", "percentile", "minutes"])
    within = pd.DataFrame([(p.platform, round(p.within_clock.value * 100, 1)) for p in metrics.platforms
                           if p.within_clock.value is not None], columns=["platform", "percent"])
    return {
        tab.asof: f"Figures from the app database as of {when(console.service.clock.now(), console.display_zone())} "
                  "(service clock). Hover a figure for its definition; n is the number of cases it counts.",
        tab.kpis: kpi_html(board, metrics),
        tab.platforms: platforms_html(metrics),
        tab.reviews: reviews_html(metrics),
        tab.definitions: definitions_html(metrics),
        tab.breakdowns: breakdowns,
        tab.frt_plot: frt,
        tab.within_plot: within,
        tab.platform_plot: counts_frame(board.volume_by_platform, "platform", "conversations"),
        tab.intent_plot: counts_frame(board.volume_by_intent, "intent", "conversations"),
        tab.handoff_plot: counts_frame(board.handoffs_by_reason, "reason", "handoffs"),
        tab.blocks_plot: counts_frame(board.compliance_blocks_by_rule, "rule", "blocks"),
    }
