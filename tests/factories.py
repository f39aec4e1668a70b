"""Rows the tests need, made through the same storage functions the app uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.channels import get_channel
from storage.contents import add_version, create_content
from storage.posts import create_post


def make_post(
    session: Session,
    channel_name: str,
    caption: str,
    when: datetime,
    *,
    product_id: str | None = None,
    status: str = "scheduled",
    user: str = "U0ALICE",
) -> int:
    """An approved TikTok caption scheduled (or in `status`) on a channel; returns the post id."""
    channel = get_channel(session, channel_name)
    assert channel is not None and channel.id is not None
    content = create_content(
        session,
        agent="tiktok_hook",
        channel_id=channel.id,
        brief="test",
        requester_id=user,
        status="approved",
        element=channel.element.value,
    )
    version = add_version(session, content.id, {"caption": caption}, author_kind="person", author_id=user)
    post = create_post(
        session,
        version_id=version.id,
        channel_id=channel.id,
        scheduled_at=when,
        created_by=user,
        status=status,
        product_id=product_id,
        caption=caption,  # as scheduling stores it: the text that goes out
    )
    return post.id
