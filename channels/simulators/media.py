"""The platforms' media hosts, simulated: what a customer attached, served back at a URL as a CDN would.

A driver publishes the bytes (recorded in the shared `SimLog` as kind "media") and puts the URL in its
platform's message shape (Meta `payload.url`, TikTok IMAGE content `url`, eBay `mediaUrl`); shopdesk's
client then fetches it over loopback like the real CDN link. Nothing is checked but the id: like a CDN link,
the URL is the capability.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.responses import Response

from channels.simulators.log import SimLog


def publish(log: SimLog, platform: str, base_url: str, data: bytes, *, filename: str,
            content_type: str) -> str:
    """Keep `data` on the simulated media host; returns its URL (`{base}/media/{id}/{filename}`)."""
    media_id = uuid.uuid4().hex
    log.record(platform, "media", media_id=media_id, content=data, content_type=content_type, filename=filename)
    return f"{base_url.rstrip('/')}/media/{media_id}/{filename}"


def add_media_route(app: FastAPI, log: SimLog, platforms: Iterable[str]) -> None:
    """GET /media/{id}/{name}: the published bytes with their type; 404 for anything else."""
    served = tuple(platforms)

    @app.get("/media/{media_id}/{filename}")
    async def media(media_id: str, filename: str) -> Response:
        del filename
        for platform in served:
            for record in log.records(platform, "media"):
                if record.data.get("media_id") == media_id:
                    log.record(platform, "media_fetch", media_id=media_id)
                    return Response(record.data["content"], media_type=record.data["content_type"])
        return Response(status_code=404)
