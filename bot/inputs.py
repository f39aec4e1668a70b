"""What people send, checked at the edge: text the database cannot store, ids beyond its range.

PostgreSQL refuses text holding a NUL character, and no encoding holds a lone surrogate; neither
is ever typed on purpose (they come from pasted binary or a broken client). Such text is refused
whole, on every surface, before any handler reads it, so nothing is half-written and the person
gets a plain answer instead of an error from Slack.

Ids that people type or buttons carry are read by `parse_id`, which knows the database's integer
range: a number no row can have is "not an id", not a crash in the database driver.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond

from bot.forms import MAX_ID, BadInput
from bot.verbs import quote

log = logging.getLogger(__name__)


_ID = re.compile(r"#?([0-9]{1,10})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

UNSTORABLE_TEXT = (
    "That text holds a character that cannot be stored (a NUL or a broken Unicode character, "
    "usually from pasted binary data). Remove it and try again: nothing was saved."
)


def parse_id(raw: str, what: str = "id", hint: str = "ids are whole numbers such as 12") -> int:
    """The id in `raw` ("12" or "#12"); BadInput when it is not a whole number the database could hold."""
    match = _ID.fullmatch(raw.strip())
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= MAX_ID:
        article = "an" if what[:1] in "aeiou" else "a"
        raise BadInput(f"`{quote(raw)}` is not {article} {what}: {hint}.")
    return number


def unstorable(text: str) -> bool:
    return bool(_UNSTORABLE.search(text))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _bad_blocks(view: dict[str, Any]) -> list[str]:
    """The input blocks of a submitted view to mark: those whose values hold unstorable text."""
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input" and "block_id" in b]
    state = view.get("state", {}).get("values", {})
    bad = [block for block, actions in state.items() if any(unstorable(s) for s in _strings(actions))]
    # Slack shows errors only under input blocks; a bad value elsewhere is marked on the first.
    return [b for b in bad if b in inputs] or (inputs[:1] if bad else [])


def _too_long(view: dict[str, Any]) -> dict[str, str]:
    """Inputs holding more than the max_length their view declares (Slack's client enforces it; a
    request that skips the client does not get to write past a column's size either)."""
    state = view.get("state", {}).get("values", {})
    errors = {}
    for block in view.get("blocks", []):
        limit = (block.get("element") or {}).get("max_length") if block.get("type") == "input" else None
        entry: dict[str, Any] = next(iter(state.get(block.get("block_id", ""), {}).values()), {})
        value = entry.get("value")
        if limit and isinstance(value, str) and len(value) > limit:
            errors[block["block_id"]] = f"Keep this under {limit:,} characters; it has {len(value):,}."
    return errors


# Buttons whose value names a row, by action id: the value is checked before any listener runs,
# because a listener that raises after its ack leaves Bolt without an answer for Slack.
_VALUE_CHECKS: dict[str, Callable[[str], object]] = {}


def check_values(*action_ids: str, parse: Callable[[str], object]) -> None:
    """Refuse, at the edge, a press of these buttons whose value `parse` rejects with BadInput."""
    _VALUE_CHECKS.update(dict.fromkeys(action_ids, parse))


def _bad_value(actions: list[dict[str, Any]]) -> str | None:
    for action in actions:
        parse = _VALUE_CHECKS.get(action.get("action_id", ""))
        if parse is None:
            continue
        try:
            parse(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
        except BadInput as exc:
            return str(exc)
    return None


def register(app: App) -> None:
    """The edge checks, as a global middleware: before any listener, and answered there."""

    @app.middleware
    def refuse_bad_input(
        body: dict[str, Any], ack: Ack, respond: Respond | None, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        kind = body.get("type") or ("command" if "command" in body else "")
        problem = None
        if kind == "command" and unstorable(body.get("text", "")):
            answer = ack(text=UNSTORABLE_TEXT)
        elif kind == "view_submission" and (bad := _bad_blocks(body.get("view") or {})):
            answer = ack(response_action="errors", errors=dict.fromkeys(bad, UNSTORABLE_TEXT))
        elif kind == "view_submission" and (long := _too_long(body.get("view") or {})):
            problem = "text over an input's max_length"
            answer = ack(response_action="errors", errors=long)
        elif kind == "block_actions" and (problem := _refusal(body.get("actions") or [])):
            answer = ack()
            if respond is not None:
                respond(text=problem, replace_original=False, response_type="ephemeral")
        else:
            return next()
        log.info("refused a %s from %s: %s", kind, _user(body), problem or "unstorable text")
        # Not calling next() ends the request here; Bolt sends what is returned.
        return answer


def _refusal(actions: list[dict[str, Any]]) -> str | None:
    if any(unstorable(s) for s in _strings(actions)):
        return UNSTORABLE_TEXT
    return _bad_value(actions)


def _user(body: dict[str, Any]) -> str:
    return body.get("user_id") or (body.get("user") or {}).get("id", "someone")
