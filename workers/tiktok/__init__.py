"""The TikTok client: OAuth v2, Content Posting and the Display API over httpx.

One `TikTokClient` serves every account: the access token is an argument of each call. It never
retries (the job decides, knowing whether a publish_id is stored); every failure is a `TikTokError`.

    with TikTokClient.from_settings(settings) as tiktok:
        info = tiktok.creator_info(token)
        plan = chunk_plan(path.stat().st_size)
        started = tiktok.init_direct_post(token, PostInfo("SELF_ONLY", title=caption), plan)
        # store started.publish_id now, before any byte is sent
        tiktok.upload(started.upload_url, path, plan)
        tiktok.fetch_status(token, started.publish_id)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import httpx

from config.errors import SetupError
from config.settings import Settings
from core.media import ChunkPlan, chunk_plan
from workers.tiktok.display import Display, Video, VideoPage
from workers.tiktok.errors import TikTokError, fail_reason_words
from workers.tiktok.oauth import SCOPES, OAuth, Tokens, pkce_pair
from workers.tiktok.posting import CreatorInfo, InitResult, PostInfo, Posting, PublishStatus, PullFromUrl
from workers.tiktok.wire import DEFAULT_TIMEOUT, UPLOAD_TIMEOUT

__all__ = [
    "RATE_LIMITS",
    "SCOPES",
    "ChunkPlan",
    "CreatorInfo",
    "InitResult",
    "PostInfo",
    "PublishStatus",
    "PullFromUrl",
    "TikTokClient",
    "TikTokError",
    "Tokens",
    "Video",
    "VideoPage",
    "chunk_plan",
    "fail_reason_words",
    "pace_key",
    "pkce_pair",
]

# TikTok's limits per access token per sliding minute (reference §1.9), for workers.pacing. Direct
# and inbox inits are documented as 6 each; sharing one budget is the safe reading.
RATE_LIMITS: dict[str, int] = {
    "init": 6,
    "creator_info": 20,
    "status": 30,
    "video_list": 600,
    "video_query": 600,
}


def pace_key(endpoint: str, access_token: str) -> str:
    """The pacing key for an endpoint and token; the token itself never reaches Redis."""
    return f"tiktok:{endpoint}:{hashlib.sha256(access_token.encode()).hexdigest()[:16]}"


class TikTokClient(OAuth, Posting, Display):
    def __init__(
        self,
        *,
        client_key: str,
        client_secret: str,
        api_url: str = "https://open.tiktokapis.com",
        auth_url: str = "https://www.tiktok.com",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        upload_timeout: httpx.Timeout = UPLOAD_TIMEOUT,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            api_url=api_url, timeout=timeout, upload_timeout=upload_timeout, clock=clock, transport=transport
        )
        self.client_key = client_key
        self.client_secret = client_secret
        self.auth_url = auth_url

    @classmethod
    def from_settings(cls, settings: Settings, **options: object) -> TikTokClient:
        if not (settings.tiktok_client_key and settings.tiktok_client_secret):
            raise SetupError("TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET must be set to reach TikTok.")
        return cls(
            client_key=settings.tiktok_client_key,
            client_secret=settings.tiktok_client_secret,
            api_url=settings.tiktok_api_url,
            auth_url=settings.tiktok_auth_url,
            **options,  # type: ignore[arg-type]
        )

    def __enter__(self) -> TikTokClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
