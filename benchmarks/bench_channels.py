"""Channel figures: webhook ack latency at a fixed rate, and end-to-end messages/s with 1 and 2 workers.

Run: .venv/bin/python benchmarks/bench_channels.py [--rate 50] [--seconds 10] [--messages 120]

1. Ack latency: signed TikTok NEW_MESSAGE webhooks POSTed to `shopdesk serve`'s app on loopback at a fixed
   rate (open loop: one request every 1/rate s whatever the answers do), workers running meanwhile; p50/p99
   of the time to the 200 (verify + persist + answer).
2. End to end: N customer messages delivered by the TikTok simulator as signed webhooks; time until the
   simulator has received all N replies (webhook -> inbox -> worker -> agent -> outbox -> TikTok API), with
   1 and 2 worker threads in the server, and with 1 thread plus one `shopdesk work` process.
A copy of the demo store and knowledge base is made in a temp dir; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
from collections import Counter
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from channels.serving import BackgroundServer  # noqa: E402
from agent.seller_settings import SellerSettings  # noqa: E402
from shopdesk import kb_service, store_service  # noqa: E402
from shopdesk.server import build_app  # noqa: E402
from shopdesk.service import Service  # noqa: E402
from shopdesk.settings import Settings  # noqa: E402
from shopdesk.simulate import Simulation  # noqa: E402

TEXTS = ["how long do refunds take?", "what is your return policy?", "do you ship to Alaska?",
         "how long do refunds take once you receive it?"]


def _data_dir(template: Path, into: Path) -> Path:
    shutil.copytree(template, into)
    # autopilot on every channel (a new channel is draft-only): the replies counted are the ones sent alone
    SellerSettings().with_autopilot(True).save(into / "seller_settings.json")
    for name in ("app.db", "app.db-wal", "app.db-shm", "checkpoints.db", "checkpoints.db-wal", "checkpoints.db-shm"):
        (into / name).unlink(missing_ok=True)
    return into


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def ack_latency(template: Path, tmp: Path, rate: float, seconds: float) -> None:
    base = Settings(_env_file=None, data_dir=_data_dir(template, tmp / "ack"), workers=2)  # type: ignore[call-arg]
    with Simulation(base) as sim:
        settings = sim.settings_for(base)
        with Service(settings) as service, BackgroundServer(build_app(service)) as server:
            sim.connect(server.url)
            customers = [c.id for c in sim.store.list_customers() if c.identity_on("tiktok")]
            latencies: list[float] = []
            lock = threading.Lock()
            with httpx.Client(timeout=10) as client:
                sim.tiktok.http = client
                original_post = client.post

                def timed_post(*args, **kwargs):  # type: ignore[no-untyped-def]
                    start = time.perf_counter()
                    response = original_post(*args, **kwargs)
                    with lock:
                        latencies.append(time.perf_counter() - start)
                    return response

                client.post = timed_post  # type: ignore[method-assign]
                threads = []
                total = int(rate * seconds)
                start = time.perf_counter()
                for i in range(total):
                    due = start + i / rate
                    time.sleep(max(0.0, due - time.perf_counter()))
                    t = threading.Thread(target=sim.tiktok.customer_writes,
                                         args=(customers[i % len(customers)], f"{TEXTS[i % len(TEXTS)]} #{i}"))
                    t.start()
                    threads.append(t)
                for t in threads:
                    t.join()
            ms = [x * 1000 for x in latencies]
            retried = [i.last_error for i in service.inbox.items() if i.attempts > 1]
            if retried:
                print(f"  ({len(retried)} inbox items retried: {sorted(set(retried))[:3]})")
            print(f"webhook ack at {rate:g}/s for {seconds:g}s ({len(ms)} requests, 2 workers busy meanwhile): "
                  f"p50 {_pct(ms, 50):.1f} ms, p99 {_pct(ms, 99):.1f} ms, max {max(ms):.1f} ms")


def _worker_process(data_dir: Path) -> subprocess.Popen[str]:
    """`shopdesk work` beside the server, started and ready before the clock starts."""
    exe = Path(sys.executable).with_name("shopdesk")
    env = {**os.environ, "SHOPDESK_DATA_DIR": str(data_dir), "SHOPDESK_WORKERS": "1", "SHOPDESK_POLL_INTERVAL_S": "0.02"}
    proc = subprocess.Popen([str(exe), "work"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Worker process"):
            return proc
    raise RuntimeError("shopdesk work did not start")


def end_to_end(template: Path, tmp: Path, workers: int, messages: int, processes: int = 1) -> None:
    data_dir = _data_dir(template, tmp / f"e2e{workers}-{processes}")
    base = Settings(_env_file=None, data_dir=data_dir, workers=workers, poll_interval_s=0.02)  # type: ignore[call-arg]
    with Simulation(base) as sim:
        settings = sim.settings_for(base)
        with Service(settings) as service, BackgroundServer(build_app(service)) as server:
            extra = [_worker_process(data_dir) for _ in range(processes - 1)]
            sim.connect(server.url)
            customers = [c.id for c in sim.store.list_customers() if c.identity_on("tiktok")]
            start = time.perf_counter()
            for i in range(messages):
                sim.tiktok.customer_writes(customers[i % len(customers)], TEXTS[i % len(TEXTS)])
            sent_at = time.perf_counter()
            while service.inbox.counts().get("queued", 0) + service.inbox.counts().get("claimed", 0) > 0 \
                    or any(service.outbox.counts().get(s) for s in ("queued", "claimed", "sending")):
                time.sleep(0.05)
                if time.perf_counter() - start > 600:
                    break
            elapsed = time.perf_counter() - start
            replies = len(sim.log.replies("tiktok"))
            done = service.inbox.counts().get("done", 0)
            for proc in extra:
                proc.terminate()
                proc.wait(timeout=30)
            retried = [i.last_error for i in service.inbox.items() if i.attempts > 1]
            by_process = Counter((i.claimed_by or "?").rsplit(":", 1)[0] for i in service.inbox.items())
            label = f"{workers} worker thread{'s' if workers > 1 else ''}" + (
                f" + {processes - 1} `shopdesk work` process" if processes > 1 else "")
            print(f"end to end, {label}: {done} messages processed, {replies} "
                  f"replies received by the simulator in {elapsed:.1f}s = {done / elapsed:.1f} messages/s "
                  f"(delivery alone {sent_at - start:.1f}s; {len(retried)} retried: {sorted(set(retried))[:3]}; "
                  f"items per process {sorted(by_process.values(), reverse=True)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--messages", type=int, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        template = tmp / "template"
        settings = Settings(_env_file=None, data_dir=template)  # type: ignore[call-arg]
        store_service.seed_store(settings)
        kb_service.index_knowledge(settings)
        ack_latency(template, tmp, args.rate, args.seconds)
        for workers in (1, 2):
            end_to_end(template, tmp, workers, args.messages)
        end_to_end(template, tmp, 1, args.messages, processes=2)


if __name__ == "__main__":
    main()
