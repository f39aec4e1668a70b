"""What listeners need from the rest of the system, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import redis
from sqlalchemy.orm import Session

from bot.roles import Roles
from config.settings import Settings
from storage.db import session_scope


@dataclass
class Services:
    settings: Settings
    # None when Redis could not be reached at start-up; features that enqueue say so.
    redis: redis.Redis | None

    @cached_property
    def roles(self) -> Roles:
        # One per process, so the user group's members are read once a minute, not per surface.
        return Roles(self.settings)

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.settings.database_url) as session:
            yield session
