"""Reading bulk rows (CSV or pasted, with or without a header) and the checks of rows against each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.bulk import (
    MAX_ROWS,
    BulkRow,
    Placed,
    RowProblem,
    batch_problems,
    read_rows,
    same_content,
    summarise,
)
from core.fingerprint import Fingerprint

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_rows_without_a_header_are_read_in_the_columns_order() -> None:
    rows, problems = read_rows("#12, Water, next\n13, Fire, 2026-12-24 18:30, 1729382, public\n", NOW, UTC)
    assert problems == []
    assert rows == [
        BulkRow(2 - 1, 12, "Water", None, (), None, None),
        BulkRow(
            2,
            13,
            "Fire",
            datetime(2026, 12, 24, 18, 30, tzinfo=UTC),
            ("1729382",),
            "PUBLIC_TO_EVERYONE",
            None,
        ),
    ]


def test_a_header_names_the_columns_in_any_order_and_lines_count_from_it() -> None:
    text = "channel,privacy,content id,when\r\nAir,public,7,tomorrow 18:00\r\n\r\nWater,,8,next\r\n"
    rows, problems = read_rows(text, NOW, UTC)
    assert problems == []
    assert [(r.line, r.content_id, r.channel, r.privacy) for r in rows] == [
        (2, 7, "Air", "PUBLIC_TO_EVERYONE"),
        (4, 8, "Water", None),
    ]
    assert rows[0].when == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def test_a_privacy_word_not_known_is_named_by_line_and_column() -> None:
    rows, problems = read_rows("5, Earth, next, , everyone\n6, Air, next, , Private\n", NOW, UTC)
    assert [(p.line, p.column) for p in problems] == [(1, "privacy")]
    assert "`everyone` is not a privacy" in problems[0].text
    assert [(r.line, r.privacy) for r in rows] == [(2, "SELF_ONLY")]


def test_tab_separated_rows_pasted_from_a_spreadsheet_are_read() -> None:
    rows, problems = read_rows("5\tEarth\tnext\n", NOW, UTC)
    assert problems == [] and rows[0].channel == "Earth"


def test_every_bad_field_is_named_by_line_and_column() -> None:
    text = "content,channel,time,products\n1,Air,next\nx1,Air,next\n2,,25:00\n3,Air,next,11 22\n4,Air,next,,,,,\n"
    rows, problems = read_rows(text, NOW, UTC)
    assert [r.line for r in rows] == [2]
    assert [str(p) for p in problems] == [
        "line 3, column content: `x1` is not a content id.",
        "line 4, column channel: no channel.",
        "line 4, column time: `25:00` is not a time of day like 18:30: use `next`, `18:30`, "
        "`tomorrow 18:30`, `Fri 18:30` or `2026-12-24 09:00`.",
        "line 5, column products: a post carries one product; give one id.",
        "line 6, column 5: 4 more field(s) than the 4 columns",
    ]


def test_an_unknown_header_and_an_empty_file_are_refused_whole() -> None:
    assert [str(p) for p in read_rows("content,channel,colour\n1,Air,red\n", NOW, UTC)[1]] == [
        "line 1, column colour: `colour` is not a column I know; the columns are content, channel, time, "
        "products, privacy, video."
    ]
    assert read_rows("\n\n", NOW, UTC)[1][0].text.startswith("There are no rows")


def test_a_batch_over_the_row_limit_is_refused() -> None:
    text = "\n".join(f"{i}, Air, next" for i in range(1, MAX_ROWS + 3))
    rows, problems = read_rows(text, NOW, UTC)
    assert len(rows) == MAX_ROWS
    assert [str(p) for p in problems] == [
        f"line {MAX_ROWS + 1}, column content: a batch holds at most 2,000 rows"
    ]


def placed(
    line: int, channel: int, hours: float, *, text: str = "", mode: str = "direct", cap: int = 15
) -> Placed:
    return Placed(
        line=line,
        content_id=line,
        channel_id=channel,
        channel_name=f"C{channel}",
        at=NOW + timedelta(hours=hours),
        fingerprint=Fingerprint.of_text(text or f"caption number {line} about something else {line * 7919}"),
        product_id=None,
        posting_mode=mode,
        daily_cap=cap,
        min_gap=timedelta(minutes=60),
    )


def test_two_rows_closer_than_the_gap_name_each_other_and_exactly_the_gap_is_fine() -> None:
    problems = batch_problems([placed(1, 1, 1), placed(2, 1, 2), placed(3, 1, 2.5)], {}, {}, UTC)
    assert [(p.line, p.column) for p in problems] == [(3, "time")]
    assert "too close to line 2" in problems[0].text and "must be 1 h apart" in problems[0].text


def test_the_daily_cap_counts_the_batch_and_what_is_already_scheduled() -> None:
    rows = [placed(1, 1, 1, cap=2), placed(2, 1, 3, cap=2)]
    assert batch_problems(rows, {}, {}, UTC) == []
    problems = batch_problems(rows, {1: [NOW + timedelta(hours=6)]}, {}, UTC)
    assert [str(p) for p in problems] == [
        "line 2, column time: C1 would have 3 posts on Tue 01 Dec (lines 1 and 1 already scheduled), "
        "over its daily cap of 2."
    ]


def test_an_inbox_draft_over_tiktoks_limit_with_earlier_rows_is_named_counting_those_waiting() -> None:
    rows = [placed(line, 1, 2 * line, mode="draft") for line in range(1, 5)]
    one_waiting = {line: [NOW - timedelta(hours=20)] for line in range(1, 5)}
    assert batch_problems(rows, {}, one_waiting, UTC) == []
    two_waiting = {line: [NOW - timedelta(hours=10), NOW - timedelta(hours=1)] for line in range(1, 5)}
    problems = batch_problems(rows, {}, two_waiting, UTC)
    assert [str(p) for p in problems] == [
        "line 4, column time: C1 would have more than 5 inbox drafts pending within 24 hours, counting "
        "lines 1, 2, 3; TikTok keeps at most 5 per creator until they are finished in the app."
    ]
    # A row over the limit on its own was named by its own check, not again here.
    six_waiting = {line: [NOW - timedelta(hours=h) for h in range(1, 6)] for line in range(1, 5)}
    assert batch_problems(rows[:1], {}, six_waiting, UTC) == []


def test_the_same_text_on_two_channels_is_named_by_the_later_line() -> None:
    rows = [placed(1, 1, 1, text="Glow kites loop at dusk"), placed(2, 2, 5, text="glow kites loop at dusk!")]
    assert [(p.line, p.column) for p in batch_problems(rows, {}, {}, UTC)] == [(2, "content")]
    rows = [placed(1, 1, 1, text="Glow kites loop at dusk"), placed(2, 1, 5, text="Glow kites loop at dusk")]
    assert batch_problems(rows, {}, {}, UTC) == []


def test_the_same_content_on_two_channels_is_named_even_when_a_row_fails_its_own_checks() -> None:
    rows = [BulkRow(2, 5, "Air", None, (), None, None), BulkRow(9, 5, "water", None, (), None, None)]
    assert [str(p) for p in same_content(rows)] == [
        "line 9, column content: content #5 is also on line 2 for Air: the same content goes on one channel only."
    ]
    assert same_content([rows[0], BulkRow(3, 5, "air", None, (), None, None)]) == []


def test_a_summary_keeps_file_order_and_counts_the_rest() -> None:
    problems = [RowProblem(line, "time", "x") for line in range(100, 0, -1)]
    shown, more = summarise(problems, limit=3)
    assert (
        shown == ["line 1, column time: x", "line 2, column time: x", "line 3, column time: x"] and more == 97
    )
