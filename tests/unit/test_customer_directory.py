"""The back office's customer search terms: which prefixes find a customer, and that a customer
matching through several terms is reported through exactly one of them."""

from __future__ import annotations

from commerce.customers.directory import MAX_NAME_WORDS, matching_term, normalise, search_terms


def test_terms_are_case_and_accent_insensitive_with_whitespace_collapsed():
    assert normalise("  Ána   MÜLLER\tSmith ") == "ana muller smith"
    assert normalise("Zoë@Example.COM") == "zoe@example.com"
    assert normalise("   ") == ""


def test_a_customer_is_found_by_their_email_full_name_and_each_word_of_it():
    assert search_terms("Ana@Example.com", "Ana María Müller") == [
        "ana",
        "ana maria muller",
        "ana@example.com",
        "maria",
        "muller",
    ]


def test_missing_details_give_fewer_terms_and_long_names_are_bounded():
    assert search_terms(None, None) == []
    assert search_terms("a@b.co", "  ") == ["a@b.co"]
    many = " ".join(f"w{n}" for n in range(20))
    words = [t for t in search_terms(None, many) if " " not in t]
    assert len(words) == MAX_NAME_WORDS
    assert all(len(t) <= 100 for t in search_terms("x" * 300 + "@example.com", "y" * 300))


def test_a_query_matches_through_the_first_of_the_terms_it_prefixes():
    terms = search_terms("ana@example.com", "Ana Anders")
    assert matching_term(terms, "ana") == "ana"  # not also "ana anders", "ana@example.com", "anders"
    assert matching_term(terms, "and") == "anders"
    assert matching_term(terms, "ana@") == "ana@example.com"
    assert matching_term(terms, "bob") is None
