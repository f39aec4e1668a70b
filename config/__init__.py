"""Settings and the setup error: the bottom of the house, read by storage, workers and bot.

It imports nothing of ours; `core` stays pure and never reads settings.
"""
