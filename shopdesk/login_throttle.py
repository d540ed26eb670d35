"""Sign-in throttling for the console: failures per user name and per client address, with growing lockouts.

Why both keys: per name stops guessing one person's password from many addresses; per address stops one
client spraying many names. Attempts still being checked count as failures until they finish, so firing
96 logins at once gets no more guesses than firing them one by one. A locked key is refused before any
password is checked, so the right password during a lockout fails too.

State is in memory, per process (a restart forgets it; several `shopdesk serve` processes each count
their own). The clock is injected (monotonic seconds) so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a key gets free, then how long it is locked (doubling per further failure)."""

    free_failures: int
    first_lockout_s: float = 30.0
    max_lockout_s: float = 15 * 60.0
    forget_after_s: float = 60 * 60.0  # failures older than this (with no lockout running) are forgiven

    def lockout_s(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        return min(self.first_lockout_s * 2 ** min(failures - self.free_failures, 32), self.max_lockout_s)


USER_POLICY = ThrottlePolicy(free_failures=5)
ADDRESS_POLICY = ThrottlePolicy(free_failures=20)  # offices share one address: more room before it locks


@dataclass
class _Record:
    failures: int = 0
    in_flight: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginThrottle:
    """`begin` before checking a password (None = go ahead, else seconds to wait), `finish` after."""

    def __init__(self, *, clock: Clock = time.monotonic, user_policy: ThrottlePolicy = USER_POLICY,
                 address_policy: ThrottlePolicy = ADDRESS_POLICY, max_keys: int = 10_000) -> None:
        self._clock = clock
        self._policies = {"user": user_policy, "addr": address_policy}
        self._records: dict[tuple[str, str], _Record] = {}
        self._max_keys = max_keys

    def _keys(self, username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", username.casefold())]
        if address:
            keys.append(("addr", address))
        return keys

    def begin(self, username: str, address: str | None) -> float | None:
        """Reserve one attempt; the seconds to wait instead when a key is locked or out of free attempts."""
        now = self._clock()
        keys = self._keys(username, address)
        wait = 0.0
        for key in keys:
            record = self._record(key, now)
            policy = self._policies[key[0]]
            wait = max(wait, record.locked_until - now)
            if record.in_flight >= max(policy.free_failures - record.failures, 1):
                # attempts still being checked would use up what is left: wait for them to finish
                wait = max(wait, 1.0)
        if wait > 0:
            return float(math.ceil(wait))
        for key in keys:
            self._records[key].in_flight += 1
        return None

    def finish(self, username: str, address: str | None, *, ok: bool) -> int:
        """Release the attempt `begin` reserved and record how it went; the name's failure count after it."""
        now = self._clock()
        failures = 0
        for key in self._keys(username, address):
            record = self._record(key, now)
            record.in_flight = max(0, record.in_flight - 1)
            if ok and key[0] == "user":
                record.failures, record.locked_until = 0, 0.0
            elif not ok:
                record.failures += 1
                record.last_failure = now
                record.locked_until = max(record.locked_until, now + self._policies[key[0]].lockout_s(record.failures))
            if key[0] == "user":
                failures = record.failures
        return failures

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        record = self._records.get(key)
        if record is None:
            self._prune(now)
            record = self._records[key] = _Record()
        elif (record.failures and not record.in_flight and record.locked_until <= now
              and now - record.last_failure > self._policies[key[0]].forget_after_s):
            record.failures = 0
        return record

    def _prune(self, now: float) -> None:
        """Bound memory against a spray of made-up names: forget idle keys, then the oldest."""
        if len(self._records) < self._max_keys:
            return
        idle = [k for k, r in self._records.items() if not r.in_flight and r.locked_until <= now
                and now - r.last_failure > self._policies[k[0]].forget_after_s]
        for key in idle:
            del self._records[key]
        if len(self._records) >= self._max_keys:
            oldest = sorted(self._records, key=lambda k: self._records[k].last_failure)
            for key in oldest[: len(oldest) // 2]:
                if not self._records[key].in_flight:
                    del self._records[key]
