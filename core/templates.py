"""Content templates: hooks, script frameworks and captions, checked and rendered with Jinja2.

People edit templates from Slack, so every body is compiled in a sandboxed Jinja2 environment and
checked before it is stored: syntax errors report their line, and the declared variables must match
the ones the body uses exactly. A declared-but-unused variable is an error too (not a warning): the
bot asks the user for a value of every declared variable, and a question whose answer goes nowhere
is a bug in the template.

Rendering is plain text (no HTML autoescaping) with StrictUndefined, so a missing value is an error
instead of a silent blank in a published caption.

The library data files (templates/library/*.yaml) are parsed by the caller and handed to
`library_from_mapping`; their shape is::

    templates:                      # hooks.yaml, frameworks.yaml, captions.yaml
      - key: gift-panic             # stable slug, unique across all files
        name: Gift panic
        kind: hook                  # must match the file: hook | script_framework | caption
        body: "..."                 # Jinja2
        variables:
          - {name: age, description: Child's age in years, sample: "6"}
        example: "..."              # body rendered with the samples
        elements: [air, fire]
        categories: [stem-kits]     # slugs from categories.yaml

    categories:                     # categories.yaml
      - {slug: plush, label: Plush & soft toys, safety: "..."}   # safety is optional

Versions and retirement of templates are storage concerns, not modelled here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta

from core.elements import Element
from core.sandbox import MAX_BODY, LimitedEnvironment, render_within_budget
from core.sandbox import TemplateError as TemplateError  # part of this module's interface


class TemplateKind(StrEnum):
    HOOK = "hook"
    SCRIPT_FRAMEWORK = "script_framework"
    CAPTION = "caption"
    BLOG_OUTLINE = "blog_outline"

    @property
    def label(self) -> str:
        """How messages name the kind: "script framework"."""
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Variable:
    name: str
    description: str = ""
    sample: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    name: str
    kind: TemplateKind
    body: str
    variables: tuple[Variable, ...]
    elements: tuple[Element, ...]
    categories: tuple[str, ...]
    example: str = ""


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    safety: str = ""


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILE_KINDS = {
    "hooks": TemplateKind.HOOK,
    "frameworks": TemplateKind.SCRIPT_FRAMEWORK,
    "captions": TemplateKind.CAPTION,
}

# trim_blocks/lstrip_blocks keep `{% if %}` lines from leaving blank lines in the rendered text.
# The limited sandbox bounds what a body may cost (core/sandbox.py), wherever it is rendered.
_ENV = LimitedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def check_template(body: str, variables: Sequence[str], *, allow_unused: bool = False) -> None:
    """Raise TemplateError unless `body` compiles and uses exactly the declared `variables`.

    `allow_unused` is for templates offered a menu of values (a channel's branding may
    leave out the hashtags), rather than a library template whose variables are asked for.
    """
    if len(body) > MAX_BODY:
        raise TemplateError(f"the body is {len(body):,} characters; keep it under {MAX_BODY:,}")
    ast = _parse(body)
    if any(True for _ in meta.find_referenced_templates(ast)):
        # The sandbox has no loader; say so now rather than fail when a post is being written.
        raise TemplateError("templates cannot include, import or extend other templates")
    used = meta.find_undeclared_variables(ast)
    declared = set(variables)
    undeclared = sorted(used - declared)
    if undeclared:
        raise TemplateError(f"undeclared variable(s) used in the body: {', '.join(undeclared)}")
    unused = [name for name in variables if name not in used]
    if unused and not allow_unused:
        raise TemplateError(f"declared variable(s) not used in the body: {', '.join(unused)}")


def render(spec_or_body: TemplateSpec | str, values: Mapping[str, str]) -> str:
    """Render a template as plain text, stripped; a missing value raises TemplateError.

    Values the template does not use are ignored, so callers can pass one bag of values to many templates.
    """
    if isinstance(spec_or_body, TemplateSpec):
        missing = [v.name for v in spec_or_body.variables if v.name not in values]
        if missing:
            raise TemplateError(f"{spec_or_body.key}: no value for variable(s): {', '.join(missing)}")
        body = spec_or_body.body
    else:
        body = spec_or_body
    try:
        return render_within_budget(_compile(body), values).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"missing value: {exc.message}") from exc
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"not allowed in a template: {exc}") from exc


def render_sample(spec: TemplateSpec) -> str:
    """The template rendered with each variable's sample value."""
    return render(spec, {v.name: v.sample for v in spec.variables})


def categories_from_mapping(data: Mapping[str, Any]) -> list[Category]:
    """The categories of categories.yaml, validated."""
    entries = _entries(data, "categories", "categories")
    categories: list[Category] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"categories entry {index + 1}"
        slug = _text(entry, "slug", where)
        where = f"categories entry {index + 1} ({slug!r})"
        if not _SLUG.match(slug):
            raise TemplateError(f"{where}: slug must be lowercase words joined by '-'")
        if slug in seen:
            raise TemplateError(f"{where}: duplicate slug")
        seen.add(slug)
        safety = entry.get("safety", "")
        if not isinstance(safety, str):
            raise TemplateError(f"{where}: 'safety' must be text")
        categories.append(Category(slug=slug, label=_text(entry, "label", where), safety=safety))
    return categories


def library_from_mapping(
    hooks: Mapping[str, Any],
    frameworks: Mapping[str, Any],
    captions: Mapping[str, Any] | None = None,
    *,
    categories: Mapping[str, Any],
) -> list[TemplateSpec]:
    """The validated templates of the library files, in file order.

    `categories` (the parsed categories.yaml) is required because every category an entry names
    must exist there. Errors name the file and entry, e.g. "hooks entry 3 ('gift-panic'): ...".
    """
    known_categories = {c.slug for c in categories_from_mapping(categories)}
    files = {"hooks": hooks, "frameworks": frameworks, "captions": captions}
    specs: list[TemplateSpec] = []
    keys: set[str] = set()
    for source, data in files.items():
        if data is None:
            continue
        for index, entry in enumerate(_entries(data, "templates", source)):
            where = f"{source} entry {index + 1}"
            spec = _spec_from_entry(entry, where, _FILE_KINDS[source], known_categories)
            if spec.key in keys:
                raise TemplateError(f"{where} ({spec.key!r}): duplicate key")
            keys.add(spec.key)
            specs.append(spec)
    return specs


def _parse(body: str) -> jinja2.nodes.Template:
    try:
        return _ENV.parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error on line {exc.lineno}: {exc.message}") from exc
    except ValueError as exc:  # Python refuses to read an integer literal of thousands of digits
        raise TemplateError("a number in the body is too long") from exc


@lru_cache(maxsize=512)
def _compile(body: str) -> jinja2.Template:
    # Templates are rendered again and again (one per post); compiling is the slow part.
    _parse(body)
    return _ENV.from_string(body)


def _spec_from_entry(
    entry: Any, where: str, expected_kind: TemplateKind, known_categories: set[str]
) -> TemplateSpec:
    if not isinstance(entry, Mapping):
        raise TemplateError(f"{where}: must be a mapping of fields")
    key = _text(entry, "key", where)
    where = f"{where} ({key!r})"
    if not _SLUG.match(key):
        raise TemplateError(f"{where}: key must be lowercase words joined by '-'")
    kind = _text(entry, "kind", where)
    if kind != expected_kind:
        raise TemplateError(f"{where}: kind is {kind!r} but this file holds {expected_kind.value!r}")
    body = _text(entry, "body", where)
    variables = _variables(entry.get("variables"), where)
    try:
        check_template(body, [v.name for v in variables])
    except TemplateError as exc:
        raise TemplateError(f"{where}: {exc}") from exc
    spec = TemplateSpec(
        key=key,
        name=_text(entry, "name", where),
        kind=TemplateKind(kind),
        body=body,
        variables=variables,
        elements=_elements(entry.get("elements"), where),
        categories=_categories(entry.get("categories"), where, known_categories),
        example=_text(entry, "example", where).strip(),
    )
    rendered = render_sample(spec)
    if rendered != spec.example:
        raise TemplateError(f"{where}: example differs from the body rendered with the samples:\n{rendered}")
    return spec


def _entries(data: Any, field: str, source: str) -> list[Any]:
    entries = data.get(field) if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise TemplateError(f"{source}: expected a top-level '{field}:' list")
    return entries


def _text(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{where}: '{field}' must be non-empty text")
    return value


def _variables(raw: Any, where: str) -> tuple[Variable, ...]:
    if not isinstance(raw, list):
        raise TemplateError(f"{where}: 'variables' must be a list (use [] for none)")
    variables: list[Variable] = []
    for index, item in enumerate(raw):
        at = f"{where} variable {index + 1}"
        if not isinstance(item, Mapping):
            raise TemplateError(f"{at}: must have name, description and sample")
        name = _text(item, "name", at)
        if not _IDENTIFIER.match(name):
            raise TemplateError(f"{at}: name {name!r} must be a Python-style identifier")
        sample = item.get("sample")
        # YAML reads `sample: 6` as an int; accept it, but not `yes` (a bool) or a blank.
        if isinstance(sample, int) and not isinstance(sample, bool):
            sample = str(sample)
        if not isinstance(sample, str) or not sample.strip():
            raise TemplateError(f"{at} ({name}): 'sample' must be non-empty text; quote it in YAML")
        variables.append(Variable(name=name, description=_text(item, "description", at), sample=sample))
    names = [v.name for v in variables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TemplateError(f"{where}: variable(s) declared twice: {', '.join(duplicates)}")
    return tuple(variables)


def _elements(raw: Any, where: str) -> tuple[Element, ...]:
    valid = [e.value for e in Element]
    if not isinstance(raw, list) or not raw:
        raise TemplateError(f"{where}: 'elements' must be a non-empty list of {', '.join(valid)}")
    unknown = [str(e) for e in raw if e not in valid]
    if unknown:
        raise TemplateError(f"{where}: unknown element(s) {', '.join(unknown)}; use {', '.join(valid)}")
    return tuple(Element(e) for e in raw)


def _categories(raw: Any, where: str, known: set[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise TemplateError(f"{where}: 'categories' must be a non-empty list of category slugs")
    unknown = [str(c) for c in raw if c not in known]
    if unknown:
        raise TemplateError(f"{where}: unknown categor(y/ies) {', '.join(unknown)}; see categories.yaml")
    return tuple(raw)
