"""The Slack stand-in, exercised through the real WebClient and a real Bolt app served over HTTP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standins.slack import REQUIRED_FIELD_ERROR, ChangeKind, SlackStandIn, SuggestionRefused, Workspace
from standins.slack.blockkit import suggestion_errors

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
CHANNEL = "C0CONTENT"
ALICE = "U0ALICE"

IDEA_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "idea",
    "title": {"type": "plain_text", "text": "New idea"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "hint": {"type": "plain_text", "text": "At least 5 characters"},
            "element": {"type": "plain_text_input", "action_id": "title_input"},
        },
        {
            "type": "input",
            "block_id": "element",
            "label": {"type": "plain_text", "text": "Element"},
            "element": {
                "type": "static_select",
                "action_id": "element_select",
                "options": [
                    {"text": {"type": "plain_text", "text": "Air"}, "value": "air"},
                    {"text": {"type": "plain_text", "text": "Fire"}, "value": "fire"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "notes",
            "optional": True,
            "label": {"type": "plain_text", "text": "Notes"},
            "element": {"type": "plain_text_input", "action_id": "notes_input", "initial_value": "none"},
        },
    ],
}


def draft_blocks(title: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "draft", "text": {"type": "mrkdwn", "text": f"*Draft:* {title}"}},
        {
            "type": "actions",
            "block_id": "review",
            "elements": [
                {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}},
                {
                    "type": "button",
                    "action_id": "reject",
                    "style": "danger",
                    "value": "draft-1",
                    "text": {"type": "plain_text", "text": "Reject"},
                },
            ],
        },
    ]


def build_demo_app(standin: SlackStandIn) -> App:
    """The smallest app that uses every surface the stand-in serves."""
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=standin.api_url))

    @app.command("/content")
    def content(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = command["text"].strip()
        if text == "help":
            ack("Try `/content new` or `/content TITLE`")
            return
        ack()
        if text == "new":
            client.views_open(trigger_id=command["trigger_id"], view=IDEA_MODAL)
        else:
            client.chat_postMessage(
                channel=command["channel_id"], text=f"Draft: {text}", blocks=draft_blocks(text)
            )

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        approved = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"Approved by <@{body['user']['id']}>"},
        }
        client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text="Approved", blocks=[approved]
        )

    @app.action("reject")
    def reject(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Rejected", replace_original=True)

    @app.view("idea")
    def idea(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        title = values["title"]["title_input"]["value"]
        if len(title) < 5:
            ack(response_action="errors", errors={"title": "Give it at least 5 characters"})
            return
        ack()
        element = values["element"]["element_select"]["selected_option"]["value"]
        client.chat_postMessage(channel=CHANNEL, text=f"New idea: {title} ({element})")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Content engine"}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": "3 drafts waiting"}},
                ],
            },
        )

    return app


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output free of access logs."""


@contextlib.contextmanager
def serve(app: App) -> Iterator[str]:
    """Serve a Bolt app on a loopback port, as `contentbot console` will; yields its base URL."""
    server = make_server(
        "127.0.0.1",
        0,
        SlackRequestHandler(app),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(BOT_TOKEN, clock=clock) as running:
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=standin.api_url)


@pytest.fixture
def app_url(standin: SlackStandIn) -> Iterator[str]:
    with serve(build_demo_app(standin)) as url:
        yield url


@pytest.fixture
def workspace(standin: SlackStandIn, app_url: str) -> Iterator[Workspace]:
    people = Workspace(standin, app_url=app_url, signing_secret=SIGNING_SECRET)
    yield people
    people.close()


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# -- Web API --------------------------------------------------------------------------------------------


def test_messages_threads_and_lookups(standin: SlackStandIn, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == standin.bot_user.id
    first = client.chat_postMessage(channel=CHANNEL, text="hello")
    second = client.chat_postMessage(channel="#content", text="again")
    reply = client.chat_postMessage(channel=CHANNEL, text="in thread", thread_ts=first["ts"])

    assert first["message"]["text"] == "hello" and first["channel"] == CHANNEL
    assert first["ts"] < second["ts"] < reply["ts"]
    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in history] == ["again", "hello"]  # newest first, replies stay in their thread
    thread = client.conversations_replies(channel=CHANNEL, ts=first["ts"])["messages"]
    assert [m["text"] for m in thread] == ["hello", "in thread"]
    permalink = client.chat_getPermalink(channel=CHANNEL, message_ts=reply["ts"])["permalink"]
    assert permalink.endswith(f"?thread_ts={first['ts']}&cid={CHANNEL}")
    assert client.users_info(user=ALICE)["user"]["name"] == "alice"
    assert api_error(lambda: client.users_info(user="U0NOBODY")).response["error"] == "user_not_found"
    assert [args["text"] for _, args in standin.calls("chat.postMessage")] == ["hello", "again", "in thread"]


def test_update_only_the_bots_own_existing_messages(standin: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=CHANNEL, text="v1")
    client.chat_update(channel=CHANNEL, ts=posted["ts"], text="v2")
    assert standin.message(CHANNEL, posted["ts"]).text == "v2"

    human = standin.seed_message(CHANNEL, ALICE, "mine")
    assert api_error(lambda: client.chat_update(channel=CHANNEL, ts=human.ts, text="x")).response[
        "error"
    ] == ("cant_update_message")
    missing = api_error(lambda: client.chat_update(channel=CHANNEL, ts="1.000000", text="x"))
    assert missing.response["error"] == "message_not_found"


def test_auth_and_unknown_methods(standin: SlackStandIn) -> None:
    anonymous = WebClient(base_url=standin.api_url)
    assert api_error(lambda: anonymous.auth_test()).response["error"] == "not_authed"
    impostor = WebClient(token="xoxb-wrong", base_url=standin.api_url)
    wrong = api_error(lambda: impostor.chat_postMessage(channel=CHANNEL, text="hi"))
    assert wrong.response.status_code == 200 and wrong.response["error"] == "invalid_auth"
    unknown = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    assert api_error(lambda: unknown.api_call("chat.teleport")).response["error"] == "unknown_method"
    assert standin.messages(CHANNEL) == []


def test_ephemerals_are_per_user(standin: SlackStandIn, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel=CHANNEL, user=ALICE, text="only you")
    assert [e.text for e in standin.ephemerals(CHANNEL, ALICE)] == ["only you"]
    assert standin.ephemerals(CHANNEL, "U0BOB") == []
    assert standin.ephemerals(CHANNEL, ALICE)[0].ts == answer["message_ts"]
    assert standin.messages(CHANNEL) == []


def test_block_kit_limits(standin: SlackStandIn, client: WebClient) -> None:
    divider = {"type": "divider"}
    too_many = api_error(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[divider] * 51))
    assert too_many.response["error"] == "invalid_blocks"
    assert too_many.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]

    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    too_long = api_error(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[long_section]))
    assert too_long.response["errors"] == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]

    trigger = standin.issue_trigger_id(ALICE)
    titled = {**IDEA_MODAL, "title": {"type": "plain_text", "text": "A title that is far too long"}}
    bad_view = api_error(lambda: client.views_open(trigger_id=trigger, view=titled))
    assert bad_view.response["error"] == "invalid_arguments"
    assert "[json-pointer:/view/title/text]" in bad_view.response["response_metadata"]["messages"][0]

    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too; the stand-in records it for tests
        client.chat_postMessage(
            channel=CHANNEL, blocks=[long_section | {"text": {"type": "mrkdwn", "text": "ok"}}]
        )
    assert standin.warnings() == [
        "chat.postMessage without fallback text (used in notifications and screen readers)"
    ]
    assert len(standin.messages(CHANNEL)) == 1


def test_chat_post_message_is_rate_limited_per_channel(
    standin: SlackStandIn, client: WebClient, clock
) -> None:
    standin.posts_per_second_per_channel = 2
    client.chat_postMessage(channel=CHANNEL, text="1")
    client.chat_postMessage(channel=CHANNEL, text="2")
    limited = api_error(lambda: client.chat_postMessage(channel=CHANNEL, text="3"))
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "1"
    assert limited.response["error"] == "ratelimited"
    client.chat_postMessage(channel=standin.dm_channel(ALICE), text="other channels are not limited")

    clock.now += 1.0
    client.chat_postMessage(channel=CHANNEL, text="4")
    assert [m.text for m in standin.messages(CHANNEL)] == ["1", "2", "4"]


def test_triggers_expire_after_three_seconds_and_work_once(
    standin: SlackStandIn, client: WebClient, clock: FakeClock
) -> None:
    stale = standin.issue_trigger_id(ALICE)
    clock.now += 3.5
    assert api_error(lambda: client.views_open(trigger_id=stale, view=IDEA_MODAL)).response["error"] == (
        "expired_trigger_id"
    )
    assert api_error(lambda: client.views_open(trigger_id="1.2.3", view=IDEA_MODAL)).response["error"] == (
        "invalid_trigger_id"
    )
    fresh = standin.issue_trigger_id(ALICE)
    opened = client.views_open(trigger_id=fresh, view=IDEA_MODAL)["view"]
    assert opened["state"]["values"]["notes"]["notes_input"] == {"type": "plain_text_input", "value": "none"}
    assert opened["state"]["values"]["element"]["element_select"]["selected_option"] is None
    assert api_error(lambda: client.views_open(trigger_id=fresh, view=IDEA_MODAL)).response["error"] == (
        "exchanged_trigger_id"
    )
    assert [v.id for v in standin.modals(ALICE)] == [opened["id"]]


def test_views_update_hash_and_push_limit(standin: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(trigger_id=standin.issue_trigger_id(ALICE), view=IDEA_MODAL)["view"]
    renamed = {**IDEA_MODAL, "title": {"type": "plain_text", "text": "Renamed"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=renamed)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    conflict = api_error(
        lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=IDEA_MODAL)
    )
    assert conflict.response["error"] == "hash_conflict"

    for _ in range(2):
        client.views_push(trigger_id=standin.issue_trigger_id(ALICE), view=IDEA_MODAL)
    over = api_error(lambda: client.views_push(trigger_id=standin.issue_trigger_id(ALICE), view=IDEA_MODAL))
    assert over.response["error"] == "push_limit_reached"
    assert len(standin.modals(ALICE)) == 3
    assert standin.modals(ALICE)[0].definition["title"]["text"] == "Renamed"


def test_file_upload_v2_records_bytes_and_shares_them(standin: SlackStandIn, client: WebClient) -> None:
    client.files_upload_v2(
        channel=CHANNEL, content=b"frame-bytes", filename="hook.mp4", title="Hook", initial_comment="cut 1"
    )
    [upload] = standin.files()
    assert (upload.filename, upload.title, upload.content, upload.channel) == (
        "hook.mp4",
        "Hook",
        b"frame-bytes",
        CHANNEL,
    )
    [share] = standin.messages(CHANNEL)
    assert share.text == "cut 1" and share.files[0]["id"] == upload.id


# -- the workspace talking to a real Bolt app -------------------------------------------------------------


def test_signed_requests_only(standin: SlackStandIn, workspace: Workspace, app_url: str) -> None:
    forgers = [
        Workspace(standin, app_url=app_url, signing_secret=SIGNING_SECRET, sign=False),
        Workspace(standin, app_url=app_url, signing_secret="not-the-secret"),
        Workspace(standin, app_url=app_url, signing_secret=SIGNING_SECRET, timestamp_offset=-400),
    ]
    for forger in forgers:
        assert forger.slash(ALICE, "forged").status == 401
        forger.close()
    assert workspace.slash(ALICE, "Spring drop").status == 200
    standin.wait_for(lambda: standin.messages(CHANNEL))
    assert [m.text for m in standin.messages(CHANNEL)] == ["Draft: Spring drop"]


def test_slash_ack_text_shows_as_ephemeral(standin: SlackStandIn, workspace: Workspace) -> None:
    reply = workspace.slash(ALICE, "help")
    assert reply.body == "Try `/content new` or `/content TITLE`"  # Bolt acks with plain text
    assert [e.text for e in standin.ephemerals(CHANNEL, ALICE)] == ["Try `/content new` or `/content TITLE`"]


def test_buttons_update_and_replace_messages(standin: SlackStandIn, workspace: Workspace) -> None:
    workspace.slash(ALICE, "Spring drop")
    draft = standin.wait_for(lambda: standin.messages(CHANNEL))[0]

    assert workspace.click(ALICE, action_id="approve", message=(CHANNEL, draft.ts)).status == 200
    approved = standin.wait_for(lambda: (m := standin.message(CHANNEL, draft.ts)) and m.edited and m)
    assert approved.text == "Approved"
    assert approved.blocks[0]["text"]["text"] == f"Approved by <@{ALICE}>"
    assert standin.calls("chat.update")[0][1]["ts"] == draft.ts

    workspace.slash(ALICE, "Summer drop")
    second = standin.wait_for(lambda: len(standin.messages(CHANNEL)) == 2 and standin.messages(CHANNEL)[1])
    workspace.click(ALICE, action_id="reject", message=(CHANNEL, second.ts))
    standin.wait_for(lambda: standin.message(CHANNEL, second.ts).text == "Rejected")
    assert [args for _, args in standin.calls("response_url")] == [
        {"text": "Rejected", "replace_original": True}
    ]


def test_modal_errors_keep_it_open_until_valid(standin: SlackStandIn, workspace: Workspace) -> None:
    workspace.slash(ALICE, "new")
    [modal] = standin.wait_for(lambda: standin.modals(ALICE))

    incomplete = workspace.submit(
        ALICE, modal.id, {"title": {"title_input": {"type": "plain_text_input", "value": ""}}}
    )
    assert incomplete.status is None  # Slack's client never sends a modal with empty required fields
    assert incomplete.errors == {"title": REQUIRED_FIELD_ERROR, "element": REQUIRED_FIELD_ERROR}

    fire = {"type": "static_select", "selected_option": IDEA_MODAL["blocks"][1]["element"]["options"][1]}
    short = {
        "title": {"title_input": {"type": "plain_text_input", "value": "abc"}},
        "element": {"element_select": fire},
    }
    rejected = workspace.submit(ALICE, modal.id, short)
    assert rejected.status == 200 and rejected.errors == {"title": "Give it at least 5 characters"}
    assert [v.errors for v in standin.modals(ALICE)] == [{"title": "Give it at least 5 characters"}]

    good = {"title": {"title_input": {"type": "plain_text_input", "value": "Lava lamp"}}}
    accepted = workspace.submit(ALICE, modal.id, good)
    assert accepted.status == 200 and accepted.errors == {}
    assert standin.modals(ALICE) == []
    posted = standin.wait_for(lambda: standin.messages(CHANNEL))
    assert [m.text for m in posted] == ["New idea: Lava lamp (fire)"]


def test_app_home_is_published_when_opened(standin: SlackStandIn, workspace: Workspace) -> None:
    assert workspace.open_home(ALICE).status == 200
    home = standin.wait_for(lambda: standin.home(ALICE))
    assert home.type == "home"
    assert [b["type"] for b in home.blocks] == ["header", "section"]
    assert [c.kind for c in standin.changes()] == [ChangeKind.HOME_PUBLISHED]


def test_messages_are_kept_in_the_state_file_and_a_bad_file_is_set_aside(tmp_path: Path) -> None:
    kept = tmp_path / "workspace.slack.json"
    first = SlackStandIn(BOT_TOKEN, state_file=kept)
    posted = first.seed_message("C0CONTENT", "U0ALICE", "hello")
    reply = first.seed_message("C0CONTENT", "U0ALICE", "in the thread", thread_ts=posted.ts)
    ephemeral_free = first.kept_messages()

    second = SlackStandIn(BOT_TOKEN, state_file=kept)
    assert second.thread("C0CONTENT", posted.ts) == [posted, reply]
    assert second.kept_messages() == ephemeral_free == {"C0CONTENT": 2}
    later = second.seed_message("C0CONTENT", "U0BOB", "after a restart")
    assert float(later.ts) > float(reply.ts)  # the clock goes on from the kept messages

    kept.write_text('{"channels": [], "messages": [{"ts": 1')  # cut short
    third = SlackStandIn(BOT_TOKEN, state_file=kept)
    assert third.kept_messages() == {}
    assert third.state_problem is not None and "workspace.slack.json.unreadable" in third.state_problem
    assert (tmp_path / "workspace.slack.json.unreadable").read_text().startswith('{"channels"')


PICK_MODAL = {
    "type": "modal",
    "callback_id": "pick",
    "title": {"type": "plain_text", "text": "Pick a toy"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "toy",
            "label": {"type": "plain_text", "text": "Toy"},
            "element": {"type": "external_select", "action_id": "toy_search"},
        }
    ],
}


def test_an_external_select_asks_the_app_for_options_as_slack_does(standin: SlackStandIn) -> None:
    heard: list[dict[str, Any]] = []
    app = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=standin.api_url))

    @app.command("/content")
    def open_modal(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=PICK_MODAL)

    @app.options("toy_search")
    def toys(ack: Ack, payload: dict[str, Any]) -> None:
        heard.append(payload)
        count = 101 if payload["value"] == "many" else 2
        ack(
            options=[
                {"text": {"type": "plain_text", "text": f"Kite {i}"}, "value": str(i)} for i in range(count)
            ]
        )

    with serve(app) as url:
        people = Workspace(standin, app_url=url, signing_secret=SIGNING_SECRET)
        people.slash(ALICE, "pick")
        [modal] = standin.wait_for(lambda: standin.modals(ALICE))
        assert people.suggest(ALICE, modal.id, "toy_search", "ki") == []  # under min_query_length 3
        assert heard == []
        listed = people.suggest(ALICE, modal.id, "toy_search", "kit")
        assert [o["value"] for o in listed] == ["0", "1"]
        [asked] = heard
        assert asked["type"] == "block_suggestion" and asked["value"] == "kit" and asked["block_id"] == "toy"
        assert asked["view"]["id"] == modal.id and "trigger_id" not in asked
        with pytest.raises(SuggestionRefused) as refused:
            people.suggest(ALICE, modal.id, "toy_search", "many")
        assert refused.value.errors == ["no more than 100 items allowed [json-pointer:/options]"]
        unsigned = Workspace(standin, app_url=url, signing_secret="wrong")
        with pytest.raises(SuggestionRefused, match="HTTP 401"):
            unsigned.suggest(ALICE, modal.id, "toy_search", "kite")
        people.close()
        unsigned.close()


def test_suggestion_answers_slack_refuses() -> None:
    good = {"text": {"type": "plain_text", "text": "Kite"}, "value": "1"}
    assert suggestion_errors({"options": [good]}) == []
    assert suggestion_errors({"option_groups": [{"label": {}, "options": [good]}]}) == []
    long = {"options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "1"}]}
    assert suggestion_errors(long) == ["must be less than 76 characters [json-pointer:/options/0/text/text]"]
    mrkdwn = {"options": [{"text": {"type": "mrkdwn", "text": "x"}, "value": "1"}]}
    assert suggestion_errors(mrkdwn) == ["must be plain_text [json-pointer:/options/0/text]"]
    assert suggestion_errors({"options": [{**good, "value": ""}]})
    assert suggestion_errors({"text": "no options"}) and suggestion_errors(
        {"options": [], "option_groups": []}
    )
