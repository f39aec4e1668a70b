"""contentbot: the composition root (settings, command line, process runners).

`settings` is a leaf every layer may import; the rest of this package imports the
layers and is imported by none of them.
"""
