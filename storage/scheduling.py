"""The one check a schedule request goes through, from any surface, and the post it then makes.

    checked = check_schedule(session, request, now=now, tz=tz, sandbox=sandbox, may_override=True)
    if checked.errors: ...                       # by field (core.scheduling), every problem at once
    post = save_schedule(session, request, checked, user_id=...)   # a new post, or the same one moved

Needs no Slack: the modal, `/content schedule` and each row of a bulk schedule call it, so a rule
lives here once. A reschedule (request.post_id) runs every check again, without the post's own time in
the way. What it reads goes through storage.lookups.Lookups, which a batch shares so that each
channel, schedule and account is read once for all its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from core.accounts import Creator
from core.channels import Channel, PostingMode
from core.content import ContentStatus
from core.fingerprint import Fingerprint
from core.posts import RESCHEDULABLE, Post, PostStatus
from core.products import with_product
from core.scheduling import (
    CHANNEL,
    CONTENT,
    OVERRIDE,
    PRODUCT,
    SANDBOX_CREATOR,
    VIDEO,
    WHEN,
    ScheduleRequest,
    direct_post_problems,
    video_problem,
)
from core.slots import check_time, next_free_slot
from storage import posts
from storage.contents import version_text
from storage.lookups import Lookups


@dataclass(frozen=True)
class Checked:
    """What the check found: errors by field, else the time and the parts the post is made of."""

    errors: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None
    channel: Channel | None = None
    creator: Creator | None = None
    version_id: int | None = None
    fingerprint: Fingerprint | None = None
    caption: str = ""
    product_id: str | None = None
    product_title: str | None = None
    sandbox: bool = False
    # The conflicts a reviewer's reason set aside, recorded on the post with the reason.
    overridden: tuple[str, ...] = ()


def check_schedule(
    session: Session,
    request: ScheduleRequest,
    *,
    now: datetime,
    tz: tzinfo,
    sandbox: bool,
    may_override: bool,
    lookups: Lookups | None = None,
    overridable: bool = True,
) -> Checked:
    """Every reason `request` cannot be scheduled, by field; `may_override` says whether its sender is a
    reviewer, who may post despite the cross-posting and element checks by giving a reason, and
    `overridable` whether the request has a place for that reason (a bulk row has none). `lookups`
    are shared by the requests of one batch (see storage.lookups)."""
    lookups = lookups or Lookups(session, now)
    errors: dict[str, str] = {}
    channel = lookups.channel(request.channel)
    if channel is None or channel.id is None:
        names = ", ".join(c.name for c in lookups.channels())
        errors[CHANNEL] = f"“{request.channel}” is not a channel; the channels are {names}."
    content = lookups.content(request.content_id)
    latest = lookups.latest(request.content_id)
    version, version_id = latest if latest else (None, None)
    if content is None:
        errors[CONTENT] = f"There is no content {request.content_id}."
    elif content.status is not ContentStatus.APPROVED or version is None:
        errors[CONTENT] = (
            f"Content #{content.id} is {content.status.label}: only approved content is scheduled."
        )
    # The request's product (a bulk row names one), else the one picked for the content.
    product = content.product if content and content.product and content.product.id else None
    product_id = request.product_id or (product.id if product else None)
    product_title = product.title if product and product.id == product_id else None
    if product_id is not None:
        named = PRODUCT if request.product_id else CONTENT
        for line in lookups.refusals(product_id):
            errors[named] = f"{errors[named]} {line}" if named in errors else line
        if product_title is None:
            product_title = lookups.product_title(product_id)
    moving = _moving(session, request, errors)
    if channel is None or channel.id is None or content is None:
        return Checked(errors=errors)

    conflicting: list[str] = []
    if content.element and content.element != channel.element.value:
        conflicting.append(
            f"Content #{content.id} is {content.element.title()} content and {channel.name} is a "
            f"{channel.element.label} channel."
        )
    taken = [at for at in lookups.taken(channel.id) if moving is None or at != moving.scheduled_at]
    at = request.when
    if at is None:
        # A `next` row of a batch keeps clear of the times earlier rows were given too.
        free_of = [*taken, *lookups.planned(channel.id)]
        slot = next_free_slot(now, (), channel.windows, channel.daily_cap, channel.min_gap, free_of, tz)
        if slot.at is None:
            errors[WHEN] = slot.reason
        at = slot.at
    else:
        problems = check_time(at, channel.windows, channel.daily_cap, channel.min_gap, taken, tz, now)
        if problems:
            errors[WHEN] = " ".join(problems)
    fingerprint = None
    if version is not None:
        fingerprint = Fingerprint.of_text(version_text(version.fields))
        if request.video is not None and request.video.sha256:
            fingerprint = replace(fingerprint, media_sha256=request.video.sha256)
        found = lookups.repeats(fingerprint, channel.id, at or now, product_id)
        conflicting += [
            f"It repeats {c.reason}" for c in found[:5] if moving is None or c.post.post_id != moving.id
        ]
    reason = (request.override or "").strip() if may_override else ""
    if conflicting and not reason:
        said = " ".join(conflicting) + (
            " A reviewer may post it anyway by giving a reason under Override."
            if overridable
            else " Leave it out of the batch; a reviewer may still schedule it on its own with a reason."
        )
        errors[CONTENT] = f"{errors[CONTENT]} {said}" if CONTENT in errors else said
    if request.override and not may_override:
        errors[OVERRIDE] = "Only reviewers may post despite a conflict."

    # TikTok's 5 pending inbox shares per creator a day: refused now, not at the slot.
    share = (
        lookups.share_problem(channel.id, at) if channel.posting_mode is PostingMode.DRAFT and at else None
    )
    if share:
        errors.setdefault(WHEN, share)
    creator = _creator(lookups, channel, sandbox, errors)
    if channel.posting_mode is PostingMode.DIRECT and creator is not None:
        for name, message in direct_post_problems(creator, request.privacy, request.settings).items():
            errors.setdefault(name, message)
    if request.video is not None:
        problem = video_problem(request.video, creator.max_video_post_duration_sec if creator else 0)
        if problem:
            errors.setdefault(VIDEO, problem)
    elif not sandbox and channel.posting_mode is not PostingMode.MANUAL and moving is None:
        errors.setdefault(VIDEO, "A post needs its video: share the file here or give an https URL.")
    if errors:
        return Checked(errors=errors)
    assert version is not None and at is not None
    return Checked(
        at=at,
        channel=channel,
        creator=creator,
        version_id=version_id,
        fingerprint=fingerprint,
        caption=with_product(caption_of(version.fields), product_title),
        product_id=product_id,
        product_title=product_title,
        sandbox=sandbox,
        overridden=tuple(conflicting) if reason else (),
    )


def save_schedule(session: Session, request: ScheduleRequest, checked: Checked, *, user_id: str) -> Post:
    """The post `checked` allows: created, or (a reschedule) moved to its new time with its settings."""
    if request.post_id is not None:
        assert not checked.errors and checked.at is not None
        # A failed post's publish_id was closed by TikTok's FAILED: moving it is a new post.
        moved = posts.move(
            session,
            request.post_id,
            None,
            PostStatus.SCHEDULED,
            scheduled_at=checked.at,
            failure=None,
            log_id=None,
            publish_id=None,
            **_details(request, checked, user_id),
        )
        if not moved:
            raise ValueError(f"post {request.post_id} can no longer be moved")
        post_id = request.post_id
    else:
        post_id = posts.create_post(session, **post_columns(request, checked, user_id=user_id)).id
    saved = posts.get_post(session, post_id)
    assert saved is not None
    return saved


def post_columns(request: ScheduleRequest, checked: Checked, *, user_id: str) -> dict[str, Any]:
    """A new post as `checked` allows it: storage.posts.create_post's arguments (a bulk schedule writes
    a batch of these at once)."""
    assert not checked.errors and checked.channel is not None and checked.at is not None
    assert checked.channel.id is not None and checked.version_id is not None
    return {
        "version_id": checked.version_id,
        "channel_id": checked.channel.id,
        "scheduled_at": checked.at,
        "created_by": user_id,
        "posting_mode": checked.channel.posting_mode.value,
        "caption": checked.caption,
        "product_id": checked.product_id,
        "sandbox": checked.sandbox,
        **_details(request, checked, user_id),
    }


def _details(request: ScheduleRequest, checked: Checked, user_id: str) -> dict[str, Any]:
    """The post's settings as the request chose them, its video and any override."""
    assert checked.channel is not None
    override = (
        f"{request.override.strip()} (by {user_id}; set aside: {' '.join(checked.overridden)})"
        if checked.overridden and request.override
        else None
    )
    chosen = request.settings
    details: dict[str, Any] = {
        "privacy_level": request.privacy if checked.channel.posting_mode is PostingMode.DIRECT else None,
        "allow_comment": chosen.allow_comment,
        "allow_duet": chosen.allow_duet,
        "allow_stitch": chosen.allow_stitch,
        "brand_organic": chosen.brand_organic,
        "brand_content": chosen.brand_content,
    }
    if override:
        details["override"] = override
    if request.video is not None:
        details["media"] = request.video.path
    return details


def caption_of(fields: Any) -> str:
    """The text that goes out: the agent's caption (or script's caption), then its hashtags."""
    body = str(fields.get("caption") or fields.get("hook") or version_text(fields))
    tags = " ".join(fields.get("hashtags") or [])
    return f"{body}\n\n{tags}".strip()


def _moving(session: Session, request: ScheduleRequest, errors: dict[str, str]) -> Post | None:
    """The post a reschedule moves, when it still may move."""
    if request.post_id is None:
        return None
    post = posts.get_post(session, request.post_id)
    if post is None or post.status not in RESCHEDULABLE:
        state = post.status.label if post else "gone"
        errors[WHEN] = f"Post {request.post_id} is {state}: only posts not yet sent can move."
        return None
    if post.publish_id and post.status is not PostStatus.FAILED:
        errors[WHEN] = f"Post {post.id} has reached TikTok already: it cannot move."
        return None
    return post


def _creator(lookups: Lookups, channel: Channel, sandbox: bool, errors: dict[str, str]) -> Creator | None:
    """The creator the post goes to, as TikTok described it when the account was connected."""
    if sandbox:
        return SANDBOX_CREATOR
    assert channel.id is not None
    account = lookups.account(channel.id)
    if account is None or not account.connected:
        errors.setdefault(
            CHANNEL,
            f"{channel.name} has no connected TikTok account: an admin connects it in "
            f"`/content channel setup {channel.name}`.",
        )
        return None
    return account.creator
