"""How a video file is cut into the chunks TikTok's FILE_UPLOAD accepts (reference §1.3).

TikTok's rules: `total_chunk_count = floor(video_size / chunk_size)`; every chunk is 5 MB to 64 MB
and the last one takes the remainder (so may reach 128 MB); a file under 5 MB goes up whole; a file
over 64 MB must be split; 1 to 1000 chunks; at most 4 GB in all. Whether "MB" means 10^6 or 2^20
bytes is not stated, so the bounds below are the stricter reading of each: a plan made here is
valid under both.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHUNK = 5 * 1024 * 1024  # 5 MiB > 5 MB
MAX_CHUNK = 64_000_000  # 64 MB < 64 MiB
MAX_LAST_CHUNK = 128_000_000
MAX_CHUNKS = 1000
MAX_VIDEO_SIZE = 4_000_000_000  # "4 GB"; the decimal reading is the smaller
# The docs' own worked example; 4 GB in 10 MB chunks is 400 PUTs, well inside 1000.
DEFAULT_CHUNK = 10_000_000

VIDEO_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


@dataclass(frozen=True)
class ChunkPlan:
    """What init declares (`video_size`, `chunk_size`, `total_chunk_count`) and the byte ranges the
    PUTs then send, in order."""

    video_size: int
    chunk_size: int
    total_chunk_count: int

    def ranges(self) -> list[tuple[int, int]]:
        """(first, last) byte of each chunk, inclusive as in `Content-Range`; the last one takes the
        remainder."""
        starts = [index * self.chunk_size for index in range(self.total_chunk_count)]
        ends = [start - 1 for start in starts[1:]] + [self.video_size - 1]
        return list(zip(starts, ends, strict=True))

    def chunk_starting_at(self, offset: int) -> int:
        """The index of the chunk that starts at `offset`; resuming mid-chunk is not possible."""
        index, rest = divmod(offset, self.chunk_size)
        if rest or not 0 <= index < self.total_chunk_count:
            raise ValueError(f"byte {offset} is not the start of a chunk of this plan")
        return index


def chunk_plan(video_size: int, chunk_size: int = DEFAULT_CHUNK) -> ChunkPlan:
    """The plan for a file of `video_size` bytes using chunks of about `chunk_size` bytes.

    `chunk_size` is a wish: it is raised or lowered into TikTok's bounds, and a file small enough to
    go whole (under 5 MB, or up to 64 MB when the wish covers it) goes as one chunk.
    """
    if video_size <= 0:
        raise ValueError("a video must have at least one byte")
    if video_size > MAX_VIDEO_SIZE:
        raise ValueError(f"TikTok takes videos of at most 4 GB; this one is {video_size:,} bytes")
    if video_size < MIN_CHUNK or (video_size <= MAX_CHUNK and chunk_size >= video_size):
        return ChunkPlan(video_size, video_size, 1)
    size = min(max(chunk_size, MIN_CHUNK, -(-video_size // MAX_CHUNKS)), MAX_CHUNK)
    count = video_size // size
    if count == 1 and video_size > MAX_CHUNK:
        # One chunk would be over 64 MB, which must be split: two halves are each within bounds.
        size = video_size // 2
        count = video_size // size
    return ChunkPlan(video_size, size, count)


def plan_problem(video_size: int, chunk_size: int, total_chunk_count: int) -> str | None:
    """Why TikTok would refuse these init numbers, or None when they follow the rules."""
    if video_size <= 0 or chunk_size <= 0:
        return "video_size and chunk_size must be positive"
    if video_size > MAX_VIDEO_SIZE:
        return "video_size is over 4 GB"
    if total_chunk_count != video_size // chunk_size:
        return "total_chunk_count must be floor(video_size / chunk_size)"
    if not 1 <= total_chunk_count <= MAX_CHUNKS:
        return "total_chunk_count must be between 1 and 1000"
    if total_chunk_count == 1:
        if video_size > MAX_CHUNK:
            return "a video over 64 MB must be sent in several chunks"
        if chunk_size != video_size and not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            return "chunk_size must be between 5 MB and 64 MB, or the whole video"
        return None
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        return "chunk_size must be between 5 MB and 64 MB"
    if video_size - (total_chunk_count - 1) * chunk_size > MAX_LAST_CHUNK:
        return "the last chunk would be over 128 MB"
    return None


def video_content_type(filename: str) -> str:
    """The `Content-Type` TikTok expects for a file, by its extension."""
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    try:
        return VIDEO_TYPES[suffix]
    except KeyError:
        raise ValueError(f"TikTok takes MP4, MOV or WebM videos, not {filename!r}") from None
