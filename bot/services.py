"""What listeners need from the rest of the system, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session

from contentbot.settings import Settings
from storage.db import session_scope


@dataclass
class Services:
    settings: Settings
    # None when Redis could not be reached at start-up; features that enqueue say so.
    redis: redis.Redis | None

    @contextmanager
    def db(self) -> Iterator[Session]:
        with session_scope(self.settings.database_url) as session:
            yield session
