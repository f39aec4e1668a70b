"""Metric snapshots in the database, and `contentbot metrics import`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from contentbot.cli import main
from contentbot.seed import seed
from core.metrics import MetricSnapshot, daily, totals
from storage.channels import get_channel
from storage.db import session_scope
from storage.metrics import record_snapshot, record_snapshots, snapshots
from storage.migrate import downgrade, upgrade
from storage.models import LatestSnapshotRow, MetricSnapshotRow, PostRow
from tests.factories import make_post

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def snapshot_count(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(MetricSnapshotRow)) or 0


def test_snapshots_by_post_channel_and_day(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        air = make_post(session, "Air", "kite caption", T0)
        water = make_post(session, "Water", "splash caption", T0)
        for hours, views, saves in ((1, 100, 2), (25, 1000, 30)):
            record_snapshot(session, MetricSnapshot(air, T0 + timedelta(hours=hours), views, saves=saves))
        record_snapshot(session, MetricSnapshot(water, T0 + timedelta(hours=2), 500, saves=5))
    with session_scope(database_url) as session:
        air_channel = get_channel(session, "Air")
        assert air_channel is not None
        per_post = snapshots(session, post_id=air)
        per_channel = snapshots(session, channel_id=air_channel.id)
        recent = snapshots(session, since=T0 + timedelta(hours=3))
    assert [s.views for s in per_post] == [100, 1000]
    assert per_post[0].taken_at == T0 + timedelta(hours=1)  # aware UTC on both databases
    assert {s.post_id for s in per_channel} == {air}
    assert [s.views for s in recent] == [1000]
    assert totals(per_channel).save_rate == pytest.approx(0.03)
    assert [d.day.isoformat() for d in daily(per_channel)] == ["2026-11-20", "2026-11-21"]


def test_import_a_studio_export_by_video_id(database_url: str, env: dict[str, str], tmp_path: Path) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Fire", "race car caption", T0, status="published")
        session.execute(
            update(PostRow).where(PostRow.id == post).values(tiktok_video_id="7312345678901234567")
        )
    csv = tmp_path / "studio.csv"
    csv.write_text(
        "Video link,Date,Video views,Likes,Comments,Shares,Add to Favorites\n"
        "https://www.tiktok.com/@shop/video/7312345678901234567,2026-11-21,2.5K,120,9,4,75\n"
    )
    assert main(["metrics", "import", str(csv)]) == 0
    with session_scope(database_url) as session:
        [snap] = snapshots(session, post_id=post)
    assert (snap.views, snap.saves, snap.source) == (2500, 75, "csv")


def test_a_file_with_one_unknown_post_writes_nothing(
    database_url: str, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Earth", "blocks caption", T0)
    csv = tmp_path / "ours.csv"
    csv.write_text(f"post_id,views,saves\n{post},100,4\n999999,50,1\n")
    assert main(["metrics", "import", str(csv)]) == 2
    assert "line 3: no post '999999' here" in capsys.readouterr().err
    assert snapshot_count(database_url) == 0


def test_a_malformed_file_names_its_lines(
    database_url: str, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("post_id,views\n1,many\n")
    assert main(["metrics", "import", str(csv)]) == 2
    err = capsys.readouterr().err
    assert "was not imported (nothing was written)" in err and "line 2: views 'many' is not a count" in err
    assert main(["metrics", "import", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_each_posts_latest_snapshot_only_moves_forward(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Air", "kite caption", T0, status="published")
        record_snapshots(
            session,
            [
                MetricSnapshot(post, T0 + timedelta(hours=2), 200),
                MetricSnapshot(post, T0 + timedelta(hours=1), 100),
            ],
        )
        # A CSV export of yesterday, imported after today's poll: history grows, the latest stays.
        record_snapshot(session, MetricSnapshot(post, T0 - timedelta(hours=1), 50, saves=1, source="csv"))
        record_snapshot(session, MetricSnapshot(post, T0 + timedelta(hours=3), 300, saves=9, source="csv"))
    with session_scope(database_url) as session:
        latest = session.scalars(select(LatestSnapshotRow)).all()
    assert [(r.post_id, r.views, r.saves, r.source) for r in latest] == [(post, 300, 9, "csv")]
    assert snapshot_count(database_url) == 4


def test_the_migration_fills_the_latest_snapshots(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        posts = [make_post(session, "Air", f"kite {n}", T0, status="published") for n in range(2)]
    downgrade(database_url, "0009")
    with session_scope(database_url) as session:
        for views, hours in ((10, 1), (30, 3), (20, 2)):
            session.execute(
                insert(MetricSnapshotRow).values(
                    post_id=posts[0], taken_at=T0 + timedelta(hours=hours), views=views, likes=0, comments=0,
                    shares=0, saves=None, source="display",
                )
            )  # fmt: skip
    upgrade(database_url)
    with session_scope(database_url) as session:
        latest = session.scalars(select(LatestSnapshotRow)).all()
    assert [(r.post_id, r.views, r.taken_at) for r in latest] == [(posts[0], 30, T0 + timedelta(hours=3))]


def import_file(path: Path) -> int:
    return main(["metrics", "import", str(path)])


def test_importing_the_same_file_twice_adds_nothing_the_second_time(
    database_url: str, env: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Air", "kite caption", T0, status="published")
    dated = tmp_path / "dated.csv"
    dated.write_text(
        f"post_id,date,views,saves\n{post},2026-11-21T18:00,900,30\n{post},2026-11-22T18:00,1500,41\n"
    )
    # Without a date column a row was taken when the file was saved: the same file, the same moment.
    undated = tmp_path / "undated.csv"
    undated.write_text(f"post_id,views,saves\n{post},2000,50\n")
    for path in (dated, undated):
        assert import_file(path) == 0
    assert snapshot_count(database_url) == 3
    for path in (dated, undated):
        assert import_file(path) == 0
    assert snapshot_count(database_url) == 3
    assert "imported 0 metric snapshots from" in caplog.text and "2 were already there" in caplog.text


def test_the_same_post_and_time_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    from core.metrics import MetricsFileError, parse_metrics_csv

    with pytest.raises(MetricsFileError) as info:
        parse_metrics_csv("post_id,date,views\n1,2026-11-21,5\n1,2026-11-21,6\n", default_taken_at=T0)
    assert info.value.problems == ["line 3: the same post and time as line 2"]


def test_impossible_rows_are_named_by_line_and_nothing_is_imported(
    database_url: str, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Fire", "race car caption", T0, status="published")
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    csv = tmp_path / "impossible.csv"
    csv.write_text(
        "post_id,date,views,likes,saves\n"
        f"{post},2026-11-21,1000,50,20\n"  # fine
        f"{post},2026-11-22,100,120,5\n"  # more likes than views
        f"{post},2026-11-23,100,10,101\n"  # more saves than views
        f"{post},2026-11-19,100,10,5\n"  # the day before the post went out
        f"{post},{future},100,10,5\n"  # not yet taken
    )
    assert import_file(csv) == 2
    err = capsys.readouterr().err
    assert "line 3: likes (120) above views (100)" in err
    assert "line 4: saves (101) above views (100)" in err
    assert f"line 5: taken 2026-11-19, before post {post} went out (2026-11-20)" in err
    assert "line 6: taken" in err and "which is in the future" in err
    assert "line 2" not in err
    assert snapshot_count(database_url) == 0


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        (b"post_id,views\n1,100\n2,caf\xe9\n", ["line 3: byte 0xe9 at column 6 is not UTF-8 text"]),
        (b"post_id,views\n1,1\x002\n", ["line 2: holds a NUL character"]),
        (
            b"post_id,views,note\n1,100," + b"x" * 5000 + b"\n",
            ["line 2: is 5,006 characters long; at most 4,000"],
        ),
        (b'post_id,views,note\n1,100,"' + b"x" * 600 + b'"\n', ["line 2: note longer than 500 characters"]),
        (b"post_id,views\n1,99999999999999999999\n", ["line 2: views '99999999999999999999' is not a count"]),
        (b"post_id,views\n1,2200000K\n", ["line 2: views '2200000K' is more than 2,147,483,647"]),
        (b"post_id,views\n1," + b"9" * 400 + b"\n", ["line 2: views '999"]),
        (
            b"post_id,views\n99999999999999999999,5\n",
            ["line 2: post id '99999999999999999999' is not one of ours"],
        ),
        (b"post_id,date,views\n1,0001-01-01,5\n", ["line 2: date '0001-01-01' is not between 2016 and 2100"]),
        (b"post_id,views\n1,5,6,7\n", ["line 2: 2 more field(s) than the header has columns"]),
    ],
    ids=[
        "latin-1",
        "nul",
        "long line",
        "long field",
        "int8 overflow",
        "int4 overflow",
        "400 digits",
        "huge post id",
        "year 1",
        "extra fields",
    ],
)
def test_bad_bytes_sizes_and_numbers_are_named_by_line_and_nothing_is_imported(
    database_url: str,
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    problems: list[str],
) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        make_post(session, "Water", "boat caption", T0, status="published")
    csv = tmp_path / "bad.csv"
    csv.write_bytes(content)
    assert import_file(csv) == 2
    err = capsys.readouterr().err
    assert "was not imported (nothing was written)" in err
    for problem in problems:
        assert problem in err
    assert snapshot_count(database_url) == 0


def test_the_upgrade_keeps_one_of_each_duplicated_snapshot(database_url: str) -> None:
    seed(database_url)
    with session_scope(database_url) as session:
        post = make_post(session, "Earth", "blocks caption", T0, status="published")
    downgrade(database_url, "0010")
    with session_scope(database_url) as session:
        for views in (100, 100, 200):
            session.add(
                MetricSnapshotRow(
                    post_id=post, taken_at=T0, views=views, likes=0, comments=0, shares=0, source="csv"
                )
            )
    upgrade(database_url)
    assert snapshot_count(database_url) == 1
