"""Fuzz validate and plan, and the apply/plan convergence property, at length.

    python bench/bench_fuzz.py [--quick] [--json] [--examples N] [--property-examples N]

The long form of tests/robustness/test_fuzz.py and tests/plan/test_convergence_property.py
(issue 8). The same hypothesis strategies, with many more examples:

- random YAML trees, manifest-shaped trees, raw text and bytes, and mutations of the
  examples/ manifests go through `validate` and `plan` (in process, against a served
  sandbox): each must end in exit 0 or in `FILE:LINE:COL: error:` lines and exit 1, never a
  traceback, and an invalid input must cost zero API calls (the sandbox's stats);
- random manifest pairs and random live states: apply, then plan shows no changes.

A failure prints hypothesis's minimal failing example and counts as MISSED.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from common import ROOT, Report, command_line, log, parser, print_table

sys.path.insert(0, str(ROOT))


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=None, help="inputs per fuzz strategy")
    p.add_argument("--property-examples", type=int, default=None, help="examples of the convergence property")
    args = p.parse_args()
    examples = args.examples or (100 if args.quick else 1000)
    property_examples = args.property_examples or (40 if args.quick else 300)
    os.environ["RECONCILER_PROPERTY_EXAMPLES"] = str(property_examples)

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from reconciler.sandbox.gateway import SandboxGateway
    from reconciler.sandbox.server import start_server
    from tests.conftest import KEY, HttpSandbox, SandboxApi
    from tests.plan import test_convergence_property as convergence
    from tests.robustness import test_fuzz as fuzz

    strategies = {
        "random YAML trees": st.builds(lambda t: {"fuzz.yaml": fuzz.yaml.safe_dump(t, allow_unicode=True)}, fuzz.trees),
        "manifest-shaped trees": st.builds(lambda t: {"fuzz.yaml": fuzz.yaml.safe_dump(t, allow_unicode=True)},
                                           fuzz.manifest_like),
        "raw text and bytes": st.builds(lambda t: {"fuzz.yaml": t}, st.one_of(
            st.text(max_size=300), st.text(alphabet=fuzz.string.printable + "{}[]&*!|>'\"-:#%@`\t", max_size=300),
            st.binary(max_size=200))),
        "mutated examples/": fuzz.mutated_examples(),
    }
    rows = []
    with __import__("tempfile").TemporaryDirectory() as tmp:
        gateway = SandboxGateway(str(Path(tmp) / "fuzz.db"), api_key=KEY)
        server = start_server(gateway, timeout_hold=5)
        sandbox = HttpSandbox(server.url, server.url + "/pipedrive", gateway, SandboxApi(server.url))
        try:
            for name, strategy in strategies.items():
                tally: Counter = Counter()
                checker = fuzz.Checker(sandbox, tally)

                run = settings(max_examples=examples, deadline=None, database=None,
                               suppress_health_check=list(HealthCheck))(given(files=strategy)(checker.check))

                log(f"bench_fuzz: {name}, {examples} inputs")
                started = time.monotonic()
                failure = None
                try:
                    run()
                except Exception as exc:  # hypothesis re-raises the minimal failing example
                    failure = "".join(traceback.format_exception_only(exc)).strip()
                    print(f"FAILED {name}:\n{''.join(traceback.format_exception(exc))}", file=sys.stderr)
                rows.append((name, tally, time.monotonic() - started, failure))
        finally:
            sandbox.api.close()
            server.stop()
            gateway.close()

    log(f"bench_fuzz: convergence property, {property_examples} examples")
    started = time.monotonic()
    property_failure = None
    try:
        convergence.test_apply_then_plan_shows_no_changes()
    except Exception as exc:
        property_failure = "".join(traceback.format_exception_only(exc)).strip()
        print(f"FAILED convergence:\n{''.join(traceback.format_exception(exc))}", file=sys.stderr)
    property_seconds = time.monotonic() - started

    print_table(
        ["strategy", "inputs", "invalid (FILE:LINE:COL)", "valid, planned", "valid, refused by plan",
         "API calls on invalid", "tracebacks/failures", "seconds"],
        [[name, t["inputs"], t["invalid"], t["valid, planned"], t["valid, refused by plan"],
          t["api calls on invalid input"], 0 if failure is None else 1, f"{s:.1f}"] for name, t, s, failure in rows]
        + [["apply then plan (property)", property_examples, "-", "-", "-", "-",
            0 if property_failure is None else 1, f"{property_seconds:.1f}"]],
    )
    report = Report("fuzz", command_line("bench_fuzz.py", args.quick))
    for name, tally, seconds, failure in rows:
        report.add(f"fuzz: validate + plan of {name}",
                   f"{tally['inputs']} inputs ({tally['invalid']} invalid), "
                   f"{tally['api calls on invalid input']} API calls on invalid input, {seconds:.0f} s"
                   if failure is None else f"FAILED: {failure[:200]}",
                   "no traceback, 0 API calls when invalid",
                   failure is None and tally["api calls on invalid input"] == 0)
    report.add("fuzz: apply then plan of random manifests and live states",
               f"{property_examples} examples, no changes after apply, {property_seconds:.0f} s"
               if property_failure is None else f"FAILED: {property_failure[:200]}",
               "no changes", property_failure is None)
    report.emit(args.json)


if __name__ == "__main__":
    main()
