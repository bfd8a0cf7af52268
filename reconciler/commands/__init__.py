"""Command groups and command bodies that live outside cli.py.

Why a package: cli.py keeps the core pipeline commands; commands whose logic is their own
(``whoami``, ``connections``, ``export``) live here so that they can grow without crowding
it, and ``common`` holds the plumbing they all share (options, output, error handling,
exit codes), so that no module here imports cli.py. cli.py mounts these commands lazily
(imported when they run), so import ``reconciler.cli`` to get the complete program.
"""
