"""Real videos for tests: encoded by FFmpeg through PyAV, so the length check reads them as TikTok would."""

from __future__ import annotations

import io
from fractions import Fraction

import av


def make_video(seconds: int, fmt: str = "mp4") -> bytes:
    """A video `seconds` + 1 seconds long (one tiny frame a second, the last one shown for a second)."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream("mpeg4", rate=1)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for second in range(seconds + 1):
            frame = av.VideoFrame(32, 32, "yuv420p")
            frame.pts, frame.time_base = second, Fraction(1, 1)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out.getvalue()
