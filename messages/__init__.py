"""Slack messages: the Block Kit of every message the bot posts, and posting or updating one in place
with its history in its thread.

Both the listeners (bot) and the jobs (workers) change the same messages (a review message, a post's
message, an alert), so the builders live here, below both: this package imports core, config and
storage, never bot or workers.
"""
