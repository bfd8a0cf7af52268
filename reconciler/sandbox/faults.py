"""Fault injection for the sandbox gateway: `--fault KIND:P`, reproducible under a seed.

The sandbox exists so that the client's retry, idempotency and crash-safety code can be
exercised against the failures a real gateway produces. Each kind models one failure
that client code must survive:

- ``error-500``: the gateway answers 500 and the API never sees the request.
- ``rate-429``: the gateway answers 429 with ``Retry-After`` and nothing is written.
- ``timeout``: no answer at all until the client gives up; nothing is written. This is
  the case where a client cannot know whether its write happened, and it must not
  happen; a retry is safe.
- ``drop-after-commit``: the request reaches the API, its effect is committed, then the
  connection is closed before any answer. This is the case that creates duplicates in
  naive clients: the write happened, yet the client saw only an error. It applies to
  writes (POST, PUT, PATCH, DELETE) only; a read drawn for it is answered normally,
  because a lost read answer is the same, for the client, as a ``timeout``.

Decisions come from one seeded :class:`random.Random` behind a lock. Every eligible
request draws exactly one number per configured fault, whatever the outcome and whatever
the method, so the n-th eligible request gets the same decision for a given seed and
fault list, no matter what the earlier requests were. That is what makes a failing run
reproducible: rerun with the same ``--fault-seed`` and the same request sequence.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

ERROR_500 = "error-500"
RATE_429 = "rate-429"
TIMEOUT = "timeout"
DROP_AFTER_COMMIT = "drop-after-commit"

FAULT_KINDS: tuple[str, ...] = (ERROR_500, RATE_429, TIMEOUT, DROP_AFTER_COMMIT)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Fault:
    """One fault kind and the probability that an eligible request is hit by it."""

    kind: str
    probability: float

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(
                f"fault probability for {self.kind} must be between 0 and 1, got {self.probability}"
            )

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse ``KIND:P`` (for example ``timeout:0.05``); a bad spec is a ValueError that says why."""
        text = spec.strip()
        kind, sep, prob_text = text.partition(":")
        if not sep or not kind or not prob_text:
            raise ValueError(
                f"bad fault spec {spec!r}: expected KIND:P, for example error-500:0.1, "
                f"with KIND one of {', '.join(FAULT_KINDS)}"
            )
        kind = kind.strip().lower()
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"bad fault spec {spec!r}: unknown kind {kind!r}; expected one of: {', '.join(FAULT_KINDS)}"
            )
        try:
            probability = float(prob_text)
        except ValueError:
            raise ValueError(f"bad fault spec {spec!r}: probability {prob_text!r} is not a number") from None
        if probability != probability or not 0.0 <= probability <= 1.0:  # NaN fails the first test
            raise ValueError(f"bad fault spec {spec!r}: probability must be between 0 and 1, got {prob_text}")
        return cls(kind, probability)

    def __str__(self) -> str:
        return f"{self.kind}:{self.probability:g}"


def parse_faults(specs: Iterable[str]) -> list[Fault]:
    """Parse every ``KIND:P`` spec, in order (the order decides which fault wins a tie)."""
    return [Fault.parse(spec) for spec in specs]


class FaultInjector:
    """Decides, per eligible request, which fault (if any) hits it.

    Thread-safe: the server handles requests on several threads and they all share one
    random stream, so the draws are serialised by a lock. When several faults fire for
    the same request, the first one in the configured order wins.
    """

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0) -> None:
        self.faults: tuple[Fault, ...] = tuple(faults)
        self.seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.faults)

    def reseed(self, seed: int | None = None) -> None:
        """Restart the random stream (from ``seed``, or the original one) so a run can be replayed."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self._rng = random.Random(self.seed)

    def draw(self, method: str) -> str | None:
        """Return the fault kind that hits this request, or None.

        ``drop-after-commit`` never hits a read: the number is still drawn, so the
        stream stays aligned, but the read is answered normally.
        """
        if not self.faults:
            return None
        with self._lock:
            rolls = [self._rng.random() for _ in self.faults]
        is_write = method.upper() in WRITE_METHODS
        for fault, roll in zip(self.faults, rolls, strict=True):
            if roll >= fault.probability:
                continue
            if fault.kind == DROP_AFTER_COMMIT and not is_write:
                continue
            return fault.kind
        return None
