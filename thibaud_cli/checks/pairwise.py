"""All-pairs (pairwise) combinations: every pair of values of any two parameters in
some row, with far fewer rows than the full product.

A small greedy generator in the manner of AETG: each new row starts from a pair not
yet covered and fills the other parameters with the values that cover the most
uncovered pairs; of a few such rows, started from different pairs, the one covering
the most is kept. Deterministic: the same parameters give the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

Pair = tuple[int, int, int, int]
#: How many starting pairs each new row is tried from.
_SEEDS = 8  # (parameter i, value index, parameter j, value index), i < j


def _uncovered(sizes: Sequence[int]) -> set[Pair]:
    return {
        (i, a, j, b)
        for i, j in combinations(range(len(sizes)), 2)
        for a in range(sizes[i])
        for b in range(sizes[j])
    }


def _covered_by(row: Sequence[int | None]) -> set[Pair]:
    return {
        (i, row[i], j, row[j])  # type: ignore[misc]
        for i, j in combinations(range(len(row)), 2)
        if row[i] is not None and row[j] is not None
    }


def pairwise_indices(sizes: Sequence[int]) -> list[tuple[int, ...]]:
    """Rows of value indices (one per parameter, of *sizes* values each) covering
    every pair of values of any two parameters."""
    if not sizes or any(size < 1 for size in sizes):
        return []
    if len(sizes) == 1:
        return [(value,) for value in range(sizes[0])]
    uncovered = _uncovered(sizes)
    rows: list[tuple[int, ...]] = []
    while uncovered:
        # Several seeds, the best row kept: a few candidates cost little and save rows.
        seeds = sorted(uncovered)[:: max(1, len(uncovered) // _SEEDS)][:_SEEDS]
        candidates = [_complete(seed, sizes, uncovered) for seed in seeds]
        best = max(candidates, key=lambda row: len(_covered_by(row) & uncovered))
        uncovered -= _covered_by(best)
        rows.append(best)
    return rows


def _complete(seed: Pair, sizes: Sequence[int], uncovered: set[Pair]) -> tuple[int, ...]:
    """A row holding the pair *seed*, each other value chosen to cover the most pairs."""
    i, a, j, b = seed
    row: list[int | None] = [None] * len(sizes)
    row[i], row[j] = a, b
    for k in range(len(sizes)):
        if row[k] is not None:
            continue
        best, best_gain = 0, -1
        for value in range(sizes[k]):
            row[k] = value
            gain = len(_covered_by(row) & uncovered)
            if gain > best_gain:
                best, best_gain = value, gain
        row[k] = best
    return tuple(value if value is not None else 0 for value in row)


def pairwise(parameters: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Answer sets covering every pair of values of any two of *parameters*."""
    names = list(parameters)
    sizes = [len(parameters[name]) for name in names]
    return [
        {name: parameters[name][index] for name, index in zip(names, row, strict=True)}
        for row in pairwise_indices(sizes)
    ]
