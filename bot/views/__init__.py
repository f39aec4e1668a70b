"""Block Kit for every surface, built with slack_sdk.models: one module per view."""
