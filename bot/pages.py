"""Plain pages the `web` process serves to browsers (OAuth redirects land on them)."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"


def html_page(status: int, title: str, message: str) -> Page:
    """A small page a person reads once and closes; both texts are escaped here."""
    body = (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(title)}</title></head>\n"
        "<body style='font-family: sans-serif; max-width: 36em; margin: 3em auto'>"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p></body></html>\n"
    )
    return Page(status, body.encode())
