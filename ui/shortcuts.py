"""Keyboard shortcuts for the console, with a `?` overlay that lists them.

A small script given to Gradio's `js` parameter (mount_gradio_app runs it once the page loads). It decides
nothing: each key clicks or focuses a console control that already exists, so the service checks the action as
it would for a mouse click. j/k click two hidden buttons whose callbacks move through the inbox in the
session's own order (ui.app wires them); the key under the cursor comes back in a hidden box, and the script
outlines that row. No shortcut fires while focus is in a text field (nor with Ctrl, Alt or Cmd held), so typing
a reply is never an action. The overlay is a modal dialog (role=dialog, aria-modal): focus moves into it,
Tab stays inside, Esc or Close shuts it and focus returns where it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import gradio as gr

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("j", "next conversation (in the inbox order)"),
    ("k", "previous conversation"),
    ("Enter or o", "open the conversation under the cursor"),
    ("a", "approve and send the draft (conversation open)"),
    ("e", "edit: put the cursor in the draft"),
    ("r", "reject: put the cursor in the reason box"),
    ("/", "search the inbox"),
    ("?", "show or hide this list"),
    ("Esc", "close this list"),
)
"""What the overlay lists (the script below implements each; keep the two in step)."""

CSS = """
#sd-shortcuts { position: fixed; inset: 0; z-index: 1000; display: flex; align-items: center; justify-content: center;
  background: rgba(0, 0, 0, 0.45); }
#sd-shortcuts[hidden] { display: none; }
#sd-shortcuts .sd-box { background: var(--background-fill-primary, #fff); color: var(--body-text-color, #111);
  border-radius: 10px; padding: 18px 22px; max-width: 520px; width: 92%; box-shadow: 0 8px 30px rgba(0,0,0,.3); }
#sd-shortcuts table { border-collapse: collapse; width: 100%; margin: 8px 0; }
#sd-shortcuts td { padding: 4px 8px; border-bottom: 1px solid var(--border-color-primary, #ddd); }
#sd-shortcuts kbd { font-family: monospace; border: 1px solid #999; border-radius: 4px; padding: 0 5px; }
#inbox-table .sd-cursor { background: var(--color-accent-soft, #fff1e6);
  box-shadow: inset 0 2px 0 var(--color-accent, #f97316), inset 0 -2px 0 var(--color-accent, #f97316); }
"""

_SCRIPT = r"""
() => {
  if (window.sdShortcuts) return;
  const SHORTCUTS = __SHORTCUTS__;
  const KEY_COLUMN = __KEY_COLUMN__;
  const q = (sel) => document.querySelector(sel);
  const shown = (el) => !!el && el.getClientRects().length > 0;
  const TEXT_INPUTS = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"];
  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") return !TEXT_INPUTS.includes((el.type || "text").toLowerCase());
    return ["textbox", "searchbox", "combobox"].includes(el.getAttribute("role"));
  }
  function interactive(el) {
    return !!el && el !== document.body && !!el.closest("button, a[href], input, select, textarea, summary, [role=gridcell], " +
      "[role=button], [role=tab], [role=option], [role=checkbox], [role=radio], [role=switch], [role=menuitem]");
  }
  function click(sel) { const el = q(sel); if (el && !el.disabled) { el.click(); return true; } return false; }
  function tabButton(name) {
    return Array.from(document.querySelectorAll("[role=tab]")).find((t) => t.textContent.trim() === name);
  }
  function onTab(id) { return shown(q("#" + id)); }
  function focusIn(tabName, tabId, selectors) {
    const go = () => { for (const s of selectors) { const el = q(s); if (shown(el)) { el.focus(); return true; } }
                       return false; };
    if (onTab(tabId)) { go(); return; }
    const t = tabButton(tabName); if (t) t.click();
    let tries = 0; const wait = () => { if (!go() && ++tries < 20) setTimeout(wait, 50); }; setTimeout(wait, 50);
  }

  // ------------------------------------------------------------------ the ? overlay
  let dialog = null, returnTo = null;
  function build() {
    dialog = document.createElement("div");
    dialog.id = "sd-shortcuts";
    dialog.hidden = true;
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "sd-shortcuts-title");
    const box = document.createElement("div"); box.className = "sd-box"; dialog.appendChild(box);
    const h = document.createElement("h2"); h.id = "sd-shortcuts-title"; h.textContent = "Keyboard shortcuts";
    box.appendChild(h);
    const table = document.createElement("table"); box.appendChild(table);
    for (const [key, what] of SHORTCUTS) {
      const tr = table.insertRow(); const k = document.createElement("kbd"); k.textContent = key;
      tr.insertCell().appendChild(k); tr.insertCell().textContent = what;
    }
    const p = document.createElement("p");
    p.textContent = "Shortcuts do nothing while you type in a text box. Esc closes this list.";
    box.appendChild(p);
    const close = document.createElement("button"); close.type = "button"; close.id = "sd-shortcuts-close";
    close.textContent = "Close"; close.className = "lg secondary"; close.addEventListener("click", hide);
    box.appendChild(close);
    dialog.addEventListener("click", (ev) => { if (ev.target === dialog) hide(); });
    dialog.addEventListener("keydown", (ev) => {
      if (ev.key !== "Tab") return;
      const items = Array.from(dialog.querySelectorAll("button, [href], [tabindex]:not([tabindex='-1'])"));
      const first = items[0], last = items[items.length - 1];
      if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); }
      else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
      else if (!dialog.contains(document.activeElement)) { ev.preventDefault(); first.focus(); }
    });
    document.body.appendChild(dialog);
  }
  function isOpen() { return !!dialog && !dialog.hidden; }
  function show() {
    if (!dialog) build();
    returnTo = document.activeElement;
    dialog.hidden = false;
    q("#sd-shortcuts-close").focus();
  }
  function hide() {
    if (!isOpen()) return;
    dialog.hidden = true;
    if (returnTo && document.contains(returnTo) && returnTo !== document.body) returnTo.focus();
    returnTo = null;
  }

  // ------------------------------------------------------------------ the row under the cursor
  let lastCursor = "";
  function cursorKey() { const el = q("#kbd-cursor textarea, #kbd-cursor input"); return el ? el.value : ""; }
  function outline() {
    const key = cursorKey();
    const table = q("#inbox-table");
    if (!table) return;
    let row = null;
    for (const cell of table.querySelectorAll("[data-testid^='cell-']")) {
      const m = /^cell-(\d+)-(\d+)$/.exec(cell.getAttribute("data-testid") || "");
      if (m && Number(m[2]) === KEY_COLUMN && key && cell.textContent.trim() === key) row = m[1];
    }
    for (const cell of table.querySelectorAll("[data-testid^='cell-']")) {
      const m = /^cell-(\d+)-/.exec(cell.getAttribute("data-testid") || "");
      const on = row !== null && m && m[1] === row;
      cell.classList.toggle("sd-cursor", !!on);
      if (on) cell.closest("[role=row], tr")?.setAttribute("aria-current", "true");
      else if (m) cell.closest("[role=row], tr")?.removeAttribute("aria-current");
    }
    if (key !== lastCursor && row !== null) {
      table.querySelector(`[data-testid='cell-${row}-0']`)?.scrollIntoView({ block: "nearest" });
    }
    lastCursor = key;
  }
  setInterval(outline, 250);

  // ------------------------------------------------------------------ the keys
  document.addEventListener("keydown", (ev) => {
    if (isOpen()) {
      if (ev.key === "Escape" || ev.key === "?") { ev.preventDefault(); hide(); }
      return;
    }
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    const target = ev.target instanceof Element ? ev.target : document.activeElement;
    if (typing(target)) return;
    const inbox = onTab("tab-inbox"), conversation = onTab("tab-conversation");
    let done = false;
    switch (ev.key) {
      case "?": show(); done = true; break;
      case "j": done = click("#kbd-next"); break;
      case "k": done = click("#kbd-prev"); break;
      case "o": done = inbox && click("#open-button"); break;
      case "Enter": done = inbox && !interactive(target) && click("#open-button"); break;
      case "a": done = conversation && click("#approve-send"); break;
      case "e": focusIn("Conversation", "tab-conversation", ["#draft textarea"]); done = true; break;
      case "r": focusIn("Conversation", "tab-conversation", ["#reject-reason textarea", "#reject-reason input"]);
                done = true; break;
      case "/": focusIn("Inbox", "tab-inbox", ["#inbox-search input", "#inbox-search textarea",
                                               "#open-select input"]); done = true; break;
    }
    if (done) ev.preventDefault();
  });
  window.sdShortcuts = { open: show, close: hide };
}
"""


def script(key_column: int) -> str:
    """The script for `js=`: the overlay's rows and the inbox's key column filled in."""
    return (_SCRIPT.replace("__SHORTCUTS__", json.dumps([list(s) for s in SHORTCUTS]))
            .replace("__KEY_COLUMN__", str(int(key_column))))


@dataclass
class ShortcutControls:
    """Hidden controls the keys drive (in the DOM, not on screen): the j/k buttons and the box holding the key
    under the cursor."""

    next: gr.Button
    prev: gr.Button
    cursor: gr.Textbox


def build() -> ShortcutControls:
    with gr.Row(visible="hidden", elem_id="kbd-controls"):
        step_next = gr.Button("Next conversation", elem_id="kbd-next", visible="hidden")
        step_prev = gr.Button("Previous conversation", elem_id="kbd-prev", visible="hidden")
        cursor = gr.Textbox("", label="Conversation under the keyboard cursor", elem_id="kbd-cursor", visible="hidden",
                             interactive=False)
    return ShortcutControls(step_next, step_prev, cursor)


def help_button() -> gr.Button:
    """The visible way to the overlay, for people who do not know about `?` (wired with `OPEN_JS`)."""
    return gr.Button("Shortcuts (?)", elem_id="shortcuts-help", size="md", scale=0, min_width=140)


OPEN_JS = "() => { if (window.sdShortcuts) window.sdShortcuts.open(); }"


def step(keys: list[str], current: str | None, delta: int) -> str | None:
    """The key `delta` rows from `current` in `keys` (the inbox as shown), clamped at both ends; the first row
    when nothing is under the cursor yet (or it left the list); None for an empty inbox."""
    if not keys:
        return None
    if current not in keys:
        return keys[0]
    return keys[max(0, min(len(keys) - 1, keys.index(current) + delta))]
