"""Putting a batch's rows back in the order of the keys a DataLoader asked for."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def one_per_key(keys: Sequence[K], rows: Iterable[R], key: Callable[[R], K]) -> list[R | None]:
    """The row of each key (None where there is none), in the order of ``keys``."""
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


def all_per_key(keys: Sequence[K], rows: Iterable[R], key: Callable[[R], K]) -> list[list[R]]:
    """The rows of each key, in the order they came, in the order of ``keys``."""
    found: dict[K, list[R]] = {k: [] for k in keys}
    for row in rows:
        found[key(row)].append(row)
    return [found[k] for k in keys]
