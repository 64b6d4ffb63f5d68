"""The waiting line of a scheduler: higher priority first, first-come first-served within one.

Used by the batch runner (pipeline/batch.py) and both serve job runners; not thread-safe on
its own (each scheduler holds its own lock around it).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PriorityLine(Generic[T]):
    """Items waiting to run, popped highest priority first, FIFO within a priority."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, T]] = []
        self._arrivals = itertools.count()

    def push(self, item: T, priority: int = 0) -> None:
        """Add ``item`` behind everything of the same or higher priority."""
        heapq.heappush(self._heap, (-priority, next(self._arrivals), item))

    def pop(self) -> T:
        """Remove and return the next item; IndexError when empty."""
        return heapq.heappop(self._heap)[2]

    def remove(self, unwanted: Callable[[T], bool]) -> int:
        """Drop every item for which ``unwanted(item)`` is true; returns how many."""
        kept = [entry for entry in self._heap if not unwanted(entry[2])]
        dropped = len(self._heap) - len(kept)
        heapq.heapify(kept)
        self._heap = kept
        return dropped

    def __len__(self) -> int:
        return len(self._heap)
