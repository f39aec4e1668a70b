"""What bulk scheduling reads and writes in one go, on SQLite and PostgreSQL."""

from __future__ import annotations

from contentbot.seed import seed
from storage.contents import add_version, latest_versions
from storage.db import session_scope
from storage.models import VersionRow
from tests.bulk_rows import approved_contents


def test_latest_versions_gives_each_contents_last_version_and_its_row(database_url: str) -> None:
    seed(database_url)
    (first, _), (second, _) = approved_contents(database_url, 2)
    with session_scope(database_url) as session:
        newer = add_version(
            session, first, {"caption": "a second take"}, author_kind="person", author_id="U0ALICE"
        )
        found = latest_versions(session, [first, second, 999_999])
        second_row = session.query(VersionRow).filter_by(content_id=second).one()
    assert set(found) == {first, second}
    assert found[first][0].number == 2 and found[first][0].fields == {"caption": "a second take"}
    assert found[first][1] == newer.id
    assert found[second][1] == second_row.id
