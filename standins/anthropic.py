"""A local stand-in for the Anthropic Messages API, for tests and offline development.

It speaks the wire format of `POST /v1/messages` as the installed `anthropic` SDK sends it, so tests
point the real SDK at it with `base_url` and exercise the real retry, timeout and error handling:

    with AnthropicStandIn(api_key="test-key") as standin:
        client = anthropic.Anthropic(api_key="test-key", base_url=standin.base_url)
        standin.rate_limited(retry_after=0.01)   # the next call gets a 429 ...
        client.messages.create(...)               # ... which the SDK retries, then gets an answer

Requests are checked the way the API checks them (auth, `anthropic-version`, the body's fields) and
rejected with the API's error shape. With nothing scripted, the answer is deterministic and
well-formed: a `tool_use` whose input satisfies the tool's JSON schema when tools are offered, a text
block otherwise. Scripted replies and failures are used up first, one per accepted request, in order.

Run it by hand with `python -m standins.anthropic --port 8765`; it prints its base URL.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import threading
import typing
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from anthropic.types import ModelParam

from standins.loopback import Answer, LoopbackServer, Request, StandIn, serve_until_interrupted

# The models the installed SDK knows by name; asking for any other model gets a 404, as from the API.
KNOWN_MODELS: frozenset[str] = frozenset(typing.get_args(typing.get_args(ModelParam)[0]))

# The API version (2026-10-21) that anthropic 2.14 speaks no longer accepts sampling parameters.
_SAMPLING_FIELDS = ("temperature", "top_p", "top_k")

# Body fields the API accepts. The stand-in checks the ones our code relies on and ignores the rest,
# but rejects anything else, so a misspelt field fails here as it would against the API.
_MESSAGE_FIELDS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "metadata",
        "stop_sequences",
        "stream",
        "cache_control",
        "container",
        "diagnostics",
        "inference_geo",
        "output_config",
        "service_tier",
        "speed",
        "thinking",
    }
)

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_CHARS_PER_TOKEN = 4
_FALLBACK_WORDS = ("playful", "bright", "toy", "story", "for", "curious", "kids")

Malformation = Literal["missing_required", "wrong_type", "not_json"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived, accepted or not."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # the parsed JSON, or None when the body was not JSON


# --- What tests can script --------------------------------------------------------------------------


@dataclass(frozen=True)
class _ToolReply:
    input: dict[str, Any]
    name: str | None


@dataclass(frozen=True)
class _TextReply:
    text: str


@dataclass(frozen=True)
class _MalformedReply:
    how: Malformation


@dataclass(frozen=True)
class _Delay:
    seconds: float


@dataclass(frozen=True)
class _Failure:
    status: int
    error_type: str
    message: str
    retry_after: float | None
    error_code: str | None


_Step = _ToolReply | _TextReply | _MalformedReply | _Delay | _Failure


# --- Answers and rejections ---------------------------------------------------------------------------


class _Reject(Exception):
    """Stops handling a request; becomes the API's error body."""

    def __init__(self, status: int, error_type: str, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.error_code = error_code


def _invalid(message: str) -> _Reject:
    return _Reject(400, "invalid_request_error", message)


def _misuse(message: str) -> _Reject:
    # A script that cannot apply to the request is a bug in the test; say so loudly, as a server error.
    return _Reject(500, "api_error", f"stand-in script: {message}")


def _error_response(reject: _Reject, request_id: str, headers: dict[str, str] | None = None) -> Answer:
    error: dict[str, Any] = {"type": reject.error_type, "message": reject.message}
    if reject.error_code is not None:
        error["details"] = {"error_code": reject.error_code}
    body = {"type": "error", "error": error, "request_id": request_id}
    # 529 is Anthropic's own status; http.server has no reason phrase for it.
    reason = "Overloaded" if reject.status == 529 else None
    return Answer.json(body, reject.status, {"request-id": request_id, **(headers or {})}, reason=reason)


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


# --- Checking a request -------------------------------------------------------------------------------


def _check_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    for name in _SAMPLING_FIELDS:
        if name in body:
            raise _invalid(f"{name}: is not supported on this API version; remove it from the request.")
    extra = sorted(set(body) - _MESSAGE_FIELDS)
    if extra:
        raise _invalid(f"{extra[0]}: Extra inputs are not permitted")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _invalid("model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise _invalid("max_tokens: Field required and must be an integer")
    if max_tokens < 1:
        raise _invalid("max_tokens: Input should be greater than or equal to 1")
    if body.get("stream"):
        raise _invalid("stream: the stand-in does not stream; send stream=false")
    _check_messages(body.get("messages"))
    if "system" in body:
        _check_system(body["system"])
    tool_names = _check_tools(body.get("tools", []))
    if "tool_choice" in body:
        _check_tool_choice(body["tool_choice"], tool_names)
    if "metadata" in body:
        _check_metadata(body["metadata"])
    stops = body.get("stop_sequences", [])
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise _invalid("stop_sequences: Input should be a list of non-empty strings")


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise _invalid("messages: at least one message is required")
    previous_role = None
    for index, message in enumerate(messages):
        where = f"messages.{index}"
        if not isinstance(message, dict):
            raise _invalid(f"{where}: Input should be an object")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise _invalid(f"{where}.role: Input should be 'user' or 'assistant'")
        if index == 0 and role != "user":
            raise _invalid('messages: first message must use the "user" role')
        if role == previous_role:
            raise _invalid(
                f'messages: roles must alternate between "user" and "assistant"; {where} repeats "{role}"'
            )
        _check_content(message.get("content"), f"{where}.content")
        previous_role = role


def _check_content(content: Any, where: str) -> None:
    if isinstance(content, str):
        if not content:
            raise _invalid(f"{where}: text content must be non-empty")
        return
    if not isinstance(content, list) or not content:
        raise _invalid(f"{where}: Input should be a non-empty string or a non-empty list of content blocks")
    for index, block in enumerate(content):
        _check_block(block, f"{where}.{index}")


_BLOCK_FIELDS: dict[str, dict[str, type]] = {
    "text": {"text": str},
    "image": {"source": dict},
    "document": {"source": dict},
    "tool_use": {"id": str, "name": str, "input": dict},
    "tool_result": {"tool_use_id": str},
}


def _check_block(block: Any, where: str) -> None:
    if not isinstance(block, dict) or block.get("type") not in _BLOCK_FIELDS:
        known = ", ".join(sorted(_BLOCK_FIELDS))
        raise _invalid(f"{where}: a content block must be an object whose type is one of: {known}")
    for field, kind in _BLOCK_FIELDS[block["type"]].items():
        if not isinstance(block.get(field), kind):
            raise _invalid(f"{where}.{field}: Field required and must be a {kind.__name__}")
    if block["type"] == "text" and not block["text"]:
        raise _invalid(f"{where}.text: text content blocks must be non-empty")
    if block["type"] == "tool_result" and "content" in block and not isinstance(block["content"], str):
        _check_content(block["content"], f"{where}.content")
    if "cache_control" in block:
        _check_cache_control(block["cache_control"], f"{where}.cache_control")


def _check_cache_control(value: Any, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or value.get("type") != "ephemeral":
        raise _invalid(f"{where}.type: Input should be 'ephemeral'")
    if value.get("ttl", "5m") not in ("5m", "1h"):
        raise _invalid(f"{where}.ttl: Input should be '5m' or '1h'")


def _check_system(system: Any) -> None:
    if isinstance(system, str):
        return
    if not isinstance(system, list):
        raise _invalid("system: Input should be a string or a list of text blocks")
    for index, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _invalid(f"system.{index}.type: Input should be 'text'")
        _check_block(block, f"system.{index}")


def _check_tools(tools: Any) -> set[str]:
    if not isinstance(tools, list):
        raise _invalid("tools: Input should be a list")
    names: set[str] = set()
    for index, tool in enumerate(tools):
        where = f"tools.{index}"
        if not isinstance(tool, dict):
            raise _invalid(f"{where}: Input should be an object")
        if tool.get("type", "custom") != "custom":
            raise _invalid(f"{where}.type: the stand-in only knows custom tools, not {tool['type']!r}")
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise _invalid(f"{where}.name: String should match pattern '{_TOOL_NAME.pattern}'")
        if name in names:
            raise _invalid("tools: Tool names must be unique.")
        names.add(name)
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise _invalid(f"{where}.input_schema.type: Input should be 'object'")
        if not isinstance(tool.get("description", ""), str):
            raise _invalid(f"{where}.description: Input should be a valid string")
        if "cache_control" in tool:
            _check_cache_control(tool["cache_control"], f"{where}.cache_control")
    return names


def _check_tool_choice(choice: Any, tool_names: set[str]) -> None:
    if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
        raise _invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    if choice["type"] in ("any", "tool") and not tool_names:
        raise _invalid(f"tool_choice: type {choice['type']!r} needs at least one tool in `tools`")
    if choice["type"] == "tool" and choice.get("name") not in tool_names:
        raise _invalid(f"tool_choice.name: Tool {choice.get('name')!r} not found in tools")


def _check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise _invalid("metadata: Input should be an object")
    extra = sorted(set(metadata) - {"user_id"})
    if extra:
        raise _invalid(f"metadata.{extra[0]}: Extra inputs are not permitted")
    if not isinstance(metadata.get("user_id"), str | None):
        raise _invalid("metadata.user_id: Input should be a valid string")


# --- Making up an answer ------------------------------------------------------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if block["type"] == "text":
            parts.append(block["text"])
        elif block["type"] == "tool_use":
            parts.append(json.dumps(block["input"]))
        elif block["type"] == "tool_result":
            parts.append(_text_of(block.get("content", "")))
    return "\n".join(parts)


def _tokens(text: str) -> int:
    # Real tokenisation is the model's business; ~4 characters a token is close enough to budget with.
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


def _input_tokens(request: dict[str, Any]) -> int:
    system = request.get("system", "")
    texts = [system if isinstance(system, str) else _text_of(system)]
    texts += [_text_of(message["content"]) for message in request["messages"]]
    if request.get("tools"):
        texts.append(json.dumps(request["tools"]))
    return max(1, _tokens("\n".join(texts)))


def _prompt(request: dict[str, Any]) -> str:
    user_texts = [_text_of(m["content"]) for m in request["messages"] if m["role"] == "user"]
    return user_texts[-1]


def _chosen_tool(request: dict[str, Any]) -> dict[str, Any] | None:
    """The tool a model would call: the forced one, else the first offered, unless tools are off."""
    tools = request.get("tools", [])
    choice = request.get("tool_choice", {"type": "auto"})
    if not tools or choice["type"] == "none":
        return None
    if choice["type"] == "tool":
        return next(tool for tool in tools if tool["name"] == choice["name"])
    return tools[0]


class _ExampleWriter:
    """Builds a value that satisfies a JSON schema, with readable strings made of the prompt's words.

    Covers what tool schemas use in practice: objects, arrays, strings, numbers, booleans, null,
    enum/const, anyOf/oneOf/allOf and local `$ref`s (as pydantic writes them). `pattern` is not honoured.
    """

    _FORMATS: typing.ClassVar[dict[str, str]] = {
        "date-time": "2026-01-15T09:30:00Z",
        "date": "2026-01-15",
        "time": "09:30:00",
        "email": "hello@example.com",
        "uri": "https://example.com/",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }

    def __init__(self, root: dict[str, Any], prompt: str) -> None:
        self._root = root
        self._words = re.findall(r"[A-Za-z][A-Za-z']*", prompt) or list(_FALLBACK_WORDS)
        self._next_word = 0

    def value(self, schema: dict[str, Any]) -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                options = [self._resolve(option) for option in schema[combinator]]
                return self.value(next((o for o in options if o.get("type") != "null"), options[0]))
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self.value(merged)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        match kind:
            case "object":
                return self._object(schema)
            case "array":
                return self._array(schema)
            case "integer" | "number":
                return self._number(schema, integer=kind == "integer")
            case "boolean":
                return True
            case "null":
                return None
            case _:
                return self._string(schema)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            target: Any = self._root
            for part in filter(None, schema["$ref"].removeprefix("#").split("/")):
                target = target[part]
            schema = target
        return schema

    def _object(self, schema: dict[str, Any]) -> dict[str, Any]:
        properties = dict(schema.get("properties", {}))
        for name in schema.get("required", []):
            properties.setdefault(name, {})
        return {name: self.value(sub) for name, sub in properties.items()}

    def _array(self, schema: dict[str, Any]) -> list[Any]:
        count = max(schema.get("minItems", 0), min(2, schema.get("maxItems", 2)))
        return [self.value(schema.get("items", {})) for _ in range(count)]

    def _number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
        if "exclusiveMaximum" in schema:
            high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
        if low is not None and high is not None:
            chosen = (low + high) / 2
        elif low is not None:
            chosen = low
        elif high is not None:
            chosen = min(1, high)
        else:
            chosen = 1
        return math.floor(chosen) if integer else float(chosen)

    def _string(self, schema: dict[str, Any]) -> str:
        if schema.get("format") in self._FORMATS:
            return self._FORMATS[schema["format"]]
        shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
        words = [self._word() for _ in range(6)]
        while len(" ".join(words)) < shortest:
            words.append(self._word())
        text = " ".join(words)
        if longest is not None and len(text) > longest:
            text = text[:longest]
            if len(text.rstrip()) >= shortest:
                text = text.rstrip()
        return text

    def _word(self) -> str:
        word = self._words[self._next_word % len(self._words)]
        self._next_word += 1
        return word


def _broken(valid: dict[str, Any], schema: dict[str, Any], how: Malformation) -> dict[str, Any]:
    """A tool input that breaks `schema` in the way asked for."""
    broken = dict(valid)
    if how == "missing_required":
        required = schema.get("required", [])
        if not required:
            raise _misuse("reply_malformed('missing_required') but the tool's schema requires nothing")
        del broken[required[0]]
        return broken
    if not broken:
        raise _misuse("reply_malformed('wrong_type') but the tool's schema has no properties")
    first = next(iter(broken))
    broken[first] = 12345 if isinstance(broken[first], str) else "not the type the schema asks for"
    return broken


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool_block(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": _new_id("toolu_"), "name": name, "input": tool_input}


def _message(request: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    """The API's message body for a one-block answer, cut short by stop sequences and max_tokens."""
    budget = request["max_tokens"]
    stop_reason, stop_sequence = ("tool_use" if block["type"] == "tool_use" else "end_turn"), None
    if block["type"] == "text":
        text = block["text"]
        hits = [(text.find(seq), seq) for seq in request.get("stop_sequences", []) if seq in text]
        if hits:
            cut, stop_sequence = min(hits)
            text, stop_reason = text[:cut], "stop_sequence"
        if _tokens(text) > budget:
            text, stop_reason, stop_sequence = text[: budget * _CHARS_PER_TOKEN], "max_tokens", None
        block, written = _text_block(text), text
    else:
        written = json.dumps(block["input"])
        if _tokens(written) > budget:
            # The API cuts a tool call off mid-JSON; what reaches the client is an unusable input.
            block, stop_reason, written = {**block, "input": {}}, "max_tokens", "{}"
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": request["model"],
        "content": [block],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {
            "input_tokens": _input_tokens(request),
            "output_tokens": max(1, _tokens(written)),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


# --- The server ---------------------------------------------------------------------------------------


class AnthropicStandIn(StandIn):
    """A Messages API on 127.0.0.1, scriptable from tests. Use as a context manager, or start()/stop()."""

    def __init__(
        self, api_key: str = "test-key", *, port: int = 0, models: Iterable[str] = KNOWN_MODELS
    ) -> None:
        self.api_key = api_key
        self.models = frozenset(models)
        self._lock = threading.Lock()
        self._script: deque[_Step] = deque()
        self._requests: list[RecordedRequest] = []
        self._server = LoopbackServer(self._handle, name="Anthropic stand-in", port=port)
        super().__init__(self._server)  # stop() wakes requests held back by slow()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    # What tests look at

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget recorded requests and anything still scripted."""
        with self._lock:
            self._requests.clear()
            self._script.clear()

    # What tests script: each applies to the next `times` accepted requests, after anything already queued.

    def reply_tool(self, input: dict[str, Any], *, name: str | None = None, times: int = 1) -> None:
        """Answer with a tool_use block of `input` as given; `name` defaults to the request's chosen tool."""
        self._queue(_ToolReply(input, name), times)

    def reply_text(self, text: str, *, times: int = 1) -> None:
        """Answer with a text block, even when a tool was forced."""
        self._queue(_TextReply(text), times)

    def reply_malformed(self, how: Malformation = "missing_required", *, times: int = 1) -> None:
        """Answer in a shape the caller did not ask for: tool input missing its first required field,
        with its first field of the wrong type, or text that is not JSON instead of a tool call."""
        self._queue(_MalformedReply(how), times)

    def slow(self, seconds: float, *, times: int = 1) -> None:
        """Hold the answer back for `seconds`, then answer as if nothing were scripted."""
        self._queue(_Delay(seconds), times)

    def rate_limited(self, retry_after: float = 1, *, error_code: str | None = None, times: int = 1) -> None:
        """429; `error_code` names a specific limit, e.g. "enforced_spend_limit_reached"."""
        message = "Number of request tokens has exceeded your rate limit."
        self._queue(_Failure(429, "rate_limit_error", message, retry_after, error_code), times)

    def overloaded(self, *, retry_after: float | None = None, times: int = 1) -> None:
        """529 as the API sends it when busy; `retry_after` lets tests skip the SDK's backoff."""
        self._queue(_Failure(529, "overloaded_error", "Overloaded", retry_after, None), times)

    def server_error(self, *, retry_after: float | None = None, times: int = 1) -> None:
        """500 `api_error`, the API's answer when something broke on its side."""
        self._queue(_Failure(500, "api_error", "Internal server error", retry_after, None), times)

    def _queue(self, step: _Step, times: int) -> None:
        with self._lock:
            self._script.extend([step] * times)

    # Handling a request (called on the server's threads)

    def _handle(self, http: Request) -> Answer | None:
        """The response to send, or None to hang up without one (the stand-in is stopping)."""
        method, path, headers, raw = http.method, http.path, dict(http.headers), http.body
        try:
            body, is_json = json.loads(raw), True
        except ValueError:
            body, is_json = None, False
        with self._lock:
            self._requests.append(RecordedRequest(method, path, headers, body))
        request_id = _new_id("req_")
        try:
            if (method, path) != ("POST", "/v1/messages"):
                raise _Reject(404, "not_found_error", f"Not found: {method} {path}")
            self._check_auth(headers)
            if "anthropic-version" not in headers:
                raise _invalid("anthropic-version: header is required")
            if not is_json:
                raise _invalid("The request body is not valid JSON.")
            _check_request(body)
            if body["model"] not in self.models:
                raise _Reject(404, "not_found_error", f"model: {body['model']}")
            with self._lock:
                step = self._script.popleft() if self._script else None
            return self._perform(step, body, request_id)
        except _Reject as reject:
            return _error_response(reject, request_id)
        except Exception as exc:
            # e.g. a schema the example writer cannot follow; an answer beats a connection left hanging.
            return _error_response(_Reject(500, "api_error", f"stand-in failed: {exc!r}"), request_id)

    def _check_auth(self, headers: dict[str, str]) -> None:
        # anthropic 2.14 sends the key as a Bearer token; older clients and curl users send x-api-key.
        bearer = headers.get("authorization", "")
        key = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else headers.get("x-api-key")
        if key is None:
            raise _Reject(401, "authentication_error", "x-api-key or Authorization header is required")
        if key != self.api_key:
            raise _Reject(401, "authentication_error", "invalid x-api-key")

    def _perform(self, step: _Step | None, request: dict[str, Any], request_id: str) -> Answer | None:
        match step:
            case _Failure(status, error_type, message, retry_after, error_code):
                headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
                return _error_response(_Reject(status, error_type, message, error_code), request_id, headers)
            case _Delay(seconds):
                if self._stopping.wait(seconds):
                    return None
                block = self._default_block(request)
            case _TextReply(text):
                block = _text_block(text)
            case _ToolReply(tool_input, name):
                block = _tool_block(name or self._tool_for_script(request)["name"], tool_input)
            case _MalformedReply("not_json"):
                block = _text_block('Sure! Here is the JSON you asked for: {"title": "Unfinished')
            case _MalformedReply(how):
                tool = self._tool_for_script(request)
                valid = _ExampleWriter(tool["input_schema"], _prompt(request)).value(tool["input_schema"])
                block = _tool_block(tool["name"], _broken(valid, tool["input_schema"], how))
            case None:
                block = self._default_block(request)
        return Answer.json(_message(request, block), 200, {"request-id": request_id})

    @staticmethod
    def _default_block(request: dict[str, Any]) -> dict[str, Any]:
        tool = _chosen_tool(request)
        if tool is None:
            return _text_block(f"This is the stand-in's answer to: {_prompt(request)}")
        schema = tool["input_schema"]
        return _tool_block(tool["name"], _ExampleWriter(schema, _prompt(request)).value(schema))

    @staticmethod
    def _tool_for_script(request: dict[str, Any]) -> dict[str, Any]:
        tool = _chosen_tool(request)
        if tool is None:
            raise _misuse("a tool reply was scripted but the request offers no tool to call")
        return tool


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local stand-in for the Anthropic Messages API.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--api-key", default="test-key", help="the key clients must send (default: test-key)")
    args = parser.parse_args(argv)
    with AnthropicStandIn(api_key=args.api_key, port=args.port) as standin:
        serve_until_interrupted(
            standin.base_url,
            f"Set ANTHROPIC_BASE_URL={standin.base_url} and ANTHROPIC_API_KEY={args.api_key}.",
        )


if __name__ == "__main__":
    main()
