"""Tables. Rows are turned into `core` dataclasses by the repositories; nothing above
storage/ handles a row object."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so Alembic migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database.

    SQLite keeps no time zone and hands back naive values; comparing those with aware
    ones raises, so times are normalised to UTC on the way in and out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class ChannelRow(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    element: Mapped[str] = mapped_column(String(16), index=True)
    voice: Mapped[dict[str, Any]] = mapped_column(default=dict)
    branding_template: Mapped[str] = mapped_column(Text)
    hashtags: Mapped[list[Any]] = mapped_column(default=list)
    posting_mode: Mapped[str] = mapped_column(String(16))
    windows: Mapped[list[Any]] = mapped_column(default=list)
    daily_cap: Mapped[int] = mapped_column(Integer)
    min_gap_minutes: Mapped[int] = mapped_column(Integer)
    owner_user_id: Mapped[str | None] = mapped_column(String(32))
    tiktok_open_id: Mapped[str | None] = mapped_column(String(128))
    tiktok_username: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InstallationRow(Base):
    """One row, written by the migration that made it: this database's own id.

    Job ids start with it, so a Redis shared by two databases (staging beside production, a
    database deleted or restored from a backup) never takes one database's job for another's.
    """

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column()


class HeartbeatRow(Base):
    """The last time each process (clock, worker) showed it was alive; watchdogs read it."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column()


class ChannelAuditRow(Base):
    """Who changed a channel, when, and what it was before and after."""

    __tablename__ = "channel_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any]] = mapped_column()


class ContentRow(Base):
    """A content item: the request that started it, and where it is in its life.

    queued → generating → in_review → approved | changes_requested → … | rejected, or failed.
    """

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    brief: Mapped[str] = mapped_column(Text, default="")
    product: Mapped[dict[str, Any] | None] = mapped_column()
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    requester_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), index=True)
    element: Mapped[str | None] = mapped_column(String(16))
    element_reason: Mapped[str | None] = mapped_column(Text)
    template_version_id: Mapped[int | None] = mapped_column(Integer)
    experiment_variant_id: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str | None] = mapped_column(Text)
    review_channel: Mapped[str | None] = mapped_column(String(32))
    review_ts: Mapped[str | None] = mapped_column(String(32))
    # Generation: the job `generate-<id>-<attempts>` may claim the row, and holds it until lease_until;
    # the clock hands a row whose lease lapsed (its worker died) to the next attempt.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_until: Mapped[datetime | None] = mapped_column()
    # A reviewer's reason for changes, until the version that answers it is written.
    feedback: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(32))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    # The version the reviewer saw when they approved or rejected: buttons carry it.
    decided_version: Mapped[int | None] = mapped_column(Integer)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionRow(Base):
    """One immutable version of a content item's text, with how it was made and its fingerprint."""

    __tablename__ = "versions"
    # Each band's index carries the SimHash too, so the near-duplicate lookup measures distance
    # from the index alone, without reading the rows (storage.fingerprints).
    __table_args__ = (
        UniqueConstraint("content_id", "number"),
        Index("ix_versions_band0_simhash", "band0", "simhash"),
        Index("ix_versions_band1_simhash", "band1", "simhash"),
        Index("ix_versions_band2_simhash", "band2", "simhash"),
        Index("ix_versions_band3_simhash", "band3", "simhash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    author_kind: Mapped[str] = mapped_column(String(8))  # agent | person
    author_id: Mapped[str] = mapped_column(String(64))
    feedback: Mapped[str | None] = mapped_column(Text)
    # The template it is credited to (posts copy it), and every library template it was written from.
    template_version_id: Mapped[int | None] = mapped_column(Integer)
    template_version_ids: Mapped[list[Any] | None] = mapped_column()
    prompt: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(64))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column()
    # core.draft_checks.DraftChecks.to_dict(); NULL for versions stored before the checks existed.
    checks: Mapped[dict[str, Any] | None] = mapped_column()
    # A reviewer's approval despite the findings: {"by", "at", "findings": [...]}.
    findings_accepted: Mapped[dict[str, Any] | None] = mapped_column()
    # Fingerprint: the exact hash, the 64-bit SimHash (stored signed: SQL has no unsigned
    # 64-bit integer) and its four 16-bit bands, each indexed, so a near-duplicate lookup
    # reads only rows near in one band (pigeonhole: see core.fingerprint).
    exact_hash: Mapped[str] = mapped_column(String(64), index=True)
    simhash: Mapped[int] = mapped_column(BigInteger)
    band0: Mapped[int] = mapped_column(Integer)
    band1: Mapped[int] = mapped_column(Integer)
    band2: Mapped[int] = mapped_column(Integer)
    band3: Mapped[int] = mapped_column(Integer)
    media_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostRow(Base):
    """One version of a content item on one channel at one time."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    template_version_id: Mapped[int | None] = mapped_column(Integer)
    experiment_variant_id: Mapped[int | None] = mapped_column(Integer)
    tiktok_video_id: Mapped[str | None] = mapped_column(String(64), index=True)
    published_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(32))
    # Publishing: the job `publish-<installation>-<id>-<attempts>` holds the row until lease_until.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_until: Mapped[datetime | None] = mapped_column()
    posting_mode: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    privacy_level: Mapped[str | None] = mapped_column(String(32))
    caption: Mapped[str] = mapped_column(Text, default="", server_default="")
    media: Mapped[str | None] = mapped_column(Text)  # a file path or an https URL
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Stored the moment TikTok's init answers, before any byte is sent: it is never initialised again.
    publish_id: Mapped[str | None] = mapped_column(String(128), unique=True, index=True)
    public_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column()
    # Set just before init is sent: a post without it never reached TikTok and may be sent safely.
    init_sent_at: Mapped[datetime | None] = mapped_column()
    failure: Mapped[str | None] = mapped_column(Text)
    log_id: Mapped[str | None] = mapped_column(String(128))
    # A direct post's settings, chosen by a person in the schedule modal (TikTok's guidelines: off by default).
    allow_comment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_duet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allow_stitch: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    brand_organic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # your brand
    brand_content: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # paid
    override: Mapped[str | None] = mapped_column(Text)  # a reviewer's reason to post despite a check
    # Why the publish job held the post (its product stopped being live); a person decides.
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # When Shop video analytics were read for its product tag (the day after it went out).
    tag_checked_at: Mapped[datetime | None] = mapped_column()
    # A manual post waiting for its poster was last reminded then (the clock reminds every few minutes).
    reminded_at: Mapped[datetime | None] = mapped_column()
    # The bulk schedule it came in with, so one Undo cancels the whole batch.
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BulkBatchRow(Base):
    """One `/content schedule bulk`: its rows as sent, where its progress shows, and how it ended."""

    __tablename__ = "bulk_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[str] = mapped_column(String(32))
    # A file shared in Slack (downloaded by the job) or the pasted text itself.
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="checking")  # checking | scheduled | refused
    rows: Mapped[int] = mapped_column(Integer, default=0)
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    undone_by: Mapped[str | None] = mapped_column(String(32))
    undone_at: Mapped[datetime | None] = mapped_column()


class MetricSnapshotRow(Base):
    """A post's counters at one moment, from one source (TikTok's APIs or a CSV export)."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        Index("ix_metric_snapshots_post_taken", "post_id", "taken_at"),
        # Trends and the digest read a period of every post's snapshots by time.
        Index("ix_metric_snapshots_taken_at", "taken_at"),
        # A save rate reads each post's last snapshot that knows saves (the Display API's do not).
        Index(
            "ix_metric_snapshots_post_taken_saves",
            "post_id",
            "taken_at",
            sqlite_where=text("saves IS NOT NULL"),
            postgresql_where=text("saves IS NOT NULL"),
        ),
        # One snapshot per post, moment and source: importing a file twice adds nothing.
        UniqueConstraint("post_id", "taken_at", "source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column()
    views: Mapped[int] = mapped_column(Integer)
    likes: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    shares: Mapped[int] = mapped_column(Integer)
    # None when the source cannot see saves (the Display API has no such field).
    saves: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))


class LatestSnapshotRow(Base):
    """Each post's newest snapshot, kept beside the history (metric_snapshots) on every write.

    Alert sweeps, polling and the dashboard need one row per post; finding it in the history
    means grouping every snapshot ever taken (about 200 per post over its polling life).
    """

    __tablename__ = "latest_snapshots"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    # App Home starts from the posts measured lately.
    taken_at: Mapped[datetime] = mapped_column(index=True)
    views: Mapped[int] = mapped_column(Integer)
    likes: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    shares: Mapped[int] = mapped_column(Integer)
    saves: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))


class TemplateRow(Base):
    """A library template; its text lives in versions, so posts keep the version they used."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    elements: Mapped[list[Any]] = mapped_column(default=list)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TemplateVersionRow(Base):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    variables: Mapped[list[Any]] = mapped_column(default=list)  # [{name, description, sample}]
    example: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExperimentRow(Base):
    """An A/B test of templates on a channel (or on every channel when channel_id is None)."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    metric: Mapped[str] = mapped_column(String(16))
    allocation: Mapped[str] = mapped_column(String(16))
    min_sample: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(16), default="running", index=True
    )  # running | stopped | promoted
    winner_variant_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who stopped or promoted it, and when: a reviewer's decision, kept for the record.
    ended_by: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None] = mapped_column()


class ExperimentVariantRow(Base):
    __tablename__ = "experiment_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(8))  # A, B, C...
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))


class ShopConnectionRow(Base):
    """A TikTok Shop we may read, with its tokens encrypted by TOKEN_KEY (storage/crypto.py)."""

    __tablename__ = "shop_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), unique=True)
    shop_name: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(8), default="")
    shop_cipher: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str] = mapped_column(Text)  # encrypted
    access_expires_at: Mapped[datetime] = mapped_column()
    refresh_token: Mapped[str] = mapped_column(Text)  # encrypted
    refresh_expires_at: Mapped[datetime] = mapped_column()
    seller_name: Mapped[str] = mapped_column(String(255), default="")
    connected_by: Mapped[str] = mapped_column(String(32))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime | None] = mapped_column()


class ProductRow(Base):
    """A product of the synced TikTok Shop catalogue, with the facts and age grade we add to it."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_product_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    # The title's words folded (lower case, no accents) and space-separated, for a LIKE pre-filter.
    search_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(255), default="")
    facts: Mapped[list[Any]] = mapped_column(default=list)
    age_grade: Mapped[str | None] = mapped_column(String(16))
    shop_updated_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime] = mapped_column()


class AlertRow(Base):
    """One alert per key (rule + subject), kept across its firings; see core.alert_lifecycle.

    Every change is a conditional UPDATE on `revision`, and a new key an INSERT that yields
    to an existing one, so two workers deciding the same thing change the row once.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)  # firing | acknowledged | resolved
    summary: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    routes: Mapped[list[Any]] = mapped_column(default=list)
    repeat_every_seconds: Mapped[int | None] = mapped_column(Integer)
    first_fired_at: Mapped[datetime] = mapped_column()
    last_fired_at: Mapped[datetime] = mapped_column()
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    snoozed_until: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer, default=0)


class TikTokAccountRow(Base):
    """A channel's connected TikTok account: its tokens (encrypted with TOKEN_KEY, storage/crypto.py)
    and what creator info said. One per channel; a reconnection replaces it."""

    __tablename__ = "tiktok_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), unique=True)
    open_id: Mapped[str] = mapped_column(String(128), index=True)
    nickname: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str] = mapped_column(String(255), default="")
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    access_token: Mapped[str] = mapped_column(Text)  # encrypted
    access_expires_at: Mapped[datetime] = mapped_column()
    refresh_token: Mapped[str] = mapped_column(Text)  # encrypted
    refresh_expires_at: Mapped[datetime] = mapped_column()
    # privacy_level_options, comment/duet/stitch_disabled, max_video_post_duration_sec (reference §1.1)
    creator_info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="connected")  # connected | needs_reconnect
    reason: Mapped[str | None] = mapped_column(Text)
    connected_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthStateRow(Base):
    """A Connect link's `state`, kept as its SHA-256 (the value itself is a bearer secret): single use,
    and refused after core.accounts.STATE_LIFETIME."""

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None: a TikTok Shop Connect link (the shop belongs to the brand, not a channel).
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    code_verifier: Mapped[str | None] = mapped_column(String(128))  # PKCE, for flows that need it
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()


class DigestRow(Base):
    """One daily digest per local day: claimed before it is posted, so it goes out once."""

    __tablename__ = "digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slack_channel: Mapped[str] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    chart_file_id: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
