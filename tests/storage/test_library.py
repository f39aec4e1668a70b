"""The template library in the database: seeding, listing with usage and performance, versions, retiring."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from contentbot.seed import seed
from core.elements import Element
from core.library import SeedResult, TemplateStatus
from core.templates import TemplateError, TemplateKind, Variable
from storage.channels import get_channel
from storage.db import session_scope
from storage.library import (
    create_template,
    get_template,
    list_active,
    list_templates,
    restore_template,
    retire_template,
    save_template,
    seed_library,
    template_version,
)
from storage.models import PostRow, TemplateVersionRow
from templates import library_specs
from tests.measured_posts import publish_post


def by_key(session, key: str):
    return next(
        s.template for s in list_templates(session, include_retired=True) if s.template.spec.key == key
    )


def test_seed_creates_the_library_once(database_url: str) -> None:
    assert seed(database_url)[-1] == "templates: created 25"
    assert seed(database_url)[-1] == "templates: all exist already; nothing changed"
    with session_scope(database_url) as session:
        hooks = list_active(session, TemplateKind.HOOK)
        everything = list_active(session)
        gift = by_key(session, "gift-panic")
    assert len(hooks) == 15 and len(everything) == 25
    assert gift.version == 1 and gift.status is TemplateStatus.ACTIVE
    assert gift.spec == next(s for s in library_specs() if s.key == "gift-panic")


def test_a_changed_data_file_updates_untouched_templates_but_keeps_slack_edits(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        first_gift_version = by_key(session, "gift-panic").version_id
        edited = by_key(session, "three-reasons")
        save_template(session, edited.id, replace(edited.spec, name="Three reasons (ours)"), "U0ALICE")
    specs = [
        replace(s, body=s.body + " Really.", example=s.example + " Really.")
        if s.key in ("gift-panic", "three-reasons")
        else s
        for s in library_specs()
    ]
    with session_scope(database_url) as session:
        assert seed_library(session, specs) == SeedResult(created=0, updated=1, kept=1)
        gift = by_key(session, "gift-panic")
        ours = by_key(session, "three-reasons")
        first_gift = template_version(session, first_gift_version)
    assert gift.version == 2 and gift.spec.body.endswith("Really.")
    assert first_gift is not None and first_gift.body == "Stuck on a gift for age {{ age }}? Stop scrolling."
    assert ours.spec.name == "Three reasons (ours)" and not ours.spec.body.endswith("Really.")


def test_filters_combine_in_any_order(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        water_captions = list_templates(session, kind=TemplateKind.CAPTION, element=Element.WATER)
        plush_hooks = list_templates(session, category="plush", kind=TemplateKind.HOOK)
    assert {s.template.spec.key for s in water_captions} == {"gift-pick", "save-for-later"}
    assert plush_hooks and all(
        "plush" in s.template.spec.categories and s.template.spec.kind is TemplateKind.HOOK
        for s in plush_hooks
    )


def test_an_edit_is_a_new_version_and_posts_keep_the_version_they_used(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        fire = get_channel(session, "Fire")
        gift = by_key(session, "gift-panic")
        old_post = publish_post(session, channel_id=fire.id, template_version_id=gift.version_id)
        new_spec = replace(gift.spec, body="Age {{ age }} gift, sorted.")
        saved = save_template(session, gift.id, new_spec, "U0ALICE")
        new_post = publish_post(session, channel_id=fire.id, template_version_id=saved.template.version_id)
        again = save_template(session, gift.id, new_spec, "U0ALICE")
        used = {
            post_id: session.get_one(PostRow, post_id).template_version_id for post_id in (old_post, new_post)
        }
        old_text = template_version(session, used[old_post])
        summary = next(s for s in list_templates(session) if s.template.id == gift.id)
    assert saved.new_version and saved.text_changed and saved.template.version == 2
    assert saved.template.spec.example == "Age 6 gift, sorted."
    assert not again.new_version and again.template.version == 2
    assert used[old_post] == gift.version_id and used[new_post] == saved.template.version_id
    assert old_text is not None and old_text.body == "Stuck on a gift for age {{ age }}? Stop scrolling."
    assert summary.usage.posts == 2 and summary.usage.contents == 2


@pytest.mark.parametrize(
    ("body", "variables", "problem"),
    [
        ("Stuck at age {{ age }", ("age",), "syntax error on line 1"),
        ("For {{ kid }}", ("age",), "undeclared variable(s) used in the body: kid"),
        ("No variables here", ("age",), "declared variable(s) not used in the body: age"),
    ],
)
def test_an_invalid_edit_writes_nothing(database_url: str, body: str, variables: tuple, problem: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        gift = by_key(session, "gift-panic")
        spec = replace(gift.spec, body=body, variables=tuple(Variable(v, "a value", "6") for v in variables))
        with pytest.raises(TemplateError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            save_template(session, gift.id, spec, "U0ALICE")
    with session_scope(database_url) as session:
        assert get_template(session, gift.id) == gift


def test_a_created_template_gets_a_free_key_and_a_checked_example(database_url: str) -> None:
    seed(database_url)
    spec = replace(next(s for s in library_specs() if s.key == "gift-panic"), key="", example="")
    with session_scope(database_url) as session:
        made = create_template(session, replace(spec, name="Gift panic"), "U0ALICE")
    assert made.spec.key == "gift-panic-2"
    assert made.spec.example == "Stuck on a gift for age 6? Stop scrolling."
    with session_scope(database_url) as session:
        authors = session.scalars(
            select(TemplateVersionRow.created_by).where(TemplateVersionRow.template_id == made.id)
        ).all()
    # A person's version: the seed will leave this template alone.
    assert authors == ["U0ALICE"]


def test_retiring_hides_a_template_and_is_idempotent(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        gift = by_key(session, "gift-panic")
        first = retire_template(session, gift.id)
        second = retire_template(session, gift.id)
        active = {t.spec.key for t in list_active(session)}
        listed = {s.template.spec.key for s in list_templates(session)}
        with_retired = {s.template.spec.key for s in list_templates(session, include_retired=True)}
    assert not first.already and second.already
    assert second.template.status is TemplateStatus.RETIRED
    assert "gift-panic" not in active | listed and "gift-panic" in with_retired


def test_restoring_brings_a_retired_template_back_at_its_version(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        gift = by_key(session, "gift-panic")
        retire_template(session, gift.id)
        restored = restore_template(session, gift.id)
        again = restore_template(session, gift.id)
        active = {t.spec.key for t in list_active(session)}
    assert not restored.already and again.already
    assert restored.template.status is TemplateStatus.ACTIVE
    assert restored.template.version_id == gift.version_id
    assert "gift-panic" in active


def test_performance_reads_views_at_24h_and_save_rate_from_snapshots(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        fire = get_channel(session, "Fire")
        gift = by_key(session, "gift-panic")
        # Views at 24 h: the first snapshot at 24 h or later (1000 and 3000, not the 2 h or 48 h ones).
        # Save rate: the latest snapshot that knows saves (Display API snapshots have none).
        publish_post(
            session,
            channel_id=fire.id,
            template_version_id=gift.version_id,
            snapshots=[(2, 100, 1), (24, 1000, None), (48, 2000, 60)],
        )
        publish_post(
            session,
            channel_id=fire.id,
            template_version_id=gift.version_id,
            snapshots=[(30, 3000, 90), (72, 5000, None)],
        )
        # Too young for views at 24 h and no saves known: made, but not measured.
        publish_post(
            session, channel_id=fire.id, template_version_id=gift.version_id, snapshots=[(3, 50, None)]
        )
        summary = next(s for s in list_templates(session) if s.template.id == gift.id)
        untouched = next(s for s in list_templates(session) if s.template.spec.key == "three-reasons")
    assert summary.usage.posts == 3
    assert summary.performance.posts_measured == 2
    assert summary.performance.mean_views_24h == 2000
    assert summary.performance.save_rate == pytest.approx((60 + 90) / (2000 + 3000))
    assert untouched.performance.posts_measured == 0 and untouched.performance.save_rate is None
