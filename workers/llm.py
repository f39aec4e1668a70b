"""Our one way of asking Claude for something: a JSON answer shaped by a schema.

The answer comes back through a single forced tool call: the schema is the tool's `input_schema` and
`tool_choice` makes the model call it, so what we read is the `tool_use` block's `input`. Checking that
input against the schema is the agents' job (they retry once, quoting the error); here we only insist
that there *is* a tool call.

Retries of rate limits, overloads, server errors and timeouts are the SDK's (it honours `retry-after`);
whatever still fails becomes an `LLMError` whose `reason` a person can read in Slack and whose
`retryable` says whether running the job again later could help.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anthropic
from anthropic.types import Message

from core.templates import TemplateSpec


@dataclass(frozen=True)
class LLMResult:
    data: dict[str, Any]  # the tool call's input, not yet checked against the schema
    model: str  # the model that answered, as the API reports it
    input_tokens: int  # all input, including what was written to or read from the prompt cache
    output_tokens: int
    latency_ms: float  # the whole call, SDK retries and their waits included
    request_id: str | None
    templates: tuple[TemplateSpec, ...] = ()  # Claude fills no library template itself: see core.agents.Draft


class LLMError(Exception):
    """Claude could not be asked, or did not answer."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class LLMOutputError(LLMError):
    """Claude answered, but not in the shape asked for (no call to the tool)."""


class ClaudeClient:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.timeout = timeout
        # The SDK's defaults (a 10-minute timeout) would hold a worker far longer than a job is worth.
        self._sdk = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> ClaudeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], tool_name: str, max_tokens: int = 2048
    ) -> LLMResult:
        """Ask for an answer shaped by `schema`. `system` should hold what stays the same from call to
        call (brand voice, template), since it is cached; `prompt` holds what changes."""
        started = time.perf_counter()
        try:
            message = self._sdk.messages.create(
                model=self.model,
                max_tokens=max_tokens,
                # Tools and system come first in the prompt, so this breakpoint caches both.
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": prompt}],
                tools=[
                    {
                        "name": tool_name,
                        "description": "Give your answer by calling this tool; its input is the answer.",
                        "input_schema": schema,
                    }
                ],
                tool_choice={"type": "tool", "name": tool_name},
            )
        except anthropic.APIError as exc:
            raise _llm_error(exc, timeout=self.timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return _result(message, tool_name, latency_ms)


def _result(message: Message, tool_name: str, latency_ms: float) -> LLMResult:
    call = next((b for b in message.content if b.type == "tool_use" and b.name == tool_name), None)
    if call is None:
        # A reply cut off by max_tokens will be cut off again; anything else may go better next time.
        raise LLMOutputError(
            f"Claude answered without calling {tool_name}; it stopped with {message.stop_reason}"
            + _request_note(message._request_id),
            retryable=message.stop_reason != "max_tokens",
        )
    usage = message.usage
    return LLMResult(
        data=dict(call.input),
        model=message.model,
        input_tokens=usage.input_tokens
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0),
        output_tokens=usage.output_tokens,
        latency_ms=latency_ms,
        request_id=message._request_id,
    )


def _llm_error(exc: anthropic.APIError, *, timeout: float) -> LLMError:
    # The SDK numbers each attempt on the wire, so the last request says how many were made.
    attempts = int(exc.request.headers.get("x-stainless-retry-count", "0")) + 1
    tried = f"; tried {attempts} time{'s' if attempts > 1 else ''}"
    match exc:
        case anthropic.APITimeoutError():
            return LLMError(f"Claude did not answer within {timeout:g}s{tried}", retryable=True)
        case anthropic.APIConnectionError():
            url = exc.request.url
            where = f"{url.host}:{url.port}" if url.port else url.host
            return LLMError(f"Could not reach Claude at {where}{tried}", retryable=True)
        case anthropic.APIStatusError():
            return _status_error(exc, tried)
        case _:
            return LLMError(f"Claude's answer could not be read: {exc.message}", retryable=False)


def _status_error(exc: anthropic.APIStatusError, tried: str) -> LLMError:
    status, note = exc.status_code, _request_note(exc.request_id)
    detail = f": {exc.api_message}" if exc.api_message else ""
    match exc:
        case anthropic.APIStatusError(status_code=529):
            return LLMError(f"Claude is overloaded ({status}){tried}{note}", retryable=True)
        case anthropic.ContractSpendLimitReachedError() | anthropic.EnforcedSpendLimitReachedError():
            # Waiting minutes will not lift a monthly limit; a person has to.
            return LLMError(f"Claude's spend limit is reached ({status}){detail}{note}", retryable=False)
        case anthropic.RateLimitError():
            return LLMError(f"Claude's rate limit was hit ({status}){tried}{note}", retryable=True)
        case anthropic.InternalServerError():
            return LLMError(f"Claude had a server error ({status}){tried}{note}", retryable=True)
        case anthropic.AuthenticationError():
            return LLMError(
                f"Claude refused the API key ({status}); check ANTHROPIC_API_KEY{note}", retryable=False
            )
        case anthropic.PermissionDeniedError():
            return LLMError(f"The API key may not do this ({status}){detail}{note}", retryable=False)
        case anthropic.NotFoundError():
            return LLMError(f"Claude has no such model or endpoint ({status}){detail}{note}", retryable=False)
        case anthropic.BadRequestError():
            return LLMError(f"Claude rejected the request ({status}){detail}{note}", retryable=False)
        case _:
            # Other statuses (408, 409, 413, ...): retryable where the SDK itself would retry.
            retryable = status in (408, 409)
            return LLMError(
                f"Claude API error ({status}){detail}{tried if retryable else ''}{note}", retryable=retryable
            )


def _request_note(request_id: str | None) -> str:
    return f" (request {request_id})" if request_id else ""


def warm_up() -> None:
    """Build the SDK's answer models now: it builds them on the first answer, ~60 ms, which a forked work
    horse would otherwise pay on every job (see workers.generate.preload)."""
    Message.model_validate(
        {
            "id": "msg_warm_up",
            "type": "message",
            "role": "assistant",
            "model": "warm-up",
            "content": [{"type": "tool_use", "id": "toolu_warm_up", "name": "warm_up", "input": {}}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )
