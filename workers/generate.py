"""Generation: a content request becomes a version in review.

    enqueue_generation(connection, database_url, content)
                                              the job `generate-<installation>-<content id>-<attempt>`,
                                              on the queue of the request's priority (high, default, low)
    generate_content(content_id, attempt)     the job: claim, write, categorise, check, store, show for review
    recover(connection, database_url, now)    the clock's sweep: generations whose worker died, lost jobs

The database decides who generates: the job claims its row for its attempt and holds a short lease on it
(workers/leases.py), renewed while it writes. A job that finds the row taken, done or moved on to a later
attempt exits, so a job that runs twice writes one version. When a worker dies mid-generation its lease
lapses within LEASE and the clock queues the next attempt; RQ alone would notice only after ~10 minutes
and never re-run the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import redis
from rq import Retry
from rq.job import Job
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import configure_mappers

from config.settings import Settings
from core.agents import (
    AGENTS,
    Agent,
    Draft,
    DraftError,
    GenerationContext,
    GenerationRequest,
    MalformedAnswer,
    Writer,
    agent_for,
    generate,
    render_prompts,
)
from core.channels import BrandVoice
from core.content import Content
from core.draft_checks import DraftChecks, DraftText
from core.elements import Element, ElementRules, categorise
from core.templates import TemplateError, render
from core.versions import Version
from messages.review import failure_blocks, show_review, title, version_note
from messages.slack import direct_message, slack_client
from storage import contents, generation
from storage.channels import get_channel_by_id
from storage.db import session_scope
from storage.installation import installation_id
from storage.library import library_version_ids, template_version
from templates import draft_rules, load_library, prompt_source
from workers import leases
from workers.draft_checker import check_draft
from workers.leases import JobError, Lease, Policy
from workers.llm import ClaudeClient, LLMError, LLMOutputError, LLMResult, warm_up
from workers.offline_writer import OfflineWriter, offline_library
from workers.queues import LIVE, enqueue_once, job_status
from workers.runtime import settings as current_settings

log = logging.getLogger(__name__)

# One Claude call waits at most CLAUDE_TIMEOUT, and the SDK tries it 1 + CLAUDE_RETRIES times (honouring
# retry-after); a job makes at most two calls (one retry of a malformed answer). JOB_TIMEOUT bounds all
# of that. The lease is short and renewed while the job runs, so a dead worker's request resumes within
# LEASE plus a clock tick, however long a live one takes.
CLAUDE_TIMEOUT = 60.0
CLAUDE_RETRIES = 1
JOB_TIMEOUT = 300
LEASE = timedelta(seconds=20)
# After the SDK's own quick retries, a rate limit or overload gets two more goes, later.
RETRY_INTERVALS = (30, 120)
RETRIES = len(RETRY_INTERVALS)
POLICY = Policy(lease=LEASE, retry_intervals=RETRY_INTERVALS)
# Waiting content untouched this long has its job checked: Redis may have lost it.
LOST_AFTER = timedelta(minutes=2)


def job_id(database_url: str, content_id: int, attempt: int) -> str:
    return f"generate-{installation_id(database_url)}-{content_id}-{attempt}"


def enqueue_generation(connection: redis.Redis, database_url: str, content: Content) -> Job:
    """Queue the content's current attempt: the job that will run it (already queued, or new)."""
    return enqueue_once(
        connection,
        content.priority.queue,
        generate_content,
        content.id,
        content.attempts,
        job_id=job_id(database_url, content.id, content.attempts),
        job_timeout=JOB_TIMEOUT,
    )


@dataclass(frozen=True)
class _Work:
    content: Content
    agent: Agent
    request: GenerationRequest
    context: GenerationContext
    previous: Version | None


def generate_content(content_id: int, attempt: int) -> str | Retry:
    """The RQ job. Returns what it did, or an RQ Retry to be run again later."""
    settings = current_settings()
    return leases.run(Generation(settings, content_id, attempt), settings.database_url, POLICY)


@dataclass
class Generation:
    """Generation's steps in the leased-job lifecycle (workers/leases.py)."""

    settings: Settings
    row_id: int
    attempt: int

    def claim(self, session: Any, until: datetime) -> bool:
        return generation.claim(session, self.row_id, self.attempt, until)

    def renew(self, session: Any, until: datetime) -> bool:
        return generation.renew(session, self.row_id, self.attempt, until)

    def release(self, session: Any) -> bool:
        return generation.release(session, self.row_id, self.attempt)

    def not_claimed(self) -> str:
        return f"content {self.row_id} attempt {self.attempt}: not waiting to be generated"

    def work(self, lease: Lease) -> str:
        settings, content_id, attempt = self.settings, self.row_id, self.attempt
        with session_scope(settings.database_url) as session:
            work = _work(session, content_id)
        try:
            draft = generate(work.agent, work.request, work.context, _writer(settings, work), prompt_source)
        except LLMError as exc:
            raise JobError(exc.reason, retryable=exc.retryable) from exc
        except (DraftError, TemplateError) as exc:
            # TemplateError: a template saved before the sandbox's limits, now too costly to render.
            raise JobError(str(exc), retryable=False) from exc

        element, reason = _element(settings, work, draft.fields)
        checks = _check(settings, work, draft.fields)
        with session_scope(settings.database_url) as session:
            version = generation.finish(
                session,
                content_id,
                attempt,
                draft.fields,
                element=element,
                element_reason=reason,
                prompt=draft.prompt,
                model=draft.model,
                input_tokens=draft.input_tokens,
                output_tokens=draft.output_tokens,
                latency_ms=draft.latency_ms,
                checks=checks,
                template_version_ids=_templates_used(session, work, draft),
            )
            if version is None:
                return f"content {content_id} attempt {attempt}: the clock gave it to a later attempt"
            content = contents.get_content(session, content_id)
        assert content is not None
        show_review(settings, content, note=version_note(version, work.previous))
        return f"content {content_id}: v{version.number} in review"

    def give_up(self, reason: str) -> str:
        """Mark the content failed and tell the requester (and the review thread, if there is one)."""
        settings, content_id = self.settings, self.row_id
        with session_scope(settings.database_url) as session:
            if not generation.fail(session, content_id, self.attempt, reason):
                return f"content {content_id} attempt {self.attempt}: failed, but the clock had moved it on"
            content = contents.get_content(session, content_id)
        assert content is not None
        text = f"{title(content)} could not be generated: {reason}"
        client = slack_client(settings)
        try:
            direct_message(client, content.requester_id, text, blocks=failure_blocks(content, text))
        except SlackApiError as exc:
            log.error(
                "content %s: could not tell %s it failed: %s",
                content_id,
                content.requester_id,
                exc.response["error"],
            )
        if content.review_ts:
            show_review(settings, content, note=f":warning: {text}")
        return f"content {content_id}: failed: {reason}"


def recover(connection: redis.Redis, database_url: str, now: datetime) -> list[int]:
    """The clock's sweep; returns the ids of content it queued again."""
    with session_scope(database_url) as session:
        lapsed = generation.requeue_lapsed(session, now)
        waiting = generation.queued_since(session, now - LOST_AFTER)
    for content in lapsed:
        log.warning(
            "content %s: its worker stopped mid-generation; queued as attempt %s",
            content.id,
            content.attempts,
        )
        enqueue_generation(connection, database_url, content)
    requeued = [c.id for c in lapsed]
    for content in waiting:
        status = job_status(connection, job_id(database_url, content.id, content.attempts))
        if status in LIVE:
            continue
        if status is not None:  # failed, stopped or cancelled: its id is spent, so take the next one
            with session_scope(database_url) as session:
                if not generation.next_attempt(session, content.id, content.attempts):
                    continue
                content = contents.get_content(session, content.id) or content
        enqueue_generation(connection, database_url, content)
        requeued.append(content.id)
    return requeued


# --- Inside the job -------------------------------------------------------------------------------------


def _work(session: Any, content_id: int) -> _Work:
    content = contents.get_content(session, content_id)
    assert content is not None and content.channel_id is not None
    channel = get_channel_by_id(session, content.channel_id)
    assert channel is not None
    template = template_version(session, content.template_version_id) if content.template_version_id else None
    previous = contents.latest_version(session, content_id)
    request = GenerationRequest(
        agent=content.agent,
        brief=content.brief,
        product=content.product,
        feedback=content.feedback,
        previous=previous.fields if previous and content.feedback else None,
    )
    context = GenerationContext(
        channel_name=channel.name,
        element=channel.element,
        voice=channel.voice,
        hashtags=channel.hashtags,
        template_name=template.name if template else None,
        template_body=template.body if template else None,
    )
    return _Work(content, agent_for(content.agent), request, context, previous)


def _templates_used(session: Any, work: _Work, draft: Draft) -> list[int]:
    """The template versions the draft was written from. A model writes from the request's template
    (in its prompt); the offline writer says which library templates it filled, the request's first
    when it is among them, as the version is credited to the first."""
    chosen = work.content.template_version_id
    if not draft.offline:
        return [chosen] if chosen is not None else []
    used = library_version_ids(session, draft.templates)
    return sorted(used, key=lambda version_id: version_id != chosen)


def _writer(settings: Settings, work: _Work) -> Writer:
    if not settings.anthropic_api_key:
        return OfflineWriter(work.request, work.context)
    claude = _claude(settings.anthropic_api_key, settings.anthropic_model, settings.anthropic_base_url)

    def write(*, system: str, prompt: str, schema: dict[str, Any], tool_name: str) -> LLMResult:
        try:
            return claude.complete_json(system=system, prompt=prompt, schema=schema, tool_name=tool_name)
        except LLMOutputError as exc:
            # No tool call is a malformed answer like any other: the agent sends it back once.
            raise MalformedAnswer(exc.reason) from exc

    return write


@lru_cache(maxsize=4)
def _claude(api_key: str, model: str, base_url: str | None) -> ClaudeClient:
    # Building the SDK's client costs ~20 ms (its TLS context), more than the rest of a job: one per
    # process and settings, reused by the jobs a thread worker runs one after another.
    return ClaudeClient(
        api_key=api_key, model=model, base_url=base_url, timeout=CLAUDE_TIMEOUT, max_retries=CLAUDE_RETRIES
    )


def _check(settings: Settings, work: _Work, fields: dict[str, Any]) -> DraftChecks:
    """The draft's findings before anyone reviews it: the rules, and Claude's with a key."""
    draft = DraftText.of_fields(fields, work.request.product, work.context.voice.words_to_avoid)
    return check_draft(draft, claude_client(settings))


def claude_client(settings: Settings) -> ClaudeClient | None:
    """This process's Claude client for the settings; None without ANTHROPIC_API_KEY."""
    if not settings.anthropic_api_key:
        return None
    return _claude(settings.anthropic_api_key, settings.anthropic_model, settings.anthropic_base_url)


def _element(settings: Settings, work: _Work, fields: dict[str, Any]) -> tuple[str, str]:
    """The content's element by the library's rules; when they cannot decide, Claude's choice (with a
    key), else the channel's own element. The reason says which."""
    product = work.request.product
    text = "\n".join(
        part
        for part in (contents.version_text(fields), work.request.brief, product.title if product else "")
        if part
    )
    found = categorise(
        text,
        _element_rules(),
        product_category=product.category if product and product.category else None,
        hashtags=fields.get("hashtags", []),
    )
    reasons = "; ".join(found.reasons)
    if found.element is not None:
        return found.element.value, reasons
    if settings.anthropic_api_key:
        claude = _claude(settings.anthropic_api_key, settings.anthropic_model, settings.anthropic_base_url)
        try:
            answer = claude.complete_json(
                system="You sort a toy shop's content into the element of the channel it suits.",
                prompt=render(prompt_source("element"), {"reasons": reasons, "text": text}),
                schema=ELEMENT_SCHEMA,
                tool_name="choose_element",
                max_tokens=200,
            )
            return Element(answer.data["element"]).value, f"{reasons}; Claude chose: {answer.data['reason']}"
        except (LLMError, KeyError, ValueError) as exc:
            # The element is a label on content already written: not worth failing the draft for.
            log.warning("content %s: Claude could not choose an element: %s", work.content.id, exc)
    channel_element = work.context.element
    return channel_element.value, f"{reasons}; so the channel's element, {channel_element.label}"


# What Claude answers when the rules cannot place content.
ELEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "element": {"type": "string", "enum": [e.value for e in Element]},
        "reason": {"type": "string", "maxLength": 300},
    },
    "required": ["element", "reason"],
}


@cache
def _element_rules() -> ElementRules:
    return ElementRules.from_mapping(load_library("elements"))


def preload() -> None:
    """Do once, in the worker process before it forks, what every job would otherwise redo: RQ forks a
    fresh work horse per job, which starts with whatever its parent had ready (measured: ~370 ms a job
    cold). `contentbot worker` calls it at start."""
    configure_mappers()
    warm_up()
    settings = current_settings()
    if settings.anthropic_api_key:
        # Built before the fork and inherited unused (no connection open yet), so horses skip its ~20 ms.
        _claude(settings.anthropic_api_key, settings.anthropic_model, settings.anthropic_base_url)
    _element_rules()
    draft_rules()
    offline_library()
    sample = GenerationContext(channel_name="", element=Element.AIR, voice=BrandVoice())
    for agent in AGENTS.values():
        render_prompts(
            agent, GenerationRequest(agent.kind, brief="-"), sample, prompt_source
        )  # compiles them
        _ = agent.schema
