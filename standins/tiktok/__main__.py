"""Run the TikTok stand-in by hand: `python -m standins.tiktok --port 8766`.

It starts with one account and prints a ready access token, so `curl` works at once; the authorize
page logs that account in.
"""

from __future__ import annotations

import argparse

from standins.loopback import serve_until_interrupted
from standins.tiktok import TikTokStandIn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local stand-in for TikTok's v2 APIs.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--client-key", default="test-client-key")
    parser.add_argument("--client-secret", default="test-client-secret")
    parser.add_argument("--account", default="standin-creator", help="open_id of the one account")
    parser.add_argument("--private", action="store_true", help="make the account private")
    parser.add_argument("--unaudited", action="store_true", help="enforce the unaudited-client rules")
    args = parser.parse_args(argv)
    with TikTokStandIn(
        client_key=args.client_key,
        client_secret=args.client_secret,
        port=args.port,
        audited=not args.unaudited,
    ) as standin:
        standin.add_account(args.account, private=args.private)
        tokens = standin.issue_tokens(args.account)
        serve_until_interrupted(
            standin.base_url,
            f"Set TIKTOK_API_URL={standin.base_url} TIKTOK_AUTH_URL={standin.base_url} "
            f"TIKTOK_CLIENT_KEY={args.client_key} TIKTOK_CLIENT_SECRET={args.client_secret}\n"
            f"Access token for {args.account}: {tokens['access_token']}",
        )


if __name__ == "__main__":
    main()
