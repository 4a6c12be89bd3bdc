"""All-pairs (pairwise) combinations: every pair of values of any two parameters in
some row, with far fewer rows than the full product.

A small greedy generator in the manner of AETG: each new row starts from a pair not
yet covered and fills the other parameters with the values that cover the most
uncovered pairs; of a few such rows, started from different pairs, the one covering
the most is kept. Deterministic: the same parameters give the same rows.

A row may leave some of its values without effect (a question copier does not ask
given the others): *effective* says which, and only the values in effect cover
pairs. A pair no row built for it can put in effect is dropped, not chased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

Pair = tuple[int, int, int, int]
#: A full row of value indices -> the same row with None where a value has no effect.
Effective = Callable[[tuple[int, ...]], tuple[int | None, ...]]
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


def _every_value(row: tuple[int, ...]) -> tuple[int | None, ...]:
    return row


def pairwise_indices(
    sizes: Sequence[int], effective: Effective | None = None
) -> list[tuple[int, ...]]:
    """Rows of value indices (one per parameter, of *sizes* values each) covering
    every pair of values of any two parameters (that some row puts in *effect*)."""
    if not sizes or any(size < 1 for size in sizes):
        return []
    effect = effective or _every_value
    if len(sizes) == 1:
        return [(value,) for value in range(sizes[0])]
    uncovered = _uncovered(sizes)
    rows: list[tuple[int, ...]] = []
    while uncovered:
        # Several seeds, the best row kept: a few candidates cost little and save rows.
        seeds = sorted(uncovered)[:: max(1, len(uncovered) // _SEEDS)][:_SEEDS]
        candidates = [_complete(seed, sizes, uncovered, effect) for seed in seeds]
        best = max(candidates, key=lambda row: len(_covered_by(effect(row)) & uncovered))
        gained = _covered_by(effect(best)) & uncovered
        if not gained:
            # None of these pairs is in effect in the row built for it: no user can
            # answer so (a question copier does not ask then).
            uncovered -= set(seeds)
            continue
        uncovered -= gained
        rows.append(best)
    return rows


def _complete(
    seed: Pair, sizes: Sequence[int], uncovered: set[Pair], effect: Effective
) -> tuple[int, ...]:
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
            gain = len(_covered_by(_in_effect(row, effect)) & uncovered)
            if gain > best_gain:
                best, best_gain = value, gain
        row[k] = best
    return tuple(value if value is not None else 0 for value in row)


def _in_effect(row: Sequence[int | None], effect: Effective) -> tuple[int | None, ...]:
    """A partial row's values in effect (the unset ones taken as the first value)."""
    if effect is _every_value:
        return tuple(row)
    full = effect(tuple(value if value is not None else 0 for value in row))
    return tuple(None if value is None else full[k] for k, value in enumerate(row))
