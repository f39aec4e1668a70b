"""ClaudeClient against the Anthropic stand-in: the real SDK, its retries and timeouts, over loopback HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from standins.anthropic import AnthropicStandIn
from workers.llm import ClaudeClient, LLMError, LLMOutputError

API_KEY = "test-key"
MODEL = "claude-sonnet-5-5"
SYSTEM = "You write TikTok scripts for Bouncy Toys. Voice: warm, playful, never pushy."
PROMPT = "Write a script about the Bouncy Dino plush."
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "hook": {"type": "string", "maxLength": 80},
        "beats": {"type": "array", "items": {"type": "string"}, "minItems": 2},
    },
    "required": ["hook", "beats"],
}


@pytest.fixture
def standin() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(api_key=API_KEY) as running:
        yield running


def claude(standin: AnthropicStandIn, **overrides: Any) -> ClaudeClient:
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "model": MODEL,
        "base_url": standin.base_url,
        "timeout": 5.0,
    }
    return ClaudeClient(**{**options, **overrides})


def write_script(client: ClaudeClient) -> Any:
    with client:
        return client.complete_json(system=SYSTEM, prompt=PROMPT, schema=SCHEMA, tool_name="write_script")


def test_answer_is_the_tool_input_with_usage(standin: AnthropicStandIn) -> None:
    result = write_script(claude(standin))

    assert set(result.data) == {"hook", "beats"}
    assert isinstance(result.data["hook"], str) and len(result.data["beats"]) >= 2
    assert result.model == MODEL
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.latency_ms > 0
    assert result.request_id is not None and result.request_id.startswith("req_")


def test_request_forces_the_tool_and_caches_the_system_prompt(standin: AnthropicStandIn) -> None:
    write_script(claude(standin, max_retries=0))

    [request] = standin.requests
    body = request.body
    assert body["model"] == MODEL
    assert body["max_tokens"] == 2048
    assert body["system"] == [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    [tool] = body["tools"]
    assert tool["name"] == "write_script" and tool["input_schema"] == SCHEMA and tool["description"]
    assert body["tool_choice"] == {"type": "tool", "name": "write_script"}
    assert not {"temperature", "top_p", "top_k"} & set(body)


def test_timeout_and_retries_are_set_on_the_sdk(standin: AnthropicStandIn) -> None:
    write_script(claude(standin, timeout=7.5))

    # The SDK tells the server the read timeout it will wait for.
    assert standin.requests[0].headers["x-stainless-read-timeout"] == "7.5"


def test_rate_limit_is_retried_until_it_succeeds(standin: AnthropicStandIn) -> None:
    standin.rate_limited(retry_after=0.01)

    result = write_script(claude(standin, max_retries=2))

    assert result.data["hook"]
    assert len(standin.requests) == 2


def test_overload_that_outlasts_the_retries_is_a_retryable_error(standin: AnthropicStandIn) -> None:
    standin.overloaded(retry_after=0.01, times=3)

    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, max_retries=2))

    error = caught.value
    assert error.retryable is True
    assert "overloaded (529)" in error.reason
    assert "tried 3 times" in error.reason
    assert "req_" in error.reason
    assert str(error) == error.reason
    assert len(standin.requests) == 3


def test_server_error_is_retryable(standin: AnthropicStandIn) -> None:
    standin.server_error()

    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, max_retries=0))

    assert caught.value.retryable is True
    assert "server error (500)" in caught.value.reason
    assert "tried 1 time (request req_" in caught.value.reason


def test_wrong_key_is_not_retryable(standin: AnthropicStandIn) -> None:
    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, api_key="wrong-key"))

    assert caught.value.retryable is False
    assert "API key (401)" in caught.value.reason
    assert len(standin.requests) == 1


def test_unknown_model_is_not_retryable(standin: AnthropicStandIn) -> None:
    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, model="claude-imaginary-9"))

    assert caught.value.retryable is False
    assert "(404)" in caught.value.reason and "claude-imaginary-9" in caught.value.reason


def test_spend_limit_is_not_retryable(standin: AnthropicStandIn) -> None:
    standin.rate_limited(retry_after=0.01, error_code="enforced_spend_limit_reached")

    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, max_retries=0))

    assert caught.value.retryable is False
    assert "spend limit" in caught.value.reason


def test_slow_answer_is_a_retryable_timeout(standin: AnthropicStandIn) -> None:
    standin.slow(5)

    with pytest.raises(LLMError) as caught:
        write_script(claude(standin, timeout=0.2, max_retries=0))

    assert caught.value.retryable is True
    assert "did not answer within 0.2s" in caught.value.reason


def test_unreachable_server_is_a_retryable_connection_error() -> None:
    # A bound socket that never listens refuses connections, and holds the port so nothing else takes it.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        client = ClaudeClient(
            api_key=API_KEY, model=MODEL, base_url=f"http://127.0.0.1:{port}", max_retries=0
        )
        with pytest.raises(LLMError) as caught:
            write_script(client)

    assert caught.value.retryable is True
    assert f"Could not reach Claude at 127.0.0.1:{port}" in caught.value.reason


def test_text_instead_of_a_tool_call_is_an_output_error(standin: AnthropicStandIn) -> None:
    standin.reply_text("Here is your script: a dino bounces.")

    with pytest.raises(LLMOutputError) as caught:
        write_script(claude(standin))

    assert "without calling write_script" in caught.value.reason
    assert caught.value.retryable is True


def test_answer_cut_off_by_max_tokens_is_not_worth_repeating(standin: AnthropicStandIn) -> None:
    standin.reply_text("A very long answer that will not fit. " * 10)

    with claude(standin) as client, pytest.raises(LLMOutputError) as caught:
        client.complete_json(
            system=SYSTEM, prompt=PROMPT, schema=SCHEMA, tool_name="write_script", max_tokens=5
        )

    assert "max_tokens" in caught.value.reason
    assert caught.value.retryable is False


def test_tool_input_is_returned_without_checking_the_schema(standin: AnthropicStandIn) -> None:
    standin.reply_malformed("missing_required")

    result = write_script(claude(standin))

    assert "hook" not in result.data  # the agents layer validates and asks again
