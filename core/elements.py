"""The four elements that theme the channels, and how content is sorted into them."""

from __future__ import annotations

from enum import StrEnum


class Element(StrEnum):
    AIR = "air"
    WATER = "water"
    FIRE = "fire"
    EARTH = "earth"

    @property
    def label(self) -> str:
        return self.value.capitalize()
