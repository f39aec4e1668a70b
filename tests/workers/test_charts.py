"""Trend charts are real PNG images of the size asked for."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

from core.trends import DayPoint, Gain, Series
from workers.charts import trend_chart

D0 = date(2026, 11, 17)


def png_header(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk, its CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert crc == zlib.crc32(kind + body)
    width, height = struct.unpack(">II", body[:8])
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    return width, height


def week(key: str, views: list[int], saves: list[int]) -> Series:
    return Series(
        key,
        tuple(
            DayPoint(D0 + timedelta(days=n), Gain(v, s, v, 1))
            for n, (v, s) in enumerate(zip(views, saves, strict=True))
        ),
    )


def test_a_views_chart_is_a_png_of_the_size_asked() -> None:
    series = [week("Air", [100, 250, 400, 380, 900, 1200, 800], [1] * 7), week("Water", [50] * 7, [0] * 7)]
    png = trend_chart(series, "views", title="Views, last 7 days", width_px=800, height_px=400)
    assert png_header(png) == (800, 400)
    assert 5_000 < len(png) < 500_000


def test_a_save_rate_chart_with_gaps_and_an_empty_chart() -> None:
    gap = Series(
        "Air", (DayPoint(D0, Gain(100, 2, 100, 1)), DayPoint(D0 + timedelta(days=1), Gain(50, 0, 0, 1)))
    )
    assert png_header(trend_chart([gap], "save_rate")) == (1000, 500)
    empty = trend_chart([], "views")
    assert png_header(empty) == (1000, 500)
    # Different pictures make different bytes: the data is drawn, not a fixed image.
    assert empty != trend_chart([gap], "views")
