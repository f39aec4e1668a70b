"""Local stand-ins for the services contentbot talks to, for tests, the console and benchmarks.

Each speaks its service's wire format on a loopback port, so the real clients (slack-sdk,
the anthropic SDK, httpx) are what the tests exercise. Nothing in bot, core, storage or
workers imports this package.
"""
