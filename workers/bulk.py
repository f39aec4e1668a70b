"""The job of a bulk schedule: read the rows, check every one as a single schedule is and all of them
against each other, then schedule them all in one transaction or none, saying why in the batch's
message, which shows its progress meanwhile.

    enqueue_bulk(connection, database_url, batch_id)     the job `bulk-<installation>-<batch id>`

The job may run twice (RQ runs a job at least once): the batch row moves from `checking` only once,
so its posts are written once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import redis
from rq.job import Job
from sqlalchemy.orm import Session

from config.settings import Settings
from core.bulk import (
    Batch,
    BulkRow,
    Placed,
    RowProblem,
    batch_problems,
    read_rows,
    same_content,
    summarise,
)
from core.forms import FieldError
from core.metrics import MAX_FILE_BYTES, MetricsFileError, decode_metrics_file
from core.scheduling import PRODUCT, VIDEO, WHEN, ScheduleRequest, Video
from messages import bulk as message
from messages.blocks import escape
from storage import bulk as store
from storage.db import session_scope
from storage.fingerprints import KnownPosts
from storage.installation import installation_id
from storage.lookups import Lookups
from storage.scheduling import Checked, check_schedule, post_columns
from workers import videos
from workers.accounts import sandbox as use_sandbox
from workers.queues import enqueue_once
from workers.runtime import settings as current_settings

# The progress message moves every this many rows: a few updates for a big file, well inside
# Slack's limits for chat.update.
PROGRESS_ROWS = 250


def enqueue_bulk(connection: redis.Redis, database_url: str, batch_id: int) -> Job:
    return enqueue_once(
        connection,
        "default",
        run_batch,
        batch_id,
        job_id=f"bulk-{installation_id(database_url)}-{batch_id}",
        job_timeout=600,
    )


def run_batch(batch_id: int) -> str:
    """The RQ job: check batch `batch_id` and schedule it whole, or say every problem."""
    settings = current_settings()
    with session_scope(settings.database_url) as session:
        batch = store.get_batch(session, batch_id)
    if batch is None or batch.status != "checking":
        return f"bulk schedule {batch_id}: already {batch.status if batch else 'gone'}"
    message.show(settings, batch, "Reading the rows…", message.progress_blocks(batch, 0, None))
    try:
        text = batch.text if batch.text is not None else download(settings, batch.file_url or "")
    except MetricsFileError as exc:
        return _refuse(settings, batch, [RowProblem(0, "", p) for p in exc.problems], 0)
    now = datetime.now(UTC)
    rows, problems = read_rows(text, now, settings.tz)
    problems = [RowProblem(p.line, p.column, escape(p.text)) for p in problems]

    def progress(done: int) -> None:
        if done % PROGRESS_ROWS == 0:
            message.show(
                settings,
                batch,
                f"Checking row {done} of {len(rows)}…",
                message.progress_blocks(batch, done, len(rows)),
            )

    try:
        return _check_and_schedule(settings, batch, rows, problems, now, progress)
    except Exception:
        # The job fails for RQ to keep; the person hears that nothing was scheduled, not silence.
        message.show(settings, batch, "The check failed.", message.failed_blocks(batch))
        raise


def _check_and_schedule(
    settings: Settings,
    batch: Batch,
    rows: list[BulkRow],
    problems: list[RowProblem],
    now: datetime,
    progress: Callable[[int], None],
) -> str:
    with session_scope(settings.database_url) as session:
        placed, row_problems = check_rows(session, settings, rows, now, progress)
        problems += row_problems
        if problems:
            session.rollback()
        else:
            post_ids = store.schedule_batch(
                session,
                batch.id,
                [post_columns(request, checked, user_id=batch.created_by) for _, request, checked in placed],
            )
            if post_ids is None:
                return f"bulk schedule {batch.id}: decided by an earlier run"
            lines = {post_id: row.line for post_id, (row, _, _) in zip(post_ids, placed, strict=True)}
    if problems:
        return _refuse(settings, batch, problems, len(rows))
    with session_scope(settings.database_url) as session:
        posts = store.batch_posts(session, batch.id)
    blocks = message.scheduled_blocks(batch, posts, lines, settings.tz)
    message.show(settings, batch, f"Scheduled {len(posts)} post(s).", blocks)
    return f"bulk schedule {batch.id}: {len(posts)} post(s) scheduled"


def check_rows(
    session: Session,
    settings: Settings,
    rows: list[BulkRow],
    now: datetime,
    progress: Callable[[int], None] = lambda done: None,
) -> tuple[list[tuple[BulkRow, ScheduleRequest, Checked]], list[RowProblem]]:
    """Each row through the single schedule's check (storage.scheduling.check_schedule), then the rows
    against each other.

    Rows with a time go first, so that `next` rows, in file order, take free slots around them and
    around each other.
    """
    problems = [RowProblem(p.line, p.column, escape(p.text)) for p in same_content(rows)]
    lookups = Lookups(session, now, known=KnownPosts.load(session))
    lookups.prefetch(row.content_id for row in rows)
    for row in rows:
        channel = lookups.channel(row.channel)
        if row.when is not None and channel is not None and channel.id is not None:
            lookups.plan(channel.id, row.when)
    videos: dict[str, Video | FieldError] = {}
    placed: list[tuple[BulkRow, ScheduleRequest, Checked]] = []
    sandbox = use_sandbox(settings)
    for done, row in enumerate(sorted(rows, key=lambda r: r.when is None), start=1):
        video = _video(settings, row.video, videos) if row.video else None
        request = ScheduleRequest(
            row.content_id,
            row.channel,
            row.when,
            privacy=row.privacy,
            video=video if isinstance(video, Video) else None,
            product_id=row.products[0] if row.products else None,
        )
        checked = check_schedule(
            session,
            request,
            now=now,
            tz=settings.tz,
            sandbox=sandbox,
            may_override=False,
            lookups=lookups,
            overridable=False,
        )
        errors = dict(checked.errors)
        if isinstance(video, FieldError):
            errors[VIDEO] = str(video)
        problems += [RowProblem(row.line, _COLUMNS.get(f, f), escape(text)) for f, text in errors.items()]
        if not errors:
            placed.append((row, request, checked))
            if row.when is None and checked.channel and checked.channel.id and checked.at:
                lookups.plan(checked.channel.id, checked.at)
        progress(done)
    together = [_placed(row, checked) for row, _, checked in placed]
    taken = {p.channel_id: lookups.taken(p.channel_id) for p in together}
    pending = {p.line: lookups.pending(p.channel_id, p.at) for p in together if p.posting_mode == "draft"}
    problems += [
        RowProblem(p.line, p.column, escape(p.text))
        for p in batch_problems(together, taken, pending, settings.tz)
    ]
    return sorted(placed, key=lambda item: item[0].line), problems


# A check's fields as a bulk row's columns.
_COLUMNS = {WHEN: "time", PRODUCT: "products"}
# A row's video fetched in the worker, with no modal waiting: a big file may take this long.
VIDEO_BUDGET = 120.0


def _video(settings: Settings, where: str, seen: dict[str, Video | FieldError]) -> Video | FieldError:
    """The row's video, read (or fetched into MEDIA_DIR) once per batch however many rows name it."""
    if where not in seen:
        try:
            seen[where] = (
                videos.from_url(settings, where, budget=VIDEO_BUDGET)
                if where.startswith("https://")
                else videos.from_path(where)
            )
        except FieldError as exc:
            seen[where] = exc
    return seen[where]


def _placed(row: BulkRow, checked: Checked) -> Placed:
    channel = checked.channel
    assert channel is not None and channel.id is not None and checked.at and checked.fingerprint
    return Placed(
        line=row.line,
        content_id=row.content_id,
        channel_id=channel.id,
        channel_name=channel.name,
        at=checked.at,
        fingerprint=checked.fingerprint,
        product_id=checked.product_id,
        posting_mode=channel.posting_mode.value,
        daily_cap=channel.daily_cap,
        min_gap=channel.min_gap,
    )


def _refuse(settings: Settings, batch: Batch, problems: list[RowProblem], rows: int) -> str:
    with session_scope(settings.database_url) as session:
        store.refuse(session, batch.id, rows)
    shown, more = summarise(problems, limit=message.SHOWN_PROBLEMS)
    count = len(problems)
    message.show(
        settings,
        batch,
        f"Nothing was scheduled: {count} problem(s).",
        message.refused_blocks(batch, shown, more, rows),
    )
    return f"bulk schedule {batch.id}: refused, {count} problem(s)"


# --- The file, from Slack -----------------------------------------------------------------------------


def download(settings: Settings, url: str) -> str:
    """A file shared in Slack, fetched from its url_private with the bot token; MetricsFileError (one
    problem, for the whole file) when it cannot be had."""
    host = urlsplit(url).hostname or ""
    api_host = urlsplit(settings.slack_api_url).hostname or ""
    # The bot token goes only to Slack: a file URL pointing elsewhere is not Slack's file.
    if not (host == api_host or host == "slack.com" or host.endswith(".slack.com")):
        raise MetricsFileError(
            [f"The file's address is not on Slack ({escape(host)}), so I did not fetch it."]
        )
    try:
        with httpx.stream(
            "GET", url, headers={"Authorization": f"Bearer {settings.slack_bot_token}"}, timeout=30
        ) as answer:
            if answer.status_code != 200:
                raise MetricsFileError(
                    [f"Slack answered HTTP {answer.status_code} for the file; share it again."]
                )
            # Without a token Slack answers a file URL with its sign-in page, not the file.
            if answer.headers.get("content-type", "").startswith("text/html"):
                raise MetricsFileError(
                    ["Slack sent a sign-in page instead of the file: the app needs the files:read scope."]
                )
            data = b""
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > MAX_FILE_BYTES:
                    raise MetricsFileError([f"The file is over {MAX_FILE_BYTES:,} bytes."])
    except httpx.HTTPError as exc:
        raise MetricsFileError(
            [f"The file could not be fetched from Slack ({type(exc).__name__}); try again."]
        ) from None
    return decode_metrics_file(data)
