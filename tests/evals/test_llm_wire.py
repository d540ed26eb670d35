"""`make test-llm`'s entry point without the real model: the fake OpenAI server on 127.0.0.1 stands in.

The real run (llama-cpp-python serving SmolLM2) is too slow for the suite; these check that the report
has its figures, that the oracle catches invented facts, and that the exit code follows the gate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evals import llm_wire
from shopdesk import kb_service

from fake_llm import FakeOpenAIServer

SET = {"scenarios": [
    {"id": "wire-wismo", "platform": "amazon", "tags": ["order_status"],
     "store": {"order": {"platform": "amazon", "status": "in_transit", "shipment": "on_time"}},
     "turns": ["where is my order {order.id}?"],
     "expect": {"intent": "order_status", "end_state": {"unchanged": True}}},
    {"id": "wire-policy", "platform": "walmart", "tags": ["policy_question"],
     "store": {"order": {"platform": "walmart", "status": "delivered"}},
     "turns": ["how long do refunds take?"], "expect": {}},
]}
INVENTED = "Hi! Order 999-0000000-0000000 ships in 45 days, details at www.fast-track-deals.com"


def test_oracle_flags_invented_facts_and_passes_grounded_ones() -> None:
    evidence = ['{"order_id": "112-3456789-0123456", "total": "24.50", "carrier": "UPS", '
                '"tracking_number": "1Z999AA10123456784", "estimated_delivery": "2026-12-02"}',
                "Refunds reach the original payment method within 3-5 business days.", "Runtime: 3.5 hours"]
    grounded = ("Your order 112-3456789-0123456 ($24.50) is with UPS, tracking 1Z999AA10123456784, due Dec 2. "
                "Refunds take 3-5 business days; the lamp runs 3.5 hours.")
    assert llm_wire.unmapped_facts(grounded, evidence) == []
    found = llm_wire.unmapped_facts("Order #99881234 ($30.00) arrives Dec 24; call 555-123-4567 or see "
                                    "https://deals.example.com/x, refunds take 45 days", evidence)
    kinds = sorted(f.split(":")[0] for f in found)
    assert kinds == ["amount", "date", "duration", "identifier", "link", "phone"], found


def test_gate_fails_on_a_bad_auto_send_only() -> None:
    run = {"summary": {"scenarios": 1, "pass_rate": 1.0, "latency_ms": {"p50": 1, "p95": 1}, "errors": 0},
           "results": [{"id": "s", "run": 0, "passed": True, "failed_checks": []}]}
    turn = {"scenario": "s", "auto_sent": True, "text": "ok", "engine": "llm", "template": "order_status",
            "rewritten": False, "violations": [], "recheck_violations": [], "unmapped": [], "grounding": None,
            "route": "auto_send", "reasons": [], "discarded_rewording": None, "discarded_reasons": [],
            "draft_fields": ["text"]}
    llm = {"calls": 1, "ok": 1}
    assert llm_wire.build_report(run, [turn], llm)["gate"]["passed"]
    bad = llm_wire.build_report(run, [{**turn, "unmapped": ["link: www.x.com"]}], llm)
    assert not bad["gate"]["passed"] and bad["auto_sends_with_false_or_unmapped_fact"] == 1
    assert bad["bad_auto_sends"][0]["unmapped_facts"] == ["link: www.x.com"]
    held = llm_wire.build_report(run, [{**turn, "auto_sent": False, "route": "handoff", "unmapped": ["link: x.com"]}], llm)
    assert held["gate"]["passed"] and held["guards"]["drafts_with_unmapped_fact_any_route"] == 1
    assert not llm_wire.build_report(run, [turn], {"calls": 3, "ok": 0})["gate"]["passed"]  # never on the wire


@pytest.mark.slow
def test_entry_point_against_the_fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sets = tmp_path / "wire.yaml"
    sets.write_text(yaml.safe_dump(SET))
    # an empty knowledge index: indexing the whole KB would take most of this test's time, and what is
    # under test here is the wire and the report, not retrieval
    monkeypatch.setattr(kb_service, "ensure_indexed", lambda settings: None)
    for name, value in (("SHOPDESK_DATA_DIR", str(tmp_path / "data")), ("SHOPDESK_LLM_BASE_URL", ""),
                        ("SHOPDESK_LLM_MODEL", ""), ("SHOPDESK_LLM_TIMEOUT_S", "5"), ("SHOPDESK_LLM_MAX_RETRIES", "0")):
        monkeypatch.setenv(name, value)
    out = tmp_path / "report.json"
    with FakeOpenAIServer(model="smol") as server:
        server.reply_text(INVENTED)  # then the script runs dry: HTTP 500, no retry
        code = llm_wire.main(["--sets", str(sets), "--base-url", server.base_url, "--model", "smol",
                              "--out", str(out)])
        assert server.chat_requests and server.chat_requests[0].json["model"] == "smol"
    report = json.loads(out.read_text())
    for key in ("scenarios", "pass_rate", "auto_send_rate", "wrong_auto_sends", "auto_sends_with_false_or_unmapped_fact",
                "auto_sends_breaking_a_rule", "discarded_rewording_rate", "guards", "llm", "latency_ms_per_turn",
                "bad_auto_sends", "gate"):
        assert key in report, key
    assert report["scenarios"] == 2 and report["turns"] + report["errors"] >= 2  # a crash is counted, not lost
    assert report["llm"]["calls"] == len(server.chat_requests) and report["llm"]["ok"] >= 1
    assert report["llm"]["prompt_tokens"] > 0  # as the server reported them
    assert sum(report["llm"]["errors_by_reason"].values()) == report["llm"]["calls"] - report["llm"]["ok"]
    assert set(report["llm"]["errors_by_reason"]) <= {"http_status"}  # the dry script's 500s, classified
    sent = " ".join(b["text"] or "" for b in report["bad_auto_sends"])
    caught = report["guards"]["compliance_violations_by_rule"] or report["auto_sends_with_false_or_unmapped_fact"]
    assert caught or "999-0000000-0000000" not in sent  # the invented id was either stopped or counted
    assert code == (0 if report["gate"]["passed"] else 1)
    assert report["gate"]["passed"] == (report["auto_sends_with_false_or_unmapped_fact"] == 0
                                        and report["auto_sends_breaking_a_rule"] == 0)
