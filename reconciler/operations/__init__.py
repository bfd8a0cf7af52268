"""Operations: each command's whole sequence, as one function the CLI and the tests both call.

As Terraform's `command` package builds an operation and its local backend runs it: the CLI
(reconciler/cli.py, reconciler/commands/) parses arguments, calls one function here and
renders what it returns; the test harness (tests/conftest.py, `InProcess`) calls the same
functions, so a test of apply runs the project lock, the checks before the first write and
the lease that users get. Each function owns the state it writes (the plan file, the lock,
the manifests pull rewrites, the files export writes).

What an operation needs from whoever runs it (show the plan, ask for confirmation, show
progress) is an object with a few methods (`ApplyUI`); the defaults show nothing and approve,
as `--auto-approve` does.

- `make_plan`: read, plan, and save the plan file when asked (`plan`).
- `apply_manifests`: project lock → plan → checks → confirm → lease (→ plan again) → apply (`apply PATH`).
- `apply_saved_plan`: project lock → saved plan's checks → confirm → lease → apply (`apply --plan FILE`).
- `pull`: plan keeping drift → rewrite the manifests → record what is now applied (`pull`).
- `export`: read the account → write manifests and lock (`export`).
"""

from reconciler.operations.apply import (
           ApplyOutcome,
           ApplyUI,
           apply_manifests,
           apply_saved_plan,
           apply_workers,
)
from reconciler.operations.plan import make_plan

# export and pull bring libraries of their own (the exporters, the manifest rewriter): loaded when
# first asked for, so that apply and plan do not import them before their first call (issue 28)
_LATER = {"export": "reconciler.operations.export", "pull": "reconciler.operations.pull",
          "PullOutcome": "reconciler.operations.pull"}


def __getattr__(name: str):
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = importlib.import_module(_LATER[name])
    # importing a submodule sets the package's attribute of its name to the module: export and
    # pull are both a submodule and its function, and the function must win, as it did when
    # this package imported them at once
    for attribute, home in _LATER.items():
        if home == module.__name__:
            globals()[attribute] = getattr(module, attribute)
    return globals()[name]

__all__ = ["ApplyOutcome", "ApplyUI", "PullOutcome", "apply_manifests", "apply_saved_plan", "apply_workers",
           "export", "make_plan", "pull"]
