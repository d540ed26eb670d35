"""Reading a webhook's body under a size cap, with only a few large bodies in memory at once.

`await request.body()` reads whatever a client sends, however large, before anyone checks who sent it.
Here a declared Content-Length above the cap is refused before a byte is read, a streamed (chunked)
body stops at the first chunk past the cap, and bodies above `large_bytes` need one of a few slots
(held until the request is answered): a flood of big unsigned bodies waits or is turned away (503)
while small deliveries go on as usual. Lives in the webhook router because it is per endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.requests import Request


class BodyTooLarge(Exception):
    def __init__(self, size: int, cap: int) -> None:
        super().__init__(f"body of at least {size} bytes is over the {cap}-byte cap")
        self.size, self.cap = size, cap


class BodyBusy(Exception):
    """Every large-body slot stayed taken for the whole wait."""


class BodyReader:
    def __init__(self, *, large_bytes: int, slots: int, wait_s: float) -> None:
        self._large, self._slots_n, self._wait = large_bytes, slots, wait_s
        self._slots: anyio.Semaphore | None = None  # made on the server's event loop, at first use

    async def _take_slot(self) -> anyio.Semaphore:
        if self._slots is None:
            self._slots = anyio.Semaphore(self._slots_n)
        with anyio.move_on_after(self._wait):
            await self._slots.acquire()
            return self._slots
        raise BodyBusy()

    @asynccontextmanager
    async def read(self, request: Request, cap: int) -> AsyncIterator[bytes]:
        """The whole body (at most `cap` bytes), holding a large-body slot while the caller uses it."""
        declared = request.headers.get("content-length", "")
        size_hint = int(declared) if declared.isascii() and declared.isdigit() else 0
        if size_hint > cap:
            raise BodyTooLarge(size_hint, cap)
        slot = await self._take_slot() if size_hint > self._large else None
        try:
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise BodyTooLarge(size, cap)
                if slot is None and size > self._large:
                    slot = await self._take_slot()
                chunks.append(chunk)
            yield b"".join(chunks)
        finally:
            if slot is not None:
                slot.release()
