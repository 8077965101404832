"""Timing helpers: wall-clock timers, percentiles, and a profile of the SQL a block of code runs."""

import cProfile
import io
import pstats
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

NUMBERS = re.compile(r"\b\d+\b")
IN_LISTS = re.compile(r"IN \((?:%s, )*%s\)")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share between 0 and 1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    millis = [value * 1000 for value in seconds]
    return {
        "median_ms": round(statistics.median(millis), 1),
        "p95_ms": round(percentile(millis, 0.95), 1),
        "max_ms": round(max(millis), 1),
        "n": len(millis),
    }


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    found: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield found
    finally:
        found["seconds"] = time.perf_counter() - started


@dataclass
class SqlProfile:
    """Time spent in the database, by statement shape (numbers and IN lists folded)."""

    statements: int = 0
    seconds: float = 0.0
    by_shape: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    slowest: tuple[float, str, Any] = (0.0, "", None)

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.statements += 1
            self.seconds += took
            shape = IN_LISTS.sub("IN (...)", NUMBERS.sub("N", sql))
            self.by_shape[shape].append(took)
            if took > self.slowest[0] and sql.lstrip().upper().startswith("SELECT"):
                self.slowest = (took, sql, params)

    def top(self, count: int = 8) -> list[dict]:
        ranked = sorted(self.by_shape.items(), key=lambda item: -sum(item[1]))[:count]
        return [
            {"seconds": round(sum(times), 3), "calls": len(times), "sql": shape[:600]}
            for shape, times in ranked
        ]

    def as_dict(self) -> dict:
        return {"statements": self.statements, "sql_seconds": round(self.seconds, 3), "top": self.top()}


@contextmanager
def sql_profile() -> Iterator[SqlProfile]:
    profile = SqlProfile()
    with connection.execute_wrapper(profile):
        yield profile


def explain(sql: str, params: Any) -> str:
    """EXPLAIN ANALYZE of one SELECT, as PostgreSQL prints it."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def python_profile(function: Callable[[], Any], *, lines: int = 25) -> tuple[Any, str]:
    """Run ``function`` under cProfile; its result and the top functions by cumulative time."""
    profiler = cProfile.Profile()
    result = profiler.runcall(function)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    return result, out.getvalue()
