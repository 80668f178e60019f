"""Cluster scored pairs into story groups with average linkage, so groups do not chain.

Linking pairs above a threshold and taking connected components chains separate
stories together through single chance links. Here edges are visited from the
strongest down, and two groups merge only when the *mean* confidence over all
their cross pairs reaches the threshold (pairs never scored count as 0, unless a
``score_missing`` callback scores them on demand).

Example:
    >>> from dedup.scoring.cluster import cluster_pairs
    >>> edges = {(0, 1): 0.95, (1, 2): 0.6, (0, 2): 0.1, (3, 4): 0.9}
    >>> cluster_pairs(5, edges, threshold=0.5)
    [[0, 1], [2], [3, 4]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dedup.errors import InvalidParameterError


def cluster_pairs(
    n_items: int,
    confidences: Mapping[tuple[int, int], float],
    *,
    threshold: float = 0.5,
    score_missing: Callable[[int, int], float] | None = None,
    strong_link: float | None = None,
    strong_mean: float = 0.0,
) -> list[list[int]]:
    """Group items by average linkage over pairwise confidences.

    With ``strong_link``, two groups also merge when one cross pair reaches ``strong_link`` and
    the mean over all cross pairs reaches ``strong_mean``: a brief or a partial translation that
    matches one member strongly joins a group whose other members it matches only weakly.

    Args:
        n_items: Number of items; items are 0 .. n_items - 1.
        confidences: Confidence in [0, 1] per scored pair (i, j), i < j.
        threshold: Minimum mean cross-pair confidence for two groups to merge, in [0, 1].
        score_missing: Optional callback scoring an unscored pair (i < j) on demand;
            without it unscored pairs count as 0.
        strong_link: See above; None: average linkage only.
        strong_mean: See above, in [0, 1].

    Returns:
        Every item in exactly one group; groups sorted, ordered by their first item.
        Deterministic: ties between edges are broken by index.
    """
    if not 0.0 <= threshold <= 1.0:
        raise InvalidParameterError(f"threshold must be a float in [0, 1]. Got {threshold}.")
    known: dict[tuple[int, int], float] = {}
    for (i, j), c in confidences.items():
        if i == j or not (0 <= i < n_items and 0 <= j < n_items):
            raise InvalidParameterError(f"pair ({i}, {j}) is not a pair of items in [0, {n_items}).")
        known[(min(i, j), max(i, j))] = float(c)

    def conf(i: int, j: int) -> float:
        key = (min(i, j), max(i, j))
        if key not in known:
            known[key] = float(score_missing(*key)) if score_missing is not None else 0.0
        return known[key]

    group_of = list(range(n_items))
    members: dict[int, list[int]] = {i: [i] for i in range(n_items)}
    strong = [(c, i, j) for (i, j), c in known.items() if c >= threshold]
    edges = sorted(strong, key=lambda e: (-e[0], e[1], e[2]))
    for _, i, j in edges:
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        a, b = members[gi], members[gj]
        cross = [conf(x, y) for x in a for y in b]
        mean = sum(cross) / len(cross)
        strong = strong_link is not None and max(cross) >= strong_link and mean >= strong_mean
        if mean < threshold and not strong:
            continue
        keep, gone = (gi, gj) if gi < gj else (gj, gi)
        for x in members[gone]:
            group_of[x] = keep
        members[keep] = sorted(members[keep] + members.pop(gone))
    return sorted(members.values(), key=lambda m: m[0])


def group_confidence(group: list[int], confidences: Mapping[tuple[int, int], float]) -> float:
    """Mean confidence over all member pairs of a multi-item group (unscored pairs count as 0).

    Example:
        >>> group_confidence([0, 1, 2], {(0, 1): 0.9, (0, 2): 0.6, (1, 2): 0.9})
        0.8
    """
    if len(group) < 2:
        raise InvalidParameterError(f"group_confidence needs at least 2 members. Got {len(group)}.")
    total = 0.0
    count = 0
    for k, a in enumerate(group):
        for b in group[k + 1 :]:
            total += confidences.get((min(a, b), max(a, b)), 0.0)
            count += 1
    return round(total / count, 10)
