"""Command groups and command bodies that live outside cli.py.

Why a package: cli.py keeps the shared plumbing (options, output, error handling) and the
core pipeline commands; commands whose logic is their own (``whoami``, ``connections``)
live here so that they can grow without crowding it. cli.py mounts them at import time,
so import ``reconciler.cli`` (not these modules) to get the complete program.
"""
