"""The baseline the scheduling benchmark compares against: what a scheduler built on plain RQ does.

The post is enqueued with `enqueue_at(due, publish, ..., retry=Retry(...))`; the job inits, uploads
and polls the status, and any error raises so RQ's Retry runs the whole job again. It keeps nothing
between runs (no publish_id, no lease), which is the point: this is the design issue 15 rejects.
"""

from __future__ import annotations

import time
from pathlib import Path

from core.media import chunk_plan
from workers.tiktok import PostInfo, TikTokClient

POLL_SECONDS = 3.0


def publish(api_url: str, access_token: str, caption: str, video: str) -> str:
    media = Path(video).read_bytes()
    plan = chunk_plan(len(media))
    with TikTokClient(client_key="bench", client_secret="bench", api_url=api_url) as client:
        started = client.init_direct_post(access_token, PostInfo("PUBLIC_TO_EVERYONE", title=caption), plan)
        assert started.upload_url is not None
        client.upload(started.upload_url, media, plan)
        while True:
            status = client.fetch_status(access_token, started.publish_id)
            if status.status == "PUBLISH_COMPLETE":
                return started.publish_id
            if status.status == "FAILED":
                raise RuntimeError(f"TikTok failed {started.publish_id}: {status.fail_reason}")
            time.sleep(POLL_SECONDS)
