"""The running service: inbox intake, worker threads, the outbox dispatcher, the email poller and the
attachment fetcher (customers' photos by URL, runtime/attachment_fetch.py).

`Service` owns every long-lived object (stores, the agent runtime, channel clients) and the background
threads; the HTTP app (`shopdesk.server`) and the console call into it. Worker threads share one agent
runtime (the graph is re-entrant; SQLite connections are shared behind locks): messages of one conversation
are handed out one at a time by the inbox, different conversations run in parallel.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

import httpx

from agent.intent_vocabulary import vocabularies
from agent.runtime import AgentRuntime
from channels.attachment_store import AttachmentStore
from channels.base import ChannelSender
from runtime.attachment_fetch import AttachmentFetcher
from runtime.conversations import ConversationStore
from runtime.dispatcher import Dispatcher
from runtime.inbox import Inbox
from runtime.intake import Intake
from runtime.worker import Worker
from shopdesk.agent_service import open_runtime
from shopdesk.channel_configs import channel_configs
from shopdesk.settings import Settings
from tools.clock import Clock

log = logging.getLogger("shopdesk.service")


class _Loop(threading.Thread):
    """Call `step` until stopped; sleep `idle_s` when it had nothing to do; never die on an exception."""

    def __init__(self, name: str, step: Callable[[], bool], stop: threading.Event, idle_s: float) -> None:
        super().__init__(name=name, daemon=True)
        self._step, self._halt, self._idle_s = step, stop, idle_s

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                busy = self._step()
            except Exception:  # noqa: BLE001 - a loop that dies silently would stop the whole channel
                log.exception("%s: step failed", self.name)
                busy = False
            if not busy:
                self._halt.wait(self._idle_s)


class Service:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, llm: Any | None = None,
                 senders: Mapping[str, ChannelSender] | None = None, http: httpx.Client | None = None,
                 workers: int | None = None, start_threads: bool = True, dispatch: bool = True,
                 poll_email: bool = True) -> None:
        self.settings = settings
        self._clock_override = clock
        self._llm = llm
        self._senders_override = senders
        self._http_override = http
        self.worker_count = workers if workers is not None else settings.workers
        self.start_threads = start_threads
        self.dispatch = dispatch  # False: a worker-only process (`shopdesk work`) beside a running server
        self.poll_email_enabled = poll_email
        self._stack = ExitStack()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.runtime: AgentRuntime
        self.email: Any | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "Service":
        settings = self.settings
        self.runtime = self._stack.enter_context(open_runtime(settings, clock=self._clock_override, llm=self._llm))
        self.clock: Clock = self.runtime.context.clock
        self.policies = self.runtime.context.policies
        db = settings.app_db_path
        self.inbox = Inbox(db)
        self._stack.callback(self.inbox.close)
        self.conversations = ConversationStore(db)
        self._stack.callback(self.conversations.close)
        self.outbox = self.runtime.context.outbox
        self.attachments = AttachmentStore(settings.data_dir / "attachments")  # customers' photos, re-encoded
        self.intake = Intake(self.inbox, self.conversations, self.policies, attachments=self.attachments)
        self.http = self._http_override or self._stack.enter_context(httpx.Client(timeout=10.0))
        self.channels = channel_configs(settings)  # each channel's own config; nothing below reads Settings
        if self._senders_override is not None:
            self.senders = dict(self._senders_override)
        elif not self.dispatch:
            self.senders = {}
        else:
            from channels.registry import build_senders

            self.senders = build_senders(self.channels, self.http, self.clock)
        self.email = self._email_channel() if self.poll_email_enabled else None
        self.fetcher = AttachmentFetcher(self.conversations, self.attachments, self.senders)
        self.dispatcher = Dispatcher(self.outbox, self.conversations, self.senders, self.clock,
                                     name=f"{socket.gethostname()}:{os.getpid()}:dispatcher")
        if self.dispatch:
            self.dispatcher.reconcile()
        prefix = f"{socket.gethostname()}:{os.getpid()}"  # unique across processes sharing the inbox
        self.workers = [Worker(f"{prefix}:w{i + 1}", self.inbox, self.conversations, self.runtime, self.policies, self.clock)
                        for i in range(self.worker_count)]
        if self.start_threads:
            # trained before the workers start, so the first message waits on nothing and "ready" means ready
            # (about a minute on 2 cores the first time; the examples' embeddings are kept in the data dir)
            warm = getattr(self.runtime.context.classifier, "warm", None)
            if callable(warm):
                warm()
                vocabularies()  # the auto-send gate's per-intent words, learned from the same examples
            idle = settings.poll_interval_s
            for i, worker in enumerate(self.workers):
                self._spawn(f"worker-{i + 1}", worker.run_once, idle)
            if self.dispatch:
                self._spawn("dispatcher", self.dispatcher.run_once, idle)
                self._spawn("attachment-fetcher", self.fetcher.run_once, max(idle, 0.5))
            if self.email is not None:
                self._spawn("email-poller", self.poll_email, max(idle, 1.0))
        log.info("service started: %s workers, channels %s", self.worker_count, sorted(self.senders))
        return self

    def _spawn(self, name: str, step: Callable[[], bool], idle_s: float) -> None:
        thread = _Loop(name, step, self._stop, idle_s)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self._stack.close()

    def __enter__(self) -> "Service":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ email

    def _email_channel(self) -> Any | None:
        if not self.channels.email.imap_host:
            return None
        from channels.email.client import EmailChannel

        return EmailChannel(self.channels.email, clock=self.clock)

    def poll_email(self) -> bool:
        """One IMAP poll: store what arrived, then mark it seen (an email is never marked before it is stored)."""
        if self.email is None:
            return False
        from runtime.email_intake import poll_into

        return poll_into(self.email, self.intake, self.conversations, self.clock) > 0

    # ------------------------------------------------------------------ synchronous helpers (tests, CLI, bench)

    def drain(self, max_steps: int = 10_000) -> int:
        """Run workers and the dispatcher in this thread until both are idle; returns the steps taken."""
        steps = 0
        while steps < max_steps:
            busy = self.workers[0].run_once() or (self.dispatch and (self.dispatcher.run_once()
                                                                     or self.fetcher.run_once()))
            if not busy:
                return steps
            steps += 1
        return steps
