"""The template library: templates, their versions, and how the posts that used them performed.

A template's text lives in numbered versions. Saving an edit appends a version, so a post keeps the
exact text it was written from (posts.template_version_id) and reports can tell versions apart.

Seeding (`seed_library`) follows one rule: **the data files own a template until someone edits it in
Slack.** A key missing from the database is created. A template whose versions all came from the
seed follows the data file: a changed body or variables append a new version, a changed name,
elements or categories are updated in place. Once a person has saved it from Slack (any version not
written by the seed), or retired it, the seed leaves it alone and reports it as kept.

Performance is read from posts' metric snapshots: views at 24 h (the first snapshot at 24 h or
later) and save rate (saves over views, pooled, at each post's latest snapshot that knows saves).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.elements import Element
from core.experiments import (
    Metric,
    Observation,
    observations_from_snapshots,
)
from core.library import (
    NO_USAGE,
    NOT_MEASURED,
    Performance,
    Saved,
    SeedResult,
    StatusChange,
    Template,
    TemplateStatus,
    TemplateSummary,
    Usage,
    performance,
)
from core.templates import TemplateKind, TemplateSpec, Variable, check_template, render_sample
from storage.metrics import post_measurements
from storage.models import ContentRow, PostRow, TemplateRow, TemplateVersionRow, utcnow

# Who wrote a version that came from the data files rather than from a person in Slack.
SEED_AUTHOR = "seed"


class TemplateNotFound(LookupError):
    pass


# --- Reading ----------------------------------------------------------------------------------------


def get_template(session: Session, template_id: int) -> Template | None:
    row = session.get(TemplateRow, template_id)
    if row is None:
        return None
    return _template(row, _current_versions(session, [row.id])[row.id])


def get_templates(session: Session, template_ids: Sequence[int]) -> dict[int, Template]:
    """The templates of `template_ids` that exist, by id."""
    rows = session.scalars(select(TemplateRow).where(TemplateRow.id.in_(template_ids)))
    return {t.id: t for t in _with_versions(session, rows)}


def template_version(session: Session, template_version_id: int) -> TemplateSpec | None:
    """The text of one version (not necessarily the current one) with its template's key, name and kind.

    This is what generation renders: a content item stores the version id it was written from.
    """
    version = session.get(TemplateVersionRow, template_version_id)
    if version is None:
        return None
    return _spec(session.get_one(TemplateRow, version.template_id), version)


def current_version_ids(session: Session, template_ids: Sequence[int]) -> dict[int, int]:
    """Each template's current (highest-numbered) version id."""
    return {tid: row.id for tid, row in _current_versions(session, template_ids).items()}


def library_version_ids(session: Session, specs: Sequence[TemplateSpec]) -> list[int]:
    """The stored version of each data-file template in `specs` (by key): the one with its text, else
    the template's current one (its text was edited since); a template never seeded is left out."""
    found = []
    for spec in specs:
        rows = session.execute(
            select(TemplateVersionRow.id, TemplateVersionRow.body)
            .join(TemplateRow, TemplateRow.id == TemplateVersionRow.template_id)
            .where(TemplateRow.key == spec.key)
            .order_by(TemplateVersionRow.number.desc())
        ).all()
        same = [version_id for version_id, body in rows if body == spec.body]
        if same or rows:
            found.append((same or [rows[0][0]])[0])
    return found


def list_active(session: Session, kind: TemplateKind | None = None) -> list[Template]:
    """Active templates with their current versions, by kind then name: for pickers."""
    query = select(TemplateRow).where(TemplateRow.status == TemplateStatus.ACTIVE.value)
    if kind is not None:
        query = query.where(TemplateRow.kind == kind.value)
    return _with_versions(session, _in_kind_order(session.scalars(query)))


def list_templates(
    session: Session,
    *,
    category: str | None = None,
    kind: TemplateKind | None = None,
    element: Element | None = None,
    include_retired: bool = False,
) -> list[TemplateSummary]:
    """Templates matching every filter given, by kind then name, with usage and performance."""
    query = select(TemplateRow)
    if kind is not None:
        query = query.where(TemplateRow.kind == kind.value)
    if not include_retired:
        query = query.where(TemplateRow.status == TemplateStatus.ACTIVE.value)
    # Categories and elements are short JSON lists; filtering them here works the same on every database.
    rows = [
        row
        for row in _in_kind_order(session.scalars(query))
        if (category is None or category in row.categories)
        and (element is None or element.value in row.elements)
    ]
    templates = _with_versions(session, rows)
    ids = [t.id for t in templates]
    usage = usage_by_template(session, ids)
    performance = performance_by_template(session, ids)
    return [
        TemplateSummary(t, usage.get(t.id, NO_USAGE), performance.get(t.id, NOT_MEASURED)) for t in templates
    ]


def usage_by_template(session: Session, template_ids: Sequence[int]) -> dict[int, Usage]:
    """Content items and posts written from any version of each template."""
    counts: dict[int, dict[str, int]] = {}
    for name, table in (("contents", ContentRow), ("posts", PostRow)):
        query = (
            select(TemplateVersionRow.template_id, func.count(table.id))
            .join(table, table.template_version_id == TemplateVersionRow.id)
            .where(TemplateVersionRow.template_id.in_(template_ids))
            .group_by(TemplateVersionRow.template_id)
        )
        for template_id, count in session.execute(query):
            counts.setdefault(template_id, {})[name] = count
    return {tid: Usage(contents=c.get("contents", 0), posts=c.get("posts", 0)) for tid, c in counts.items()}


def performance_by_template(session: Session, template_ids: Sequence[int]) -> dict[int, Performance]:
    """Views at 24 h and save rate of the posts written from any version of each template."""
    in_templates = TemplateVersionRow.template_id.in_(template_ids)
    observed: dict[str, dict[Metric, list[Observation]]] = {}
    measured_posts: dict[str, set[str]] = {}
    for metric in Metric:
        snapshots = post_measurements(
            session,
            metric,
            TemplateVersionRow.template_id,
            in_templates,
            joins=[(TemplateVersionRow, PostRow.template_version_id == TemplateVersionRow.id)],
        )
        for snapshot in snapshots:
            measured_posts.setdefault(snapshot.variant, set()).add(snapshot.post_id)
        for observation in observations_from_snapshots(metric, snapshots):
            observed.setdefault(observation.variant, {m: [] for m in Metric})[metric].append(observation)
    return {
        int(key): performance(
            len(posts),
            [o.views for o in observed[key][Metric.VIEWS_24H]],
            [(o.saves, o.views) for o in observed[key][Metric.SAVE_RATE]],
        )
        for key, posts in measured_posts.items()
    }


# --- Writing ----------------------------------------------------------------------------------------


def _checked_example(spec: TemplateSpec) -> str:
    """The body rendered with the samples, after check_template; raises TemplateError."""
    check_template(spec.body, [v.name for v in spec.variables])
    return render_sample(spec)


def create_template(session: Session, spec: TemplateSpec, user_id: str) -> Template:
    """A new template from `spec` (its key is made from the name); raises TemplateError first if invalid."""
    example = _checked_example(spec)
    row = TemplateRow(key=_free_key(session, spec.name), status=TemplateStatus.ACTIVE.value)
    _set_details(row, spec)
    session.add(row)
    session.flush()
    version = _add_version(session, row.id, 1, spec, example, user_id)
    return _template(row, version)


def save_template(session: Session, template_id: int, spec: TemplateSpec, user_id: str) -> Saved:
    """Save a person's edit as the next version; name, elements and categories change in place.

    Any change makes a version, so the history says who changed what and when (and the seed knows a
    person took the template over); nothing changed, nothing written. The kind stays: experiments and
    posts compare like with like. Raises TemplateError before writing anything.
    """
    row = session.get(TemplateRow, template_id)
    if row is None:
        raise TemplateNotFound(f"There is no template {template_id}.")
    example = _checked_example(spec)
    current = _current_versions(session, [row.id])[row.id]
    spec = replace(spec, kind=TemplateKind(row.kind))
    text_changed = not _same_text(current, spec)
    if not text_changed and _same_details(row, spec):
        return Saved(_template(row, current), new_version=False, text_changed=False)
    _set_details(row, spec)
    row.updated_at = utcnow()
    version = _add_version(session, row.id, current.number + 1, spec, example, user_id)
    return Saved(_template(row, version), new_version=True, text_changed=text_changed)


def retire_template(session: Session, template_id: int) -> StatusChange:
    """Retire a template: hidden from lists and pickers; posts keep the versions they used."""
    return _set_status(session, template_id, TemplateStatus.RETIRED)


def restore_template(session: Session, template_id: int) -> StatusChange:
    """Bring a retired template back to lists and pickers, at the version it had."""
    return _set_status(session, template_id, TemplateStatus.ACTIVE)


def _set_status(session: Session, template_id: int, status: TemplateStatus) -> StatusChange:
    row = session.get(TemplateRow, template_id)
    if row is None:
        raise TemplateNotFound(f"There is no template {template_id}.")
    already = row.status == status.value
    if not already:
        row.status = status.value
        row.updated_at = utcnow()
    return StatusChange(_template(row, _current_versions(session, [row.id])[row.id]), already)


def seed_library(session: Session, specs: Sequence[TemplateSpec]) -> SeedResult:
    """Create missing templates; update the ones only the seed ever wrote (see the module docstring)."""
    rows = {row.key: row for row in session.scalars(select(TemplateRow))}
    current = _current_versions(session, [row.id for row in rows.values()])
    edited = set(
        session.scalars(
            select(TemplateVersionRow.template_id).where(TemplateVersionRow.created_by != SEED_AUTHOR)
        )
    )
    created = updated = kept = 0
    for spec in specs:
        row = rows.get(spec.key)
        if row is None:
            row = TemplateRow(key=spec.key, status=TemplateStatus.ACTIVE.value)
            _set_details(row, spec)
            session.add(row)
            session.flush()
            _add_version(session, row.id, 1, spec, spec.example, SEED_AUTHOR)
            created += 1
            continue
        version = current[row.id]
        same_text = _same_text(version, spec)
        if same_text and _same_details(row, spec):
            continue
        if row.id in edited or row.status == TemplateStatus.RETIRED.value:
            kept += 1
            continue
        _set_details(row, spec)
        if not same_text:
            _add_version(session, row.id, version.number + 1, spec, spec.example, SEED_AUTHOR)
        updated += 1
    session.flush()
    return SeedResult(created=created, updated=updated, kept=kept)


# --- Rows to values ---------------------------------------------------------------------------------


_KIND_ORDER = {kind.value: index for index, kind in enumerate(TemplateKind)}


def _in_kind_order(rows: Iterable[TemplateRow]) -> list[TemplateRow]:
    """Hooks, then script frameworks, captions and blog outlines (the order a video is made in); by name."""
    return sorted(rows, key=lambda row: (_KIND_ORDER[row.kind], row.name.lower()))


def _current_versions(session: Session, template_ids: Sequence[int]) -> dict[int, TemplateVersionRow]:
    latest = (
        select(TemplateVersionRow.template_id, func.max(TemplateVersionRow.number).label("number"))
        .where(TemplateVersionRow.template_id.in_(template_ids))
        .group_by(TemplateVersionRow.template_id)
        .subquery()
    )
    query = select(TemplateVersionRow).join(
        latest,
        (TemplateVersionRow.template_id == latest.c.template_id)
        & (TemplateVersionRow.number == latest.c.number),
    )
    return {row.template_id: row for row in session.scalars(query)}


def _with_versions(session: Session, rows: Iterable[TemplateRow]) -> list[Template]:
    rows = list(rows)
    versions = _current_versions(session, [row.id for row in rows])
    return [_template(row, versions[row.id]) for row in rows]


def _template(row: TemplateRow, version: TemplateVersionRow) -> Template:
    return Template(
        id=row.id,
        spec=_spec(row, version),
        version_id=version.id,
        version=version.number,
        status=TemplateStatus(row.status),
        updated_at=row.updated_at,
    )


def _spec(row: TemplateRow, version: TemplateVersionRow) -> TemplateSpec:
    return TemplateSpec(
        key=row.key,
        name=row.name,
        kind=TemplateKind(row.kind),
        body=version.body,
        variables=tuple(Variable(**v) for v in version.variables),
        elements=tuple(Element(e) for e in row.elements),
        categories=tuple(row.categories),
        example=version.example,
    )


def _set_details(row: TemplateRow, spec: TemplateSpec) -> None:
    row.kind = spec.kind.value
    row.name = spec.name
    row.elements = [e.value for e in spec.elements]
    row.categories = list(spec.categories)


def _same_text(version: TemplateVersionRow, spec: TemplateSpec) -> bool:
    return (version.body, version.variables) == (spec.body, _variables_json(spec.variables))


def _same_details(row: TemplateRow, spec: TemplateSpec) -> bool:
    details = (spec.name, [e.value for e in spec.elements], list(spec.categories))
    return (row.name, row.elements, row.categories) == details


def _variables_json(variables: Sequence[Variable]) -> list[dict[str, str]]:
    return [{"name": v.name, "description": v.description, "sample": v.sample} for v in variables]


def _add_version(
    session: Session, template_id: int, number: int, spec: TemplateSpec, example: str, author: str
) -> TemplateVersionRow:
    version = TemplateVersionRow(
        template_id=template_id,
        number=number,
        body=spec.body,
        variables=_variables_json(spec.variables),
        example=example,
        created_by=author,
    )
    session.add(version)
    session.flush()
    return version


def _free_key(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70] or "template"
    taken = set(session.scalars(select(TemplateRow.key).where(TemplateRow.key.startswith(base))))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key
