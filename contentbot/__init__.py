"""contentbot: the composition root (the command line, process runners, the local bot).

It imports every layer and is imported by none of them; settings live in `config`.
"""
