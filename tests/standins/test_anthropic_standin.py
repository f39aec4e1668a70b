"""The Anthropic stand-in, driven by the real `anthropic` SDK, and by raw HTTP where the SDK is too polite."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from standins.anthropic import AnthropicStandIn

API_KEY = "test-key"
MODEL = "claude-sonnet-5-5"
PROMPT = "Write a TikTok hook about the Bouncy Dino plush for curious toddlers"

SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "hook": {"type": "string", "minLength": 10, "maxLength": 40},
        "tone": {"type": "string", "enum": ["playful", "calm"]},
        "beats": {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 5},
        "seconds": {"type": "integer", "minimum": 15, "maximum": 60},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "on_screen_text": {"type": "boolean"},
        "product": {"$ref": "#/$defs/Product"},
        "cta": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5}]},
    },
    "required": ["hook", "tone", "beats", "seconds", "product"],
    "$defs": {
        "Product": {
            "type": "object",
            "properties": {"sku": {"type": "string", "minLength": 3}},
            "required": ["sku"],
        }
    },
}
TOOL = {"name": "save_script", "description": "Save the script.", "input_schema": SCRIPT_SCHEMA}


@pytest.fixture
def standin() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(api_key=API_KEY) as running:
        yield running


@pytest.fixture
def client(standin: AnthropicStandIn) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key=API_KEY, base_url=standin.base_url, max_retries=0, timeout=5) as sdk:
        yield sdk


def ask(client: anthropic.Anthropic, **overrides: Any) -> anthropic.types.Message:
    request: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 512,
        "messages": [{"role": "user", "content": PROMPT}],
        **overrides,
    }
    return client.messages.create(**request)


def ask_for_script(client: anthropic.Anthropic, **overrides: Any) -> anthropic.types.Message:
    return ask(client, tools=[TOOL], tool_choice={"type": "tool", "name": "save_script"}, **overrides)


def raw_post(standin: AnthropicStandIn, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{standin.base_url}/v1/messages", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


# --- Well-formed answers --------------------------------------------------------------------------------


def test_plain_request_gets_a_text_message_in_the_api_shape(client: anthropic.Anthropic) -> None:
    message = ask(client)

    assert message.type == "message"
    assert message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["text"]
    assert PROMPT in message.content[0].text
    assert message.usage.input_tokens == len(PROMPT) // 4 + 1  # ~4 characters a token, rounded up
    assert message.usage.output_tokens >= 1
    assert message.usage.cache_read_input_tokens == 0
    assert message._request_id is not None and message._request_id.startswith("req_")


def test_token_counts_are_deterministic(client: anthropic.Anthropic) -> None:
    first, second = ask_for_script(client), ask_for_script(client)

    assert first.usage == second.usage
    assert first.content[0].input == second.content[0].input


def test_forced_tool_gets_an_input_that_satisfies_its_schema(client: anthropic.Anthropic) -> None:
    message = ask_for_script(client)

    assert message.stop_reason == "tool_use"
    [call] = message.content
    assert call.type == "tool_use"
    assert call.name == "save_script"
    assert call.id.startswith("toolu_")
    data = call.input
    assert 10 <= len(data["hook"]) <= 40
    assert set(data["hook"].split()) <= set(PROMPT.split())  # readable words from the prompt
    assert data["tone"] in ("playful", "calm")
    assert 3 <= len(data["beats"]) <= 5 and all(isinstance(beat, str) and beat for beat in data["beats"])
    assert isinstance(data["seconds"], int) and 15 <= data["seconds"] <= 60
    assert isinstance(data["score"], float) and 0 < data["score"] <= 1
    assert data["on_screen_text"] is True
    assert len(data["product"]["sku"]) >= 3
    assert isinstance(data["cta"], str) and len(data["cta"]) <= 5


def test_offered_tool_is_called_even_without_tool_choice(client: anthropic.Anthropic) -> None:
    message = ask(client, tools=[TOOL])

    assert message.content[0].type == "tool_use"


def test_tool_choice_none_gets_text(client: anthropic.Anthropic) -> None:
    message = ask(client, tools=[TOOL], tool_choice={"type": "none"})

    assert message.content[0].type == "text"


def test_max_tokens_cuts_the_answer_short(client: anthropic.Anthropic) -> None:
    text = ask(client, max_tokens=2)
    tool = ask_for_script(client, max_tokens=2)

    assert text.stop_reason == "max_tokens"
    assert len(text.content[0].text) == 8
    assert tool.stop_reason == "max_tokens"
    assert tool.content[0].input == {}


def test_stop_sequence_ends_the_text(client: anthropic.Anthropic) -> None:
    message = ask(client, stop_sequences=["Bouncy"])

    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "Bouncy"
    assert "Bouncy" not in message.content[0].text


# --- Requests the API would refuse ---------------------------------------------------------------------


def test_wrong_key_is_401(standin: AnthropicStandIn) -> None:
    with (
        anthropic.Anthropic(api_key="wrong", base_url=standin.base_url, max_retries=0) as sdk,
        pytest.raises(anthropic.AuthenticationError) as caught,
    ):
        ask(sdk)

    assert caught.value.status_code == 401
    assert caught.value.type == "authentication_error"
    assert caught.value.request_id is not None
    assert caught.value.body["request_id"] == caught.value.request_id


def test_missing_key_and_missing_version_are_refused(standin: AnthropicStandIn) -> None:
    body = json.dumps(
        {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    ).encode()

    no_key = raw_post(standin, body, {"anthropic-version": "2026-10-21"})
    no_version = raw_post(standin, body, {"x-api-key": API_KEY})
    ok = raw_post(standin, body, {"x-api-key": API_KEY, "anthropic-version": "2026-10-21"})

    assert no_key[0] == 401 and no_key[1]["error"]["type"] == "authentication_error"
    assert no_version[0] == 400 and "anthropic-version" in no_version[1]["error"]["message"]
    assert ok[0] == 200 and ok[1]["type"] == "message"


def test_body_that_is_not_json_is_400(standin: AnthropicStandIn) -> None:
    status, body = raw_post(standin, b"{not json", {"x-api-key": API_KEY, "anthropic-version": "2026-10-21"})

    assert status == 400
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("field", ["temperature", "top_p", "top_k"])
def test_sampling_parameters_are_refused(client: anthropic.Anthropic, field: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(client, extra_body={field: 0.5})

    assert caught.value.type == "invalid_request_error"
    assert field in caught.value.api_message


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}, "alternate"),
        ({"messages": [{"role": "assistant", "content": "a"}]}, "first message"),
        ({"messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages.0.content.0.text"),
        ({"system": [{"type": "image", "source": {}}]}, "system.0.type"),
        ({"tools": [{"name": "bad name!", "input_schema": {"type": "object"}}]}, "tools.0.name"),
        ({"tools": [{"name": "t", "input_schema": {"type": "string"}}]}, "input_schema"),
        ({"tools": [TOOL], "tool_choice": {"type": "tool", "name": "other"}}, "tool_choice.name"),
        ({"tool_choice": {"type": "any"}}, "tool_choice"),
        ({"metadata": {"user": "x"}}, "metadata.user"),
        ({"extra_body": {"temprature": 1}}, "temprature"),
    ],
)
def test_malformed_requests_are_400(
    client: anthropic.Anthropic, overrides: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        ask(client, **overrides)

    assert complaint in caught.value.api_message


def test_unknown_model_is_404(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        ask(client, model="claude-imaginary-9")

    assert caught.value.type == "not_found_error"
    assert "claude-imaginary-9" in caught.value.api_message


def test_rejected_requests_do_not_use_up_the_script(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    standin.reply_text("scripted")

    with pytest.raises(anthropic.BadRequestError):
        ask(client, max_tokens=0)

    assert ask(client).content[0].text == "scripted"


# --- Scripted failures and replies ----------------------------------------------------------------------


def test_rate_limit_is_429_with_retry_after(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    standin.rate_limited(retry_after=7)

    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(client)

    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.type == "rate_limit_error"


def test_rate_limit_can_name_a_spend_limit(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    standin.rate_limited(error_code="enforced_spend_limit_reached")

    with pytest.raises(anthropic.EnforcedSpendLimitReachedError):
        ask(client)


def test_overloaded_is_529(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    standin.overloaded()

    with pytest.raises(anthropic.OverloadedError) as caught:
        ask(client)

    assert caught.value.status_code == 529
    assert caught.value.type == "overloaded_error"


def test_server_error_is_500(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    standin.server_error()

    with pytest.raises(anthropic.InternalServerError) as caught:
        ask(client)

    assert caught.value.status_code == 500
    assert not isinstance(caught.value, anthropic.OverloadedError)
    assert caught.value.type == "api_error"


def test_script_is_used_in_order_then_defaults_return(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    standin.overloaded(times=2)
    standin.reply_text("third")

    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(ask(client).content[0].text)
        except anthropic.OverloadedError:
            outcomes.append("529")

    assert outcomes[:3] == ["529", "529", "third"]
    assert outcomes[3].startswith("This is the stand-in's answer")


def test_sdk_retries_follow_retry_after(standin: AnthropicStandIn) -> None:
    standin.rate_limited(retry_after=0.01, times=2)

    with anthropic.Anthropic(api_key=API_KEY, base_url=standin.base_url, max_retries=2) as sdk:
        message = ask(sdk)

    assert message.content[0].type == "text"
    assert [r.headers["x-stainless-retry-count"] for r in standin.requests] == ["0", "1", "2"]


def test_scripted_tool_and_text_replies_pass_through(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    standin.reply_tool({"hook": 42})
    standin.reply_text("no tool for you")

    tool = ask_for_script(client)
    text = ask_for_script(client)

    assert tool.content[0].name == "save_script" and tool.content[0].input == {"hook": 42}
    assert text.content[0].type == "text" and text.stop_reason == "end_turn"


def test_malformed_replies_break_the_schema(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    standin.reply_malformed("missing_required")
    standin.reply_malformed("wrong_type")
    standin.reply_malformed("not_json")

    missing = ask_for_script(client).content[0]
    wrong = ask_for_script(client).content[0]
    not_json = ask_for_script(client).content[0]

    assert missing.type == "tool_use" and "hook" not in missing.input and "tone" in missing.input
    assert wrong.type == "tool_use" and not isinstance(wrong.input["hook"], str)
    assert not_json.type == "text"
    with pytest.raises(json.JSONDecodeError):
        json.loads(not_json.text)


def test_tool_script_without_tools_is_a_loud_500(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    standin.reply_tool({"hook": "x"})

    with pytest.raises(anthropic.InternalServerError) as caught:
        ask(client)

    assert "stand-in script" in caught.value.api_message


def test_slow_reply_trips_the_client_timeout(standin: AnthropicStandIn) -> None:
    standin.slow(5)

    with (
        anthropic.Anthropic(api_key=API_KEY, base_url=standin.base_url, max_retries=0, timeout=0.2) as sdk,
        pytest.raises(anthropic.APITimeoutError),
    ):
        ask(sdk)


def test_slow_reply_arrives_when_the_client_waits(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    standin.slow(0.05)

    assert ask(client).stop_reason == "end_turn"


# --- What tests can look at ------------------------------------------------------------------------------


def test_requests_are_recorded_with_headers_and_body(
    standin: AnthropicStandIn, client: anthropic.Anthropic
) -> None:
    system = [{"type": "text", "text": "Brand voice: warm.", "cache_control": {"type": "ephemeral"}}]
    ask_for_script(client, system=system)

    [recorded] = standin.requests
    assert recorded.method == "POST" and recorded.path == "/v1/messages"
    assert recorded.headers["authorization"] == f"Bearer {API_KEY}"
    assert "anthropic-version" in recorded.headers
    assert recorded.body["system"] == system
    assert recorded.body["tools"] == [TOOL]
    assert recorded.body["tool_choice"] == {"type": "tool", "name": "save_script"}


def test_refused_requests_are_recorded_too(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError):
        ask(client, extra_body={"temperature": 1})

    assert standin.requests[0].body["temperature"] == 1


def test_reset_forgets_requests_and_script(standin: AnthropicStandIn, client: anthropic.Anthropic) -> None:
    ask(client)
    standin.overloaded()

    standin.reset()

    assert standin.requests == []
    assert ask(client).stop_reason == "end_turn"


def test_unknown_path_is_404(standin: AnthropicStandIn) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{standin.base_url}/v1/models", timeout=5)
    with caught.value as error:
        assert error.code == 404
        assert json.load(error)["error"]["type"] == "not_found_error"


def test_base_url_needs_a_running_standin() -> None:
    with pytest.raises(RuntimeError):
        _ = AnthropicStandIn().base_url


def test_runs_as_a_module() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "standins.anthropic", "--port", "0", "--api-key", "k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        with anthropic.Anthropic(api_key="k", base_url=base_url, max_retries=0, timeout=5) as sdk:
            message = ask(sdk)
        assert base_url.startswith("http://127.0.0.1:")
        assert message.type == "message"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
