"""Search use cases: relevance-ranked search with no-result help, suggestions, and the search log."""

from __future__ import annotations

from collections.abc import Callable

from commerce.common.clock import iso, new_id
from commerce.search.engine import Query
from commerce.search.models import SearchLogEntry, SearchPage, SuggestionOut, Suggestions, card
from commerce.search.ports import CatalogueIndex, SearchLog
from commerce.search.text import tokens

POPULAR = 8


class SearchService:
    def __init__(self, index: Callable[[], CatalogueIndex], log: SearchLog | None = None) -> None:
        self._index = index
        self._log = log

    def search(self, query: Query, limit: int, cursor: str | None) -> SearchPage:
        index = self._index()
        page = index.search(query, limit, cursor)
        text = query.text or ""
        nothing = page.total == 0
        if self._log is not None and cursor is None:  # a term once per search, not per page
            self._log.record(
                SearchLogEntry(
                    term=text[:200],
                    normalised=" ".join(tokens(text))[:200],
                    results=page.total,
                    at=iso(),
                    search_id=new_id("srch"),
                )
            )
        return SearchPage(
            query=text,
            items=[card(d) for d in page.items],
            next_cursor=page.next_cursor,
            total=page.total,
            facets=page.facets,
            did_you_mean=index.did_you_mean(text) if nothing else [],
            popular=[card(d) for d in index.popular(POPULAR)] if nothing else [],
            snapshot=index.generation,
        )

    def suggestions(self, text: str, limit: int) -> Suggestions:
        found = self._index().suggest(text, limit)
        return Suggestions(
            query=text,
            suggestions=[SuggestionOut(text=s.text, kind=s.kind, product_id=s.product_id) for s in found],
        )
