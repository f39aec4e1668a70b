"""Experiments surface: `/content experiments`, `experiments new` (modal), reports, promote a winner."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.forms import Form, field_errors
from bot.inputs import check_values, parse_id
from bot.library import channel_of
from bot.modals import on_submit
from bot.roles import Role
from bot.services import Services
from bot.verbs import Command, Reply, Verb
from bot.views.experiments import (
    CALLBACK_ID,
    NEW_ACTION,
    PROMOTE_ACTION,
    REPORT_ACTION,
    STOP_ACTION,
    NewContext,
    list_blocks,
    new_view,
    read_new,
    report_blocks,
    where,
)
from core.experiments import ExperimentStatus
from core.forms import FieldError
from messages.blocks import as_dicts, escape
from storage.channels import list_channels
from storage.experiments import (
    ExperimentNotFound,
    create_experiment,
    experiment_report,
    get_experiment,
    list_experiments,
    promote,
    stop_experiment,
)
from storage.library import list_active

log = logging.getLogger(__name__)


def parse_experiment_id(value: str) -> int:
    return parse_id(value, "experiment id", "try `/content experiments` for the list")


def parse_winner(value: str) -> tuple[int, int]:
    """A Promote button's value: the experiment and its winning variant."""
    experiment, _, variant = value.partition(":")
    return parse_experiment_id(experiment), parse_id(variant, "variant id")


def show_experiments(command: Command) -> Reply:
    """The list, or with an id, that experiment's report."""
    if command.args:
        return report_reply(command.services, parse_experiment_id(command.args[0]))
    with command.services.db() as session:
        experiments = list_experiments(session)
    return Reply(text=f"{len(experiments)} experiments", blocks=list_blocks(experiments))


def report_reply(services: Services, experiment_id: int) -> Reply:
    with services.db() as session:
        try:
            result = experiment_report(session, experiment_id)
        except ExperimentNotFound as exc:
            return Reply(text=f"{exc} `/content experiments` lists them.")
    return Reply(text=f"Experiment {experiment_id}: {result.report.message}", blocks=report_blocks(result))


def open_new(command: Command) -> Reply:
    open_new_modal(command.services, command.client, command.trigger_id, command.channel_id)
    return Reply(text="Opening a new experiment.")


def open_new_modal(services: Services, client: WebClient, trigger_id: str, origin_channel: str) -> None:
    with services.db() as session:
        channels = list_channels(session)
        templates = list_active(session)
    client.views_open(trigger_id=trigger_id, view=new_view(channels, templates, NewContext(origin_channel)))


VERBS = [
    Verb(
        ("experiments",),
        "experiments [id]",
        "template A/B tests; with an id, its report",
        show_experiments,
        max_args=1,
    ),
    Verb(
        ("experiments", "new"),
        "experiments new",
        "start an A/B test of 2 or more templates (a modal)",
        open_new,
        max_args=0,
    ),
]


def submit_new(
    services: Services, client: WebClient, user_id: str, view: dict[str, Any]
) -> dict[str, str] | None:
    """Start the modal's experiment; the inline errors by block when it cannot start."""
    origin = NewContext.load(view.get("private_metadata", "")).origin_channel
    chosen = read_new(Form(view))
    with services.db() as session:
        try:
            experiment = create_experiment(
                session,
                name=chosen.name,
                template_ids=chosen.template_ids,
                metric=chosen.metric,
                allocation=chosen.allocation,
                min_sample=chosen.min_sample,
                channel_id=chosen.channel_id,
                created_by=user_id,
            )
        except FieldError as exc:
            return field_errors(exc)
    if origin:
        client.chat_postEphemeral(
            channel=origin,
            user=user_id,
            text=(
                f"Started experiment {experiment.id}, *{escape(experiment.name)}*, on {where(experiment)}: "
                f"{len(experiment.variants)} {experiment.kind.label}s, by {experiment.metric.label}. "
                f"`/content experiments {experiment.id}` shows the report."
            ),
        )
    log.info("experiment %s started by %s", experiment.id, user_id)
    return None


def promote_winner(services: Services, client: WebClient, user_id: str, value: str) -> Reply:
    """Promote for a reviewer; anyone else is told why not. The reply replaces the report."""
    experiment_id, variant_id = parse_winner(value)
    refusal = _not_a_reviewer(services, client, user_id, "promote a winner")
    if refusal is not None:
        return refusal
    with services.db() as session:
        try:
            promote(session, experiment_id, variant_id, user_id)
        except (FieldError, ExperimentNotFound) as exc:
            return Reply(text=str(exc))
    log.info("experiment %s: variant %s promoted by %s", experiment_id, variant_id, user_id)
    report = report_reply(services, experiment_id)
    return Reply(text=f"Promoted the winner of experiment {experiment_id}.", blocks=report.blocks)


def stop(services: Services, client: WebClient, user_id: str, value: str) -> Reply:
    """Stop for a reviewer, recording who; anyone else is told why not. The reply replaces the report."""
    experiment_id = parse_experiment_id(value)
    refusal = _not_a_reviewer(services, client, user_id, "stop an experiment")
    if refusal is not None:
        return refusal
    with services.db() as session:
        before = get_experiment(session, experiment_id)
        if before is None:
            return Reply(text=f"There is no experiment {experiment_id}.")
        stop_experiment(session, experiment_id, user_id)
    if before.status is not ExperimentStatus.RUNNING:
        text = f"Experiment {experiment_id} had already ended ({before.status.value}); nothing changed."
    else:
        text = f"Stopped experiment {experiment_id}: new requests no longer get its variants."
        log.info("experiment %s stopped by %s", experiment_id, user_id)
    return Reply(text=text, blocks=report_reply(services, experiment_id).blocks)


def _not_a_reviewer(services: Services, client: WebClient, user_id: str, action: str) -> Reply | None:
    """Why `user_id` may not do `action`, or None when they may."""
    refusal = services.roles.refusal(client, user_id, Role.REVIEWER, action)
    return Reply(text=refusal) if refusal else None


def register(app: App, services: Services) -> None:
    on_submit(app, services, CALLBACK_ID, submit_new)
    check_values(REPORT_ACTION, parse=parse_experiment_id)
    check_values(PROMOTE_ACTION, parse=parse_winner)
    check_values(STOP_ACTION, parse=parse_experiment_id)

    @app.action(NEW_ACTION)
    def new_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_new_modal(services, client, body["trigger_id"], channel_of(body))

    @app.action(REPORT_ACTION)
    def report_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        reply = report_reply(services, parse_experiment_id(body["actions"][0]["value"]))
        respond(text=reply.text, blocks=as_dicts(reply.blocks), replace_original=False)

    @app.action(PROMOTE_ACTION)
    def promote_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        ack()
        reply = promote_winner(services, client, context["user_id"], body["actions"][0]["value"])
        # A promoted report replaces the one clicked, so its button is gone; a refusal is said beside it.
        respond(text=reply.text, blocks=as_dicts(reply.blocks), replace_original=bool(reply.blocks))

    @app.action(STOP_ACTION)
    def stop_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        ack()
        reply = stop(services, client, context["user_id"], body["actions"][0]["value"])
        respond(text=reply.text, blocks=as_dicts(reply.blocks), replace_original=bool(reply.blocks))
