"""Text normalisation shared by indexing, search and suggestions: fold case and accents, split on
anything that is not a letter or digit."""

from __future__ import annotations

import re
import unicodedata

MIN_TERM = 2
_SPLIT = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def normalise(text: str) -> list[str]:
    """Index terms: folded tokens of at least MIN_TERM characters."""
    return [t for t in _SPLIT.split(fold(text)) if len(t) >= MIN_TERM]


def tokens(text: str) -> list[str]:
    """Query tokens: like ``normalise`` but keeps one-character tokens (a user may be mid-word)."""
    return [t for t in _SPLIT.split(fold(text)) if t]


def slugify(text: str) -> str:
    return "-".join(t for t in _SPLIT.split(fold(text)) if t)


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (one insertion, deletion, substitution or adjacent swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def prefix_within_one_edit(typed: str, word: str) -> bool:
    """True if some prefix of ``word`` is within one edit of ``typed`` (typo-tolerant completion)."""
    n = len(typed)
    return any(within_one_edit(typed, word[:k]) for k in (n, n - 1, n + 1) if 0 < k <= len(word))
