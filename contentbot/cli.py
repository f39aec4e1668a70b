"""`contentbot`: the command line that starts each process and runs set-up tasks."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from config.errors import SetupError
from config.redact import redact_text, redact_url
from config.settings import Settings

log = logging.getLogger("contentbot")


def cmd_web(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.processes import run_web

    run_web(settings)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.processes import run_worker_process

    run_worker_process(settings)


def cmd_clock(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.processes import run_clock

    run_clock(settings)


def cmd_dev(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.processes import run_dev

    run_dev(settings)


def cmd_console(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.console import run_console

    run_console(settings, user=args.user)


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    from storage.migrate import upgrade

    upgrade(settings.database_url, args.revision)
    log.info("database at %s is at revision %s", redact_url(settings.database_url), args.revision)


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    from contentbot.seed import seed

    for line in seed(settings.database_url):
        log.info("%s", line)


def cmd_metrics_import(settings: Settings, args: argparse.Namespace) -> None:
    """Snapshots from a CSV (TikTok Studio export or our own columns): all rows land, or none.

    A file without a date column was taken when it was saved, so importing it again adds nothing.
    """
    from datetime import UTC, datetime

    from core.metrics import MetricsFileError, decode_metrics_file, read_metrics_csv
    from storage.db import session_scope
    from storage.metrics import import_rows

    path = Path(args.file)
    try:
        saved_at = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
        text = decode_metrics_file(path.read_bytes())
        rows, problems = read_metrics_csv(text, default_taken_at=saved_at, tz=settings.tz)
        with session_scope(settings.database_url) as session:
            imported = import_rows(session, rows, problems=problems)
    except OSError as exc:
        raise SetupError(f"cannot read {args.file}: {exc.strerror}") from exc
    except MetricsFileError as exc:
        raise SetupError(
            f"{args.file} was not imported (nothing was written):\n  " + "\n  ".join(exc.problems)
        ) from exc
    already = f"; {imported.skipped} were already there" if imported.skipped else ""
    log.info("imported %d metric snapshots from %s%s", imported.added, args.file, already)


def cmd_check_drafts(settings: Settings, args: argparse.Namespace) -> None:
    """JSON lines in, one JSON line of findings out per input line (issue 16's format)."""
    from contentbot.check_drafts import check_drafts

    if args.file == "-":
        bad = check_drafts(settings, sys.stdin, sys.stdout, sys.stderr)
    else:
        try:
            with Path(args.file).open(encoding="utf-8") as source:
                bad = check_drafts(settings, source, sys.stdout, sys.stderr)
        except OSError as exc:
            raise SetupError(f"cannot read {args.file}: {exc.strerror}") from exc
    if bad:
        raise SetupError(f"{bad} line(s) of {args.file} could not be read; each is named above")


def cmd_start(settings: Settings, args: argparse.Namespace) -> None:
    """Everything a first run needs: migrate, seed, then Slack if configured, else the console."""
    args.revision = "head"
    cmd_db_upgrade(settings, args)
    cmd_seed(settings, args)
    if settings.slack_bot_token:
        cmd_dev(settings, args)
    else:
        log.info("No SLACK_BOT_TOKEN: starting the local console workspace instead of connecting to Slack.")
        cmd_console(settings, args)


Command = Callable[[Settings, argparse.Namespace], None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contentbot", description="Slack-first bot that runs the TikTok content engine."
    )
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("web", cmd_web, "Bolt over HTTP on $PORT: Slack events at /slack/events, GET /healthz")
    add("worker", cmd_worker, "RQ worker on the queues posts, high, default, low (in that priority)")
    add("clock", cmd_clock, "APScheduler clock that finds due work and enqueues it (one leader)")
    add("dev", cmd_dev, "web, worker and clock in one process (Socket Mode when SLACK_APP_TOKEN is set)")
    console = add("console", cmd_console, "a local Slack workspace in the terminal, driving the real app")
    console.add_argument(
        "--user", default="U0ALICE", help="the Slack user id you act as (default: %(default)s)"
    )
    db = sub.add_parser("db", help="database tasks", description="database tasks")
    db_sub = db.add_subparsers(dest="db_command", metavar="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply Alembic migrations up to a revision (default: head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=cmd_db_upgrade)
    add("seed", cmd_seed, "create the four element channels and the template library where missing")
    metrics = sub.add_parser("metrics", help="metric tasks", description="metric tasks")
    metrics_sub = metrics.add_subparsers(dest="metrics_command", metavar="metrics_command", required=True)
    metrics_import = metrics_sub.add_parser(
        "import",
        help="import metric snapshots from a CSV (post_id or video_id, views, likes, comments, shares, saves)",
    )
    metrics_import.add_argument("file")
    metrics_import.set_defaults(func=cmd_metrics_import)
    check = add(
        "check-drafts",
        cmd_check_drafts,
        "check drafts (JSON lines: product, avoid_words, caption, hashtags) and print their findings",
    )
    check.add_argument("file", help="a JSON-lines file, or - for standard input")
    start = add("start", cmd_start, "first run: db upgrade, seed, then dev (with Slack tokens) or console")
    start.add_argument("--user", default="U0ALICE", help="console user id when no Slack tokens are set")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # httpx logs each request's URL at INFO, and TikTok Shop's token calls carry secrets in theirs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # A line per clock tick (every second) would bury everything else; misfires and errors still show.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            print(f"contentbot: setting {name}: {error['msg']}", file=sys.stderr)
        return 2
    try:
        args.func(settings, args)
    except SetupError as exc:
        print(f"contentbot: {redact_text(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
