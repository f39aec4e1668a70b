"""Content items and their versions: every generation, edit or regeneration appends a version.

State changes are conditional UPDATEs from the states `core.content` allows, so when two workers or two
reviewers act at once exactly one wins; the functions say whether the caller was the one. The generation
job's side (claim, lease, finish, the clock's sweep) is storage/generation.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from core.agents import AgentKind, Product
from core.content import CLAIMABLE, WAITING, Content, ContentStatus, Priority, TransitionError, sources
from core.draft_checks import DraftChecks
from core.fingerprint import Fingerprint
from core.versions import FindingsAccepted, Version
from storage.db import affected
from storage.fingerprints import fingerprint_columns
from storage.models import ChannelRow, ContentRow, VersionRow, utcnow


def version_text(fields: Mapping[str, Any]) -> str:
    """The words of a version, in field order, as fingerprints and diffs read them."""
    parts: list[str] = []
    for value in fields.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list | tuple):
            parts.extend(str(item) for item in value)
    return "\n".join(part for part in parts if part)


def create_content(session: Session, **columns: Any) -> ContentRow:
    row = ContentRow(**columns)
    session.add(row)
    session.flush()
    return row


def add_version(
    session: Session,
    content_id: int,
    fields: Mapping[str, Any],
    *,
    author_kind: str,
    author_id: str,
    media_sha256: str | None = None,
    checks: DraftChecks | None = None,
    **details: Any,
) -> VersionRow:
    """Append the next version; the (content, number) unique key makes a racing duplicate fail loudly."""
    number = (
        session.scalar(select(func.max(VersionRow.number)).where(VersionRow.content_id == content_id)) or 0
    ) + 1
    text = version_text(fields)
    row = VersionRow(
        content_id=content_id,
        number=number,
        fields=dict(fields),
        text=text,
        author_kind=author_kind,
        author_id=author_id,
        checks=checks.to_dict() if checks is not None else None,
        **fingerprint_columns(Fingerprint.of_text(text, media_sha256)),
        **details,
    )
    session.add(row)
    session.flush()
    return row


# --- Requests -------------------------------------------------------------------------------------------


def create_request(
    session: Session,
    *,
    agent: AgentKind,
    channel_id: int,
    brief: str,
    product: Product | None,
    priority: Priority,
    requester_id: str,
    template_version_id: int | None = None,
    experiment_variant_id: int | None = None,
) -> Content:
    """A new content item, queued for its first generation (attempt 1), written from the template
    version chosen for it (core.content.choose_template) and recording the variant that chose it."""
    row = create_content(
        session,
        agent=agent.value,
        channel_id=channel_id,
        brief=brief,
        product=product.to_dict() if product else None,
        priority=priority.value,
        requester_id=requester_id,
        status=ContentStatus.QUEUED.value,
        attempts=1,
        template_version_id=template_version_id,
        experiment_variant_id=experiment_variant_id,
    )
    return _content(session, row)


def get_content(session: Session, content_id: int) -> Content | None:
    row = session.get(ContentRow, content_id, populate_existing=True)
    return _content(session, row) if row else None


def waiting(session: Session, limit: int = 30) -> list[Content]:
    """Content on its way to a decision: generating first, then the queue in run order, then reviews."""
    order = [ContentStatus.GENERATING, ContentStatus.QUEUED, ContentStatus.CHANGES_REQUESTED]
    rows = session.scalars(select(ContentRow).where(ContentRow.status.in_(status_values(WAITING))))
    contents = [_content(session, row) for row in rows]

    def key(content: Content) -> tuple[int, int, int]:
        rank = order.index(content.status) if content.status in order else len(order)
        return (rank, content.priority.rank, content.id)

    return sorted(contents, key=key)[:limit]


def by_state(
    session: Session, states: Iterable[ContentStatus], channel_id: int | None = None, limit: int = 30
) -> list[Content]:
    """Content in `states` (on one channel, or all), newest first."""
    query = select(ContentRow).where(ContentRow.status.in_(status_values(states)))
    if channel_id is not None:
        query = query.where(ContentRow.channel_id == channel_id)
    rows = session.scalars(query.order_by(ContentRow.updated_at.desc(), ContentRow.id.desc()).limit(limit))
    return [_content(session, row) for row in rows]


def reopen(session: Session, content_id: int, user_id: str) -> Content:
    """A rejected item back in review, as it was; raises TransitionError when it is not rejected."""
    if not move(
        session,
        content_id,
        ContentStatus.IN_REVIEW,
        from_={ContentStatus.REJECTED},
        reviewed_by=user_id,
        reviewed_at=utcnow(),
        decided_version=None,
        decision_reason=None,
    ):
        raise _refusal(session, content_id, ContentStatus.IN_REVIEW)
    return _required(session, content_id)


def queue_position(session: Session, content: Content) -> int:
    """1 when `content` is next to be generated: workers take higher priorities first, then the oldest."""
    ahead = 0
    for content_id, priority in session.execute(
        select(ContentRow.id, ContentRow.priority).where(ContentRow.status.in_(status_values(CLAIMABLE)))
    ):
        rank = Priority(priority).rank
        if (rank, content_id) < (content.priority.rank, content.id):
            ahead += 1
    return ahead + 1


# --- Review (the people's side) -------------------------------------------------------------------------


def regenerate(session: Session, content_id: int, user_id: str, feedback: str | None = None) -> Content:
    """Queue a new generation of content in review (or failed): with the reviewer's reason when given.

    Raises TransitionError when the content is not in a state to regenerate.
    """
    target = ContentStatus.CHANGES_REQUESTED if feedback else ContentStatus.QUEUED
    if not move(
        session,
        content_id,
        target,
        # Not from generating: taking a row back from a live worker is the clock's job, on a lapsed lease.
        from_={ContentStatus.IN_REVIEW} if feedback else {ContentStatus.IN_REVIEW, ContentStatus.FAILED},
        attempts=ContentRow.attempts + 1,
        feedback=feedback,
        failure=None,
        reviewed_by=user_id if feedback else None,
        reviewed_at=utcnow() if feedback else None,
    ):
        raise _refusal(session, content_id, target)
    return _required(session, content_id)


def decide(
    session: Session,
    content_id: int,
    target: ContentStatus,
    user_id: str,
    *,
    version: int,
    reason: str | None = None,
) -> Content:
    """Approve or reject `version` of content in review, recording which one.

    Raises StaleVersion when a later version was added since (the reviewer decided on text that is no
    longer the latest), TransitionError when the content is not in review.
    """
    if target not in (ContentStatus.APPROVED, ContentStatus.REJECTED):
        raise ValueError(f"a review decides approved or rejected, not {target.label}")
    latest = select(func.max(VersionRow.number)).where(VersionRow.content_id == content_id).scalar_subquery()
    moved = move(
        session,
        content_id,
        target,
        where=[latest == version],
        reviewed_by=user_id,
        reviewed_at=utcnow(),
        decided_version=version,
        decision_reason=reason,
    )
    if not moved:
        newest = latest_version(session, content_id)
        if newest is not None and newest.number != version:
            raise StaleVersion(newest, seen=version)
        raise _refusal(session, content_id, target)
    return _required(session, content_id)


class StaleVersion(ValueError):
    """A decision on a version that is no longer the latest."""

    def __init__(self, latest: Version, *, seen: int) -> None:
        who = f"<@{latest.author_id}> edited it" if latest.by_person else "the agent wrote a new one"
        super().__init__(f"you saw v{seen}, but v{latest.number} is the latest ({who})")
        self.latest = latest


class VersionConflict(ValueError):
    """Someone added a version while a person was editing an older one."""


def add_person_version(
    session: Session,
    content_id: int,
    fields: Mapping[str, Any],
    user_id: str,
    *,
    based_on: int,
    checks: DraftChecks | None = None,
) -> Version:
    """A person's edit of version `based_on`, kept as the next version; the content stays in review."""
    if not move(session, content_id, ContentStatus.IN_REVIEW, from_={ContentStatus.IN_REVIEW}):
        raise _refusal(session, content_id, ContentStatus.IN_REVIEW)
    latest = session.scalar(select(func.max(VersionRow.number)).where(VersionRow.content_id == content_id))
    if latest != based_on:
        raise VersionConflict(
            f"version {latest} was added while you edited version {based_on}; open Edit again."
        )
    edited = session.scalars(
        select(VersionRow).where(VersionRow.content_id == content_id, VersionRow.number == based_on)
    ).one()
    version = add_version(
        session,
        content_id,
        fields,
        author_kind="person",
        author_id=user_id,
        template_version_id=edited.template_version_id,
        template_version_ids=edited.template_version_ids,
        checks=checks,
    )
    return version_of(version)


def approve_with_findings(session: Session, content_id: int, number: int, user_id: str) -> Content:
    """Approve version `number` despite its findings, and keep on it who accepted which findings.

    Raises StaleVersion when a later version arrived since the reviewer read the findings,
    TransitionError when the content is not in review.
    """
    content = decide(session, content_id, ContentStatus.APPROVED, user_id, version=number)
    row = session.scalars(
        select(VersionRow).where(VersionRow.content_id == content_id, VersionRow.number == number)
    ).one()
    checks = DraftChecks.from_dict(row.checks) or DraftChecks()
    row.findings_accepted = FindingsAccepted(user_id, utcnow(), checks.findings).to_dict()
    session.flush()
    return content


def set_checks(session: Session, content_id: int, number: int, checks: DraftChecks) -> None:
    """Replace a version's findings with a later, fuller check (Claude's, after a person's edit)."""
    session.execute(
        update(VersionRow)
        .where(VersionRow.content_id == content_id, VersionRow.number == number)
        .values(checks=checks.to_dict())
    )


def set_review_message(session: Session, content_id: int, channel: str, ts: str) -> None:
    session.execute(
        update(ContentRow).where(ContentRow.id == content_id).values(review_channel=channel, review_ts=ts)
    )


def versions(session: Session, content_id: int) -> list[Version]:
    rows = session.scalars(
        select(VersionRow).where(VersionRow.content_id == content_id).order_by(VersionRow.number)
    )
    return [version_of(row) for row in rows]


def version_row_id(session: Session, content_id: int, number: int) -> int:
    """The row id of a content item's version `number` (posts refer to versions by it)."""
    return session.scalars(
        select(VersionRow.id).where(VersionRow.content_id == content_id, VersionRow.number == number)
    ).one()


def latest_version(session: Session, content_id: int) -> Version | None:
    row = session.scalar(
        select(VersionRow).where(VersionRow.content_id == content_id).order_by(VersionRow.number.desc())
    )
    return version_of(row) if row else None


def latest_versions(session: Session, content_ids: Iterable[int]) -> dict[int, tuple[Version, int]]:
    """Each content item's latest version and its row id (posts refer to it), a few queries for many."""
    wanted = list(content_ids)
    found: dict[int, tuple[Version, int]] = {}
    # Chunks keep the bound parameters of one statement well inside SQLite's limit.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        latest = (
            select(VersionRow.content_id, func.max(VersionRow.number).label("number"))
            .where(VersionRow.content_id.in_(chunk))
            .group_by(VersionRow.content_id)
            .subquery()
        )
        rows = session.scalars(
            select(VersionRow).join(
                latest,
                (VersionRow.content_id == latest.c.content_id) & (VersionRow.number == latest.c.number),
            )
        )
        found.update({row.content_id: (version_of(row), row.id) for row in rows})
    return found


# --- Rows to values -------------------------------------------------------------------------------------


def move(
    session: Session,
    content_id: int,
    target: ContentStatus,
    *,
    from_: set[ContentStatus] | None = None,
    attempt: int | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Move the content to `target` from the states `core.content` allows (or those of them in `from_`),
    for `attempt` and `where` when given, setting `values`: True when this caller was the one."""
    allowed = sources(target) if from_ is None else from_
    if not allowed <= sources(target):
        raise TransitionError(f"{target.label} cannot be reached from {sorted(allowed)}")
    conditions: list[ColumnElement[bool]] = [
        ContentRow.id == content_id,
        ContentRow.status.in_(status_values(allowed)),
    ]
    if attempt is not None:
        conditions.append(ContentRow.attempts == attempt)
    conditions.extend(where)
    result = session.execute(update(ContentRow).where(*conditions).values(status=target.value, **values))
    return affected(result) == 1


def _refusal(session: Session, content_id: int, target: ContentStatus) -> TransitionError:
    current = session.scalar(select(ContentRow.status).where(ContentRow.id == content_id))
    if current is None:
        return TransitionError(f"there is no content {content_id}")
    return TransitionError(
        f"content {content_id} is {ContentStatus(current).label}, so it cannot become {target.label}"
    )


def _required(session: Session, content_id: int) -> Content:
    content = get_content(session, content_id)
    if content is None:
        raise TransitionError(f"there is no content {content_id}")
    return content


def status_values(statuses: Iterable[ContentStatus]) -> list[str]:
    return [status.value for status in statuses]


def contents_of(session: Session, ids: Iterable[int]) -> list[Content]:
    """The content items of `ids`, by id."""
    rows = session.scalars(select(ContentRow).where(ContentRow.id.in_(list(ids))).order_by(ContentRow.id))
    return [_content(session, row) for row in rows]


def _content(session: Session, row: ContentRow) -> Content:
    channel_name = session.scalar(select(ChannelRow.name).where(ChannelRow.id == row.channel_id)) or ""
    return Content(
        id=row.id,
        agent=AgentKind(row.agent),
        channel_id=row.channel_id,
        channel_name=channel_name,
        brief=row.brief,
        product=Product.from_dict(row.product),
        priority=Priority(row.priority),
        requester_id=row.requester_id,
        status=ContentStatus(row.status),
        attempts=row.attempts,
        element=row.element,
        element_reason=row.element_reason,
        template_version_id=row.template_version_id,
        feedback=row.feedback,
        failure=row.failure,
        reviewed_by=row.reviewed_by,
        review_channel=row.review_channel,
        review_ts=row.review_ts,
        created_at=row.created_at,
        reviewed_at=row.reviewed_at,
        decided_version=row.decided_version,
        decision_reason=row.decision_reason,
    )


def version_of(row: VersionRow) -> Version:
    return Version(
        number=row.number,
        fields=row.fields,
        author_kind=row.author_kind,
        author_id=row.author_id,
        created_at=row.created_at,
        feedback=row.feedback,
        model=row.model,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        latency_ms=row.latency_ms,
        checks=DraftChecks.from_dict(row.checks),
        accepted=FindingsAccepted.from_dict(row.findings_accepted),
        template_version_ids=_template_version_ids(row),
    )


def _template_version_ids(row: VersionRow) -> tuple[int, ...]:
    if row.template_version_ids is not None:
        return tuple(row.template_version_ids)
    # Written before versions listed their templates: the one it is credited to is all that is known.
    return (row.template_version_id,) if row.template_version_id is not None else ()
