"""The template library in Slack: the list, a preview, and the create/edit modal (built and read back)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.forms import Form
from bot.verbs import UsageError
from core.elements import Element
from core.forms import FieldError
from core.library import Template, TemplateStatus, TemplateSummary
from core.metrics import format_rate
from core.sandbox import MAX_BODY
from core.templates import (
    Category,
    TemplateError,
    TemplateKind,
    TemplateSpec,
    Variable,
    check_template,
    render_sample,
)
from messages.blocks import Metadata, context, escape, section, text_input

CALLBACK_ID = "template_edit"
PREVIEW_ACTION = "template_preview"
MAX_NAME = 120  # the size of the templates.name column
EDIT_ACTION = "template_edit"
RETIRE_ACTION = "template_retire"
RESTORE_ACTION = "template_restore"
NEW_ACTION = "template_new"
PAGE_ACTION = "template_page"
# A message holds 50 blocks; each template takes two (summary and buttons).
PAGE_SIZE = 20

_VARIABLE_LINE = re.compile(r"^\s*([^:=]+?)\s*:\s*(.*?)\s*=\s*(.*?)\s*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- The list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Which page of which listing: the words typed after `templates`, and where the page starts."""

    words: tuple[str, ...]
    start: int

    def dump(self) -> str:
        return json.dumps({"words": list(self.words), "start": self.start})

    @classmethod
    def load(cls, raw: str) -> Page:
        try:
            data = json.loads(raw)
            return cls(words=tuple(str(w) for w in data["words"]), start=max(int(data["start"]), 0))
        except (ValueError, TypeError, KeyError):
            raise UsageError("That page button is broken; run `/content templates` again.") from None


def usage_line(summary: TemplateSummary) -> str:
    usage, performance = summary.usage, summary.performance
    used = f"Used in {_count(usage.posts, 'post')} ({_count(usage.contents, 'content item')})"
    if not performance.posts_measured:
        return f"{used} · no posts measured yet"
    views = "—" if performance.mean_views_24h is None else f"{performance.mean_views_24h:,.0f}"
    return (
        f"{used} · mean views at 24 h: {views} · save rate: {format_rate(performance.save_rate)}"
        f" · {_count(performance.posts_measured, 'post')} measured"
    )


def template_title(template: Template) -> str:
    retired = " (retired)" if template.status is TemplateStatus.RETIRED else ""
    return (
        f"*{escape(template.spec.name)}*{retired} · {template.spec.kind.label} · version {template.version}"
    )


def list_blocks(
    summaries: Sequence[TemplateSummary], described: str, categories: Mapping[str, Category], page: Page
) -> list[Block]:
    """One page of templates with Preview, Edit and Retire buttons, a New button, and the next page."""
    shown = summaries[page.start : page.start + PAGE_SIZE]
    blocks: list[Block] = [HeaderBlock(text=f"Templates: {described}"[:150])]
    if not summaries:
        blocks.append(section("No templates match. Try fewer words, or create one."))
    for summary in shown:
        template = summary.template
        labels = ", ".join(categories[c].label if c in categories else c for c in template.spec.categories)
        elements = ", ".join(e.label for e in template.spec.elements)
        blocks.append(
            section(
                f"{template_title(template)}\n{escape(elements)} · {escape(labels)}\n{usage_line(summary)}"
            )
        )
        buttons = [ButtonElement(text="Preview", action_id=PREVIEW_ACTION, value=str(template.id))]
        buttons.append(ButtonElement(text="Edit", action_id=EDIT_ACTION, value=str(template.id)))
        if template.status is TemplateStatus.ACTIVE:
            buttons.append(_retire_button(template))
        else:
            buttons.append(ButtonElement(text="Restore", action_id=RESTORE_ACTION, value=str(template.id)))
        blocks.append(ActionsBlock(elements=buttons))
    footer = [ButtonElement(text="New template", action_id=NEW_ACTION, value="new", style="primary")]
    following = page.start + PAGE_SIZE
    if following < len(summaries):
        footer.append(
            ButtonElement(
                text=f"Next {min(PAGE_SIZE, len(summaries) - following)}",
                action_id=PAGE_ACTION,
                value=Page(page.words, following).dump(),
            )
        )
    blocks.append(ActionsBlock(elements=footer))
    if summaries:
        last = min(following, len(summaries))
        blocks.append(
            context(
                f"{page.start + 1}-{last} of {len(summaries)}. Mean views at 24 h and save rate come from the posts' metrics."
            )
        )
    return blocks


def _retire_button(template: Template) -> ButtonElement:
    return ButtonElement(
        text="Retire",
        action_id=RETIRE_ACTION,
        value=str(template.id),
        confirm=ConfirmObject(
            title="Retire this template?",
            text=(
                f"*{escape(template.spec.name)}* leaves lists and pickers; posts and experiments "
                "that used it keep their version. `/content templates retired` lists it to restore."
            ),
            confirm="Retire",
            deny="Keep it",
            style="danger",
        ),
    )


def preview_blocks(template: Template) -> list[Block]:
    spec = template.spec
    variables = "\n".join(
        f"• `{v.name}`: {escape(v.description)} (sample: {escape(v.sample)})" for v in spec.variables
    )
    try:
        rendered = render_sample(spec)
    except TemplateError as exc:  # saved before the sandbox's limits, or its samples no longer fit
        rendered = f"It cannot be rendered: {exc}."
    # Block Kit takes 3,000 characters a section and 2,000 a context element; a body may hold 5,000.
    return [
        section(f"{template_title(template)}\nRendered with the sample values:"),
        section(f"```{escape(rendered)[:2900]}```"),
        section((f"*Variables*\n{variables}" if variables else "*Variables*: none")[:3000]),
        ContextBlock(elements=[MarkdownTextObject(text=f"Template body:\n```{escape(spec.body)[:1900]}```")]),
    ]


# --- The modal --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditContext(Metadata):
    template_id: int | None = None
    origin_channel: str = ""


def format_variables(variables: Sequence[Variable]) -> str:
    return "\n".join(f"{v.name}: {v.description} = {v.sample}" for v in variables)


def template_view(template: Template | None, categories: Sequence[Category], context_: EditContext) -> View:
    spec = template.spec if template else None
    category_options = [Option(value=c.slug, text=c.label[:75]) for c in categories]
    element_options = [Option(value=e.value, text=e.label) for e in Element]
    kind_options = [Option(value=k.value, text=k.label.capitalize()) for k in TemplateKind]
    blocks: list[Block] = [text_input("name", "Name", spec.name if spec else "", max_length=MAX_NAME)]
    if spec is None:
        blocks.append(
            InputBlock(
                block_id="kind",
                label="Kind",
                element=StaticSelectElement(action_id="kind", options=kind_options),
            )
        )
    else:
        blocks.append(context(f"Kind: {spec.kind.label} (fixed: experiments compare like with like)"))
    blocks += [
        InputBlock(
            block_id="categories",
            label="Categories",
            element=StaticMultiSelectElement(
                action_id="categories",
                options=category_options,
                initial_options=[o for o in category_options if spec and o.value in spec.categories] or None,
            ),
        ),
        InputBlock(
            block_id="elements",
            label="Elements (channels it suits)",
            element=CheckboxesElement(
                action_id="elements",
                options=element_options,
                initial_options=[o for o in element_options if spec and Element(o.value) in spec.elements]
                or None,
            ),
        ),
        text_input(
            "body",
            "Body (Jinja2)",
            spec.body if spec else "",
            multiline=True,
            max_length=MAX_BODY,
            hint="Write {{ variable }} where a value goes, e.g. Stuck on a gift for age {{ age }}?",
        ),
        text_input(
            "variables",
            "Variables, one per line",
            format_variables(spec.variables) if spec else "",
            multiline=True,
            optional=True,
            hint="name: what the writer should fill in = a sample value, e.g. "
            "age: The child's age in years = 6. The preview uses the samples.",
        ),
    ]
    editing = template is not None
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=context_.dump(),
        title="Edit template" if editing else "New template",
        submit="Save new version" if editing else "Create",
        close="Cancel",
        blocks=blocks,
    )


def read_template(form: Form, base: Template | None) -> TemplateSpec:
    """The template the person filled in, checked as core checks library files.

    Raises FieldError naming the block to mark: syntax errors and undeclared variables on the body,
    badly written or unused variables on the variables.
    """
    name = form.text("name")
    if not name:
        raise FieldError("name", "Give the template a name.")
    if len(name) > MAX_NAME:
        raise FieldError("name", f"Keep the name under {MAX_NAME} characters; it has {len(name):,}.")
    if base is not None:
        kind = base.spec.kind
    else:
        chosen = form.selected("kind")
        if not chosen:
            raise FieldError("kind", "Choose a kind.")
        kind = TemplateKind(chosen)
    categories = tuple(form.selected_all("categories"))
    if not categories:
        raise FieldError("categories", "Choose at least one category.")
    elements = tuple(Element(value) for value in form.selected_all("elements"))
    if not elements:
        raise FieldError("elements", "Tick at least one element.")
    body = form.text("body")
    if not body:
        raise FieldError("body", "Write the template's text.")
    variables = parse_variables(form.raw("variables"))
    names = [v.name for v in variables]
    try:
        check_template(body, names, allow_unused=True)
    except TemplateError as exc:
        raise FieldError("body", f"{exc}.{_declare_hint(str(exc))}") from None
    try:
        check_template(body, names)
    except TemplateError as exc:
        raise FieldError("variables", f"{exc}: remove them, or use them in the body.") from None
    spec = TemplateSpec(
        key=base.spec.key if base else "",
        name=name,
        kind=kind,
        body=body,
        variables=variables,
        elements=elements,
        categories=categories,
    )
    try:
        render_sample(spec)
    except TemplateError as exc:
        raise FieldError("body", f"The body does not render with the samples: {exc}.") from None
    return spec


def parse_variables(text: str) -> tuple[Variable, ...]:
    """`name: description = sample`, one per line; blank lines are skipped."""
    variables: list[Variable] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _VARIABLE_LINE.match(line)
        if not match:
            raise FieldError(
                "variables", f"Line {number} ({line.strip()[:40]}): write it as name: description = sample."
            )
        name, description, sample = match.groups()
        if not _IDENTIFIER.match(name):
            raise FieldError(
                "variables",
                f"Line {number}: {name!r} cannot be a variable name; use letters, digits and _ (e.g. age_range).",
            )
        if not description or not sample:
            missing = "a description" if not description else "a sample"
            raise FieldError(
                "variables", f"Line {number} ({name}) needs {missing}: name: description = sample."
            )
        if any(v.name == name for v in variables):
            raise FieldError("variables", f"Line {number}: {name} is declared twice.")
        variables.append(Variable(name=name, description=description, sample=sample))
    return tuple(variables)


def _declare_hint(message: str) -> str:
    if message.startswith("undeclared"):
        return " Declare each one under Variables."
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
