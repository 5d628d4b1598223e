"""The back office's customer search: which terms find a customer, and how a query matches them.

A customer is found by a prefix of their email, of their full name or of any word of their name,
case- and accent-insensitively ("ana" finds "Ana Müller", "mull" finds her too, "ana@ex" finds
ana@example.com). The terms are stored as index entries (adapters/customers_dynamo.py), so a
search is one DynamoDB Query on a prefix, never a scan (docs/back-office.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_NAME_WORDS = 6
MAX_TERM_LENGTH = 100


def normalise(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: how terms are stored and queries compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def search_terms(email: str | None, name: str | None) -> list[str]:
    """The distinct terms that find a customer: the email, the full name, each word of the name."""
    terms: set[str] = set()
    if email and normalise(email):
        terms.add(normalise(email))
    full = normalise(name or "")
    if full:
        terms.add(full)
        terms.update(full.split()[:MAX_NAME_WORDS])
    return sorted(term[:MAX_TERM_LENGTH] for term in terms)


def matching_term(terms: Iterable[str], query: str) -> str | None:
    """The one term through which a (normalised) query reports a customer: the first of their
    terms it is a prefix of. A customer matching through several terms is listed once, on the
    index entry of this one, whatever page the others fall on."""
    return min((term for term in terms if term.startswith(query)), default=None)
