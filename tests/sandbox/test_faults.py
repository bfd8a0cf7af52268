"""Fault specs parse strictly and fault decisions replay exactly under a seed.

A fault run is only useful for debugging if it can be repeated: the same seed and the
same request sequence must hit the same requests.
"""

from __future__ import annotations

import pytest

from reconciler.sandbox.faults import (
    DROP_AFTER_COMMIT,
    ERROR_500,
    FAULT_KINDS,
    Fault,
    FaultInjector,
    parse_faults,
)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_parse_every_kind(kind: str) -> None:
    fault = Fault.parse(f"{kind}:0.25")
    assert fault == Fault(kind, 0.25)
    assert str(fault) == f"{kind}:0.25"


def test_parse_is_lenient_on_case_and_spaces() -> None:
    assert Fault.parse(" Timeout:1 ") == Fault("timeout", 1.0)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("error-500", "expected KIND:P"),
        ("error-500:", "expected KIND:P"),
        (":0.5", "expected KIND:P"),
        ("boom:0.5", "unknown kind 'boom'"),
        ("timeout:abc", "is not a number"),
        ("timeout:1.5", "between 0 and 1"),
        ("timeout:-0.1", "between 0 and 1"),
        ("timeout:nan", "between 0 and 1"),
    ],
)
def test_bad_specs_say_why(spec: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        Fault.parse(spec)


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError):
        Fault("nope", 0.1)
    with pytest.raises(ValueError):
        Fault(ERROR_500, 2.0)


def test_parse_faults_keeps_order() -> None:
    assert [f.kind for f in parse_faults(["timeout:0.1", "error-500:0.2"])] == ["timeout", "error-500"]


def test_no_faults_never_fires() -> None:
    injector = FaultInjector()
    assert not injector
    assert all(injector.draw("POST") is None for _ in range(100))


def test_same_seed_same_decisions() -> None:
    faults = parse_faults(["error-500:0.2", "timeout:0.2", "drop-after-commit:0.3"])
    methods = ["GET", "POST", "PATCH", "DELETE", "GET"] * 40
    first = [FaultInjector(faults, seed=7).draw(m) for m in methods]
    a = FaultInjector(faults, seed=7)
    b = FaultInjector(faults, seed=7)
    assert [a.draw(m) for m in methods] == [b.draw(m) for m in methods]
    assert len(set(first)) >= 1
    c = FaultInjector(faults, seed=8)
    a.reseed()
    assert [a.draw(m) for m in methods] != [c.draw(m) for m in methods]


def test_reseed_replays_the_stream() -> None:
    injector = FaultInjector(parse_faults(["error-500:0.5"]), seed=3)
    first = [injector.draw("GET") for _ in range(50)]
    injector.reseed()
    assert [injector.draw("GET") for _ in range(50)] == first


def test_probability_one_always_fires_and_zero_never() -> None:
    always = FaultInjector([Fault(ERROR_500, 1.0)], seed=1)
    never = FaultInjector([Fault(ERROR_500, 0.0)], seed=1)
    assert all(always.draw("GET") == ERROR_500 for _ in range(200))
    assert all(never.draw("GET") is None for _ in range(200))


def test_drop_after_commit_spares_reads_but_keeps_the_stream_aligned() -> None:
    faults = [Fault(DROP_AFTER_COMMIT, 1.0)]
    injector = FaultInjector(faults, seed=0)
    assert injector.draw("GET") is None
    assert injector.draw("POST") == DROP_AFTER_COMMIT
    assert injector.draw("delete") == DROP_AFTER_COMMIT
    # A read consumes its draw: a mixed sequence gives the writes the same decisions
    # as they would get at the same positions in any other sequence.
    mixed = parse_faults(["drop-after-commit:0.5"])
    x = FaultInjector(mixed, seed=11)
    y = FaultInjector(mixed, seed=11)
    xs = [x.draw(m) for m in ["GET", "POST"] * 50]
    ys = [y.draw(m) for m in ["PUT", "POST"] * 50]
    assert xs[1::2] == ys[1::2]
    assert all(v is None for v in xs[0::2])


def test_first_configured_fault_wins() -> None:
    injector = FaultInjector(parse_faults(["timeout:1", "error-500:1"]), seed=0)
    assert injector.draw("POST") == "timeout"


def test_rates_are_roughly_the_probability() -> None:
    injector = FaultInjector(parse_faults(["error-500:0.3"]), seed=123)
    hits = sum(injector.draw("GET") is not None for _ in range(5000))
    assert 1300 < hits < 1700
