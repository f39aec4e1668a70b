"""Generation surface: `/content generate` (modal or shortcut), `queue`, `history`.

A request is written to the database first (the truth), then queued; the answer says where it stands.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import redis
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.forms import Form, field_errors
from bot.inputs import parse_id
from bot.modals import on_submit
from bot.services import Services
from bot.verbs import Command, Reply, UsageError, Verb, quote
from bot.views.generate import (
    CALLBACK_ID,
    MAX_BRIEF,
    GenerateForm,
    generate_view,
    history_blocks,
    origin_of,
    queue_blocks,
    queued_text,
    read_generate,
)
from config.redact import redact_url
from core.agents import AgentKind, Product
from core.content import Priority, TemplateChoice, choose_template
from core.forms import FieldError
from core.products import AgeGrade
from messages.blocks import escape
from messages.posts import queue_blocks as post_queue_blocks
from storage.channels import get_channel, list_channels
from storage.contents import create_request, get_content, queue_position, versions, waiting
from storage.experiments import (
    assigned_contents,
    default_template_versions,
    experiment_observations,
    running_experiment,
)
from storage.library import list_active
from storage.posts import upcoming
from storage.products import get_product, set_details
from workers.generate import enqueue_generation

log = logging.getLogger(__name__)


def generate(command: Command) -> Reply:
    """No arguments: the request modal. `<agent> <channel> <brief...>`: queue it straight away."""
    problem = _cannot_queue(command.services)
    if problem:
        return Reply(text=problem)
    if not command.args:
        with command.services.db() as session:
            channels = list_channels(session)
            templates = [
                (t.version_id, f"{t.spec.name} ({t.spec.kind.value.replace('_', ' ')})")
                for t in list_active(session)
            ]
        # trigger_id lives 3 s: open the modal before anything slow.
        command.client.views_open(
            trigger_id=command.trigger_id, view=generate_view(channels, templates, command.channel_id)
        )
        return Reply(text="Opening the content request.")
    if len(command.args) < 3:
        raise UsageError("Give an agent, a channel and a brief, or nothing to open the form.")
    agent_word, channel_name, *brief_words = command.args
    try:
        agent = AgentKind.parse(agent_word)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    brief = " ".join(brief_words)
    if len(brief) > MAX_BRIEF:
        raise UsageError(f"Keep the brief under {MAX_BRIEF} characters; it has {len(brief)}.")
    with command.services.db() as session:
        channel = get_channel(session, channel_name)
        names = [c.name for c in list_channels(session)]
    if channel is None or channel.id is None:
        raise UsageError(
            f"`{escape(quote(channel_name))}` is not a channel; the channels are {escape(', '.join(names))}."
        )
    form = GenerateForm(
        agent, channel.id, brief, priority=Priority.NORMAL, product=None, template_version_id=None
    )
    return Reply(text=request_content(command.services, command.user_id, form))


def show_queue(command: Command) -> Reply:
    """Content waiting for generation or review, then the posts coming up (of one channel, if named)."""
    name = " ".join(command.args)
    with command.services.db() as session:
        channel = get_channel(session, name) if name else None
        if name and (channel is None or channel.id is None):
            raise UsageError(f"`{escape(quote(name))}` is not a channel.")
        found = [c for c in waiting(session) if channel is None or c.channel_name == channel.name]
        coming = upcoming(session, channel.id if channel else None)
    blocks = queue_blocks(found)
    blocks += post_queue_blocks(coming, command.services.settings.tz, room=50 - len(blocks))
    return Reply(text=f"{len(found)} content item(s) waiting, {len(coming)} post(s) coming up", blocks=blocks)


def show_history(command: Command) -> Reply:
    if not command.args:
        raise UsageError("`history` needs a content id, e.g. `/content history 12`.")
    content_id = parse_id(command.args[0], "content id")
    with command.services.db() as session:
        content = get_content(session, content_id)
        found = versions(session, content_id) if content else []
    if content is None:
        raise UsageError(f"There is no content {content_id}.")
    return Reply(text=f"History of content {content_id}", blocks=history_blocks(content, found))


VERBS = [
    Verb(
        ("generate",),
        "generate [agent channel brief...]",
        "ask the AI agents for content (a form, or e.g. `generate script Water bath boat that squirts`)",
        generate,
    ),
    Verb(
        ("queue",),
        "queue [channel]",
        "content waiting to be generated or reviewed, and the posts coming up (Cancel, Reschedule)",
        show_queue,
    ),
    Verb(
        ("history",),
        "history <content id>",
        "a content item's versions and its last change",
        show_history,
        max_args=1,
    ),
]


def request_content(services: Services, user_id: str, form: GenerateForm) -> str:
    """Store the request, queue its generation, and say where it stands."""
    assert services.redis is not None and services.settings.review_channel is not None
    with services.db() as session:
        if form.template_version_id is not None:  # the requester's pick outranks any experiment
            choice = TemplateChoice(form.template_version_id)
        else:
            choice = template_for(session, form.agent, form.channel_id)
        content = create_request(
            session,
            agent=form.agent,
            channel_id=form.channel_id,
            brief=form.brief,
            product=shop_product(session, form),
            priority=form.priority,
            requester_id=user_id,
            template_version_id=choice.template_version_id,
            experiment_variant_id=choice.variant_id,
        )
    try:
        enqueue_generation(services.redis, services.settings.database_url, content)
    except redis.RedisError as exc:
        log.error("content %s: could not queue its generation: %s", content.id, exc)
        return (
            f"Saved content #{content.id}, but the queue (Redis) is unreachable right now; "
            "it is queued automatically once Redis is back."
        )
    with services.db() as session:
        position = queue_position(session, content)
    settings = services.settings
    log.info("content %s requested by %s (%s)", content.id, user_id, form.agent.value)
    return queued_text(
        content, position, settings.review_channel or "", offline=not settings.anthropic_api_key
    )


def shop_product(session: Session, form: GenerateForm) -> Product | None:
    """The request's product: a picked shop product takes its title and id from the catalogue; the
    facts, category and age grade typed in the form are kept with it, else those kept before are used."""
    typed = form.product
    picked = get_product(session, form.shop_product_id) if form.shop_product_id else None
    if picked is None:
        return typed
    if typed and (typed.facts or typed.category or typed.age_grade):
        try:
            age = AgeGrade.parse(typed.age_grade) if typed.age_grade else picked.age_grade
        except ValueError:  # "8" alone: the agents take it as written, the catalogue keeps its own
            age = picked.age_grade
        picked = set_details(
            session,
            picked.shop_product_id,
            category=typed.category or picked.category,
            facts=typed.facts or picked.facts,
            age_grade=age,
        )
    return picked.for_agents()


def template_for(
    session: Session, agent: AgentKind, channel_id: int, rng: random.Random | None = None
) -> TemplateChoice:
    """The template a request naming none is written from: what core.content.choose_template weighs,
    read through storage. Store the request in the same session: allocation counts assigned items."""
    running = running_experiment(session, channel_id)
    return choose_template(
        agent,
        running,
        experiment_observations(session, running) if running else (),
        assigned_contents(session, running) if running else {},
        default_template_versions(session, channel_id, agent.template_kinds),
        rng or random.Random(),
    )


def submit_request(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Queue the modal's request; the inline errors by block when it cannot be queued."""
    problem = _cannot_queue(services)
    if problem:
        return {"brief": problem}
    try:
        form = read_generate(Form(view))
    except FieldError as exc:
        return field_errors(exc)
    text = request_content(services, user_id, form)
    origin = origin_of(view)
    if origin:
        client.chat_postEphemeral(channel=origin, user=user_id, text=text)
    return None


def register(app: App, services: Services) -> None:
    on_submit(app, services, CALLBACK_ID, submit_request)


def _cannot_queue(services: Services) -> str | None:
    """Why generation is off (a missing setting, no Redis), or None when requests can be queued."""
    settings = services.settings
    if not settings.review_channel:
        return "REVIEW_CHANNEL is not set, so drafts would have nowhere to go: nothing was queued."
    if services.redis is None:
        return f"The generation queue (Redis at {redact_url(settings.redis_url)}) was unreachable at start-up: nothing was queued."
    return None
