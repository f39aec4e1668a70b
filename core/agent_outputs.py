"""What each agent writes: its output model, whose JSON schema the model is asked to fill and whose
validation checks the answer (limits as TikTok and the shop set them, hashtags in one form).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _hashtag(tag: str) -> str:
    # Models write "#Kites", "kites" or "Kite Flying"; one form keeps captions and fingerprints stable.
    word = re.sub(r"[^\w]", "", tag)
    if not word:
        raise ValueError(f"{tag!r} is not a hashtag")
    return f"#{word}"


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("hashtags", mode="after", check_fields=False)
    @classmethod
    def _hashtags(cls, tags: list[str]) -> list[str]:
        unique = {_hashtag(tag).casefold(): _hashtag(tag) for tag in reversed(tags)}
        return list(reversed(unique.values()))


def _hashtags_field() -> Any:
    return Field(
        min_length=1, max_length=8, title="Hashtags", description="3-5 hashtags, most specific first"
    )


class TikTokScript(Output):
    hook: str = Field(
        min_length=1, max_length=150, title="Hook", description="The first 1-3 seconds, said aloud"
    )
    beats: list[str] = Field(
        min_length=2, max_length=8, title="Script beats", description="One beat per line, with timing"
    )
    caption: str = Field(min_length=1, max_length=2200, title="Caption")
    hashtags: list[str] = _hashtags_field()


class TikTokHook(Output):
    hook: str = Field(
        min_length=1, max_length=150, title="Hook", description="The first 1-3 seconds, said aloud"
    )
    caption: str = Field(min_length=1, max_length=2200, title="Caption")
    hashtags: list[str] = _hashtags_field()


class SocialPost(Output):
    post: str = Field(min_length=1, max_length=2000, title="Post")
    hashtags: list[str] = _hashtags_field()


class BlogPost(Output):
    title: str = Field(min_length=1, max_length=120, title="Title")
    body: str = Field(min_length=1, max_length=3000, title="Body", description="Markdown, 300-450 words")


class ShopListing(Output):
    title: str = Field(
        min_length=1, max_length=255, title="Title", description="Product, key feature, age range"
    )
    selling_points: list[str] = Field(min_length=1, max_length=6, title="Selling points")
    description: str = Field(min_length=1, max_length=3000, title="Description")
