"""Search terms: the same normalization of a letter and of a query, in Hebrew, Arabic and English."""

import pytest
from hypothesis import given, settings, strategies as st

from refusal_site import search_text
from tests.search_cases import CASES


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{case.why}" for i, case in enumerate(CASES)])
def test_a_query_finds_what_a_reader_expects(case):
    assert search_text.matches(case.query, [case.text]) is case.should_match


def test_a_letter_is_found_by_any_of_its_parts():
    parts = ["Not in my name", "I refuse.", "Dana כהן", "סרן (מיל׳), טייסת 116", "Omar حداد", "مسعف"]
    for query in ["name", "refusing", "כהן", "טייסת", "116", "omar", "حداد", "مسعف"]:
        assert search_text.query_terms(query)[0] in search_text.index_terms(parts), query


def test_each_word_is_found_in_every_form_the_index_keeps():
    word = "והסירוב"
    assert search_text.index_terms([word]) == {"והסירוב", "הסירוב", "סירוב"}
    assert search_text.index_terms(["בית"]) == {"בית", "ית"}  # the documented false positive
    assert search_text.index_terms(["של"]) == {"של"}  # never fewer than two letters left


def test_prefixes_are_the_documented_ones():
    assert {"ו", "ה", "ב", "כ", "ל", "מ", "ש", "וה", "וב", "כש", "מה", "לכש", "ולכש"} <= search_text.HEBREW_PREFIXES
    assert {"ال", "و", "ب", "ل", "ف", "ك", "وال", "بال", "فال", "كال", "لل"} <= search_text.ARABIC_PREFIXES
    assert "لال" not in search_text.ARABIC_PREFIXES  # ل before ال is written لل


def test_query_terms_are_distinct_in_the_order_typed_and_bounded():
    assert search_text.query_terms("Refused refusal GAZA gaza") == ["refus", "gaza"]
    many = " ".join(f"word{i}" for i in range(20))
    assert len(search_text.query_terms(many)) == search_text.MAX_QUERY_TERMS
    assert search_text.query_terms_cut(many)
    assert not search_text.query_terms_cut("refuse gaza")


def test_a_long_word_is_cut_the_same_on_both_sides():
    word = "א" * 10_000
    (term,) = search_text.query_terms(word)
    assert len(term) == search_text.MAX_TERM_CHARS
    assert search_text.matches(word, [word + " end"])


def test_matching_spans_point_at_the_words_as_written():
    text = "We refused. וְהַסירוב שלנו, والجيش"
    spans = search_text.matching_spans(text, search_text.query_terms("refusal סירוב جيش"))
    assert [text[start:end] for start, end in spans] == ["refused", "וְהַסירוב", "والجيش"]


texts = st.text(alphabet=st.characters(codec=None, exclude_categories=["Cs"]), max_size=300)
hebrew_arabic_latin = st.text(
    alphabet=st.sampled_from("אבגדהוזחטיכלמנסעפצקרשתךםןףץְַָׁ״׳ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآٱةىـًٌٍَُِّْabcXYZ019 '\"-_%*^:\u200f\u202b\u200d\x00\n"),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, hebrew_arabic_latin))
def test_normalizing_never_raises_is_bounded_and_idempotent(text):
    found = search_text.words(text)
    assert search_text.words(" ".join(found)) == found
    assert all(search_text.MIN_TERM_CHARS <= len(word) <= search_text.MAX_TERM_CHARS for word in found)
    terms = search_text.index_terms([text])
    assert len(terms) <= len(found) * (1 + len(search_text.HEBREW_PREFIXES))
    assert all(0 < len(term) <= search_text.MAX_TERM_CHARS for term in terms)
    assert len(search_text.query_terms(text)) <= search_text.MAX_QUERY_TERMS


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, hebrew_arabic_latin))
def test_every_word_of_a_text_finds_the_text(text):
    terms = search_text.index_terms([text])
    for word in search_text.words(text):
        assert search_text.query_term(word) in terms
        assert search_text.matches(word, [text])
