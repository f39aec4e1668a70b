"""The error the command line turns into a message and exit status 2."""


class SetupError(RuntimeError):
    """Something a person must fix (a setting, a file); the message says what and how."""
