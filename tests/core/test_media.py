"""Chunk plans follow TikTok's FILE_UPLOAD rules (reference §1.3) for every size and wish."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.media import (
    MAX_CHUNK,
    MAX_LAST_CHUNK,
    MAX_VIDEO_SIZE,
    MIN_CHUNK,
    ChunkPlan,
    chunk_plan,
    plan_problem,
    video_content_type,
)

sizes = st.integers(min_value=1, max_value=MAX_VIDEO_SIZE)
wishes = st.integers(min_value=1, max_value=2 * MAX_LAST_CHUNK)


@given(sizes, wishes)
def test_every_plan_follows_the_rules(size: int, wish: int) -> None:
    plan = chunk_plan(size, wish)
    assert plan_problem(plan.video_size, plan.chunk_size, plan.total_chunk_count) is None
    ranges = plan.ranges()
    assert len(ranges) == plan.total_chunk_count == size // plan.chunk_size
    assert 1 <= len(ranges) <= 1000
    # Contiguous, in order, covering the file exactly once.
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert all(a[1] + 1 == b[0] for a, b in pairwise(ranges))
    lengths = [last - first + 1 for first, last in ranges]
    assert all(length == plan.chunk_size for length in lengths[:-1])
    if len(lengths) > 1:
        assert MIN_CHUNK <= plan.chunk_size <= MAX_CHUNK
        assert plan.chunk_size <= lengths[-1] <= MAX_LAST_CHUNK
    else:
        assert size <= MAX_CHUNK


@given(sizes)
def test_a_file_over_64_mb_is_always_split(size: int) -> None:
    plan = chunk_plan(size, MAX_CHUNK * 4)
    assert (plan.total_chunk_count > 1) == (size > MAX_CHUNK)


def test_the_docs_worked_example() -> None:
    plan = chunk_plan(50_000_123, 10_000_000)
    assert plan == ChunkPlan(50_000_123, 10_000_000, 5)
    assert plan.ranges()[0] == (0, 9_999_999)
    assert plan.ranges()[-1] == (40_000_000, 50_000_122)


def test_small_files_go_whole() -> None:
    assert chunk_plan(3_000_000) == ChunkPlan(3_000_000, 3_000_000, 1)
    assert chunk_plan(3_000_000, 1) == ChunkPlan(3_000_000, 3_000_000, 1)


def test_plan_problem_names_what_tiktok_refuses() -> None:
    # The integrator's 158 MB file sent as one chunk (reference §1.2).
    assert plan_problem(158_000_000, 158_000_000, 1) == "a video over 64 MB must be sent in several chunks"
    assert (
        plan_problem(50_000_123, 10_000_000, 6) == "total_chunk_count must be floor(video_size / chunk_size)"
    )
    assert plan_problem(50_000_000, 1_000_000, 50) == "chunk_size must be between 5 MB and 64 MB"
    assert plan_problem(3_000_000, 5_000_000, 0) == "total_chunk_count must be between 1 and 1000"
    assert plan_problem(5_000_000_000, 10_000_000, 500) == "video_size is over 4 GB"


def test_resuming_needs_a_chunk_start() -> None:
    plan = chunk_plan(50_000_123, 10_000_000)
    assert plan.chunk_starting_at(20_000_000) == 2
    with pytest.raises(ValueError, match="not the start of a chunk"):
        plan.chunk_starting_at(20_000_001)


def test_impossible_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one byte"):
        chunk_plan(0)
    with pytest.raises(ValueError, match="at most 4 GB"):
        chunk_plan(MAX_VIDEO_SIZE + 1)


def test_content_type_by_extension() -> None:
    assert video_content_type("clip.MP4") == "video/mp4"
    assert video_content_type("clip.mov") == "video/quicktime"
    with pytest.raises(ValueError, match="MP4, MOV or WebM"):
        video_content_type("clip.avi")
