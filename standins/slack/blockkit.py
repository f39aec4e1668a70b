"""Block Kit as Slack's servers check and store it: the limits that make a call fail, the ids Slack
fills in, and the values an input reports before anyone types.

Pure functions over the JSON the app sends; the workspace state and the Web API apply them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
SECTION_FIELD_LIMIT = 2000
SECTION_FIELDS_LIMIT = 10
HEADER_TEXT_LIMIT = 150
ACTIONS_ELEMENTS_LIMIT = 25
MODAL_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
# An external select's options, as Slack takes them from the app's answer to a block_suggestion.
OPTIONS_LIMIT = 100
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
# Slack asks for options once this many characters are typed, unless the element says otherwise.
DEFAULT_MIN_QUERY_LENGTH = 3

# What each stateful element reports in view.state.values, and the field of the element that seeds it.
_STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    # Files a person attached: Slack uploads them as they are picked and reports their file objects.
    "file_input": ("files", ""),
}


def state_key(element_type: str) -> str:
    """The key under which Slack reports an element's value in `view.state.values`."""
    return _STATE_KEYS[element_type][0]


def is_multi(element_type: str) -> bool:
    return state_key(element_type).endswith("s")


def block_errors(blocks: list[dict[str, Any]], pointer: str, limit: int) -> list[str]:
    errors = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        kind = block.get("type")
        if not kind:
            errors.append(f"missing required field: type [json-pointer:{at}]")
        if "block_id" in block:
            if block["block_id"] in seen_ids:
                errors.append(f"duplicate block_id {block['block_id']!r} [json-pointer:{at}/block_id]")
            seen_ids.add(block["block_id"])
        if kind == "section":
            if len((block.get("text") or {}).get("text", "")) > SECTION_TEXT_LIMIT:
                errors.append(
                    f"must be less than {SECTION_TEXT_LIMIT + 1} characters [json-pointer:{at}/text/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS_LIMIT:
                errors.append(f"no more than {SECTION_FIELDS_LIMIT} items allowed [json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                if len(item.get("text", "")) > SECTION_FIELD_LIMIT:
                    limit_text = f"must be less than {SECTION_FIELD_LIMIT + 1} characters"
                    errors.append(f"{limit_text} [json-pointer:{at}/fields/{j}/text]")
        elif kind == "header" and len((block.get("text") or {}).get("text", "")) > HEADER_TEXT_LIMIT:
            errors.append(
                f"must be less than {HEADER_TEXT_LIMIT + 1} characters [json-pointer:{at}/text/text]"
            )
        elif kind == "actions" and len(block.get("elements") or []) > ACTIONS_ELEMENTS_LIMIT:
            errors.append(f"no more than {ACTIONS_ELEMENTS_LIMIT} items allowed [json-pointer:{at}/elements]")
    return errors


def view_errors(definition: Mapping[str, Any]) -> list[str]:
    """What Slack lists for a modal or App Home it refuses, in its own words and json-pointers."""
    errors = block_errors(definition.get("blocks", []), "/view/blocks", VIEW_BLOCK_LIMIT)
    if definition.get("type") == "modal":
        title = (definition.get("title") or {}).get("text", "")
        if not title:
            errors.append("missing required field: title [json-pointer:/view/title]")
        elif len(title) > MODAL_TITLE_LIMIT:
            errors.append(f"must be less than {MODAL_TITLE_LIMIT} characters [json-pointer:/view/title/text]")
    if len(definition.get("private_metadata", "")) > PRIVATE_METADATA_LIMIT:
        limit = PRIVATE_METADATA_LIMIT + 1
        errors.append(f"must be less than {limit} characters [json-pointer:/view/private_metadata]")
    return errors


def interactive_elements(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The elements of a block a person can press, pick or type into, in display order."""
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    if block.get("type") == "section" and block.get("accessory"):
        return [block["accessory"]]
    if block.get("type") == "input" and block.get("element"):
        return [block["element"]]
    return []


def with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in the block_ids and action_ids the app left out, as Slack does before storing blocks."""
    blocks = copy.deepcopy(blocks)
    for i, block in enumerate(blocks):
        block.setdefault("block_id", _short_hash(i, block))
        for j, element in enumerate(interactive_elements(block)):
            if element.get("type") not in ("image", None):
                element.setdefault("action_id", _short_hash(j, element))
    return blocks


def _short_hash(index: int, item: Mapping[str, Any]) -> str:
    return hashlib.sha1(f"{index}:{json.dumps(item, sort_keys=True)}".encode()).hexdigest()[:5]


def initial_state(blocks: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """A new view's `state.values`: each input's initial value, or empty, before anyone types."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if element is None or element.get("type") not in _STATE_KEYS:
            continue
        key, initial = _STATE_KEYS[element["type"]]
        empty: Any = [] if is_multi(element["type"]) else None
        value = copy.deepcopy(element.get(initial, empty))
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"], key: value}}
    return values


def suggestion_errors(answer: Any) -> list[str]:
    """Why Slack would show no options for the app's answer to a block_suggestion (it shows the
    person an error instead); empty when it lists them."""
    if not isinstance(answer, Mapping):
        return ["the answer is not a JSON object"]
    groups = answer.get("option_groups")
    options = answer.get("options")
    if (groups is None) == (options is None):
        return ["the answer must carry exactly one of options and option_groups"]
    errors = []
    lists: list[tuple[str, list[Any]]] = (
        [("/options", list(options or []))]
        if groups is None
        else [(f"/option_groups/{i}/options", g.get("options") or []) for i, g in enumerate(groups)]
    )
    if groups is not None and len(groups) > OPTIONS_LIMIT:
        errors.append(f"no more than {OPTIONS_LIMIT} items allowed [json-pointer:/option_groups]")
    for pointer, items in lists:
        if len(items) > OPTIONS_LIMIT:
            errors.append(f"no more than {OPTIONS_LIMIT} items allowed [json-pointer:{pointer}]")
        for i, option in enumerate(items):
            text = option.get("text") or {}
            if text.get("type") != "plain_text":
                errors.append(f"must be plain_text [json-pointer:{pointer}/{i}/text]")
            if len(text.get("text", "")) > OPTION_TEXT_LIMIT:
                limit = OPTION_TEXT_LIMIT + 1
                errors.append(f"must be less than {limit} characters [json-pointer:{pointer}/{i}/text/text]")
            value = option.get("value")
            if not isinstance(value, str) or not value or len(value) > OPTION_VALUE_LIMIT:
                errors.append(
                    f"must be 1 to {OPTION_VALUE_LIMIT} characters [json-pointer:{pointer}/{i}/value]"
                )
    return errors
