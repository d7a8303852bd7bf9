"""Property-based tests: no text makes the query parser, the analyzer or the URL
normaliser raise anything but their own documented errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.urls import BadURL, looks_like_trap, normalize
from indexer.analysis import analyze
from indexer.query import build_query, parse_user_query

QUERYISH = st.text(
    alphabet=st.sampled_from(list("abcdeé ï\"()-*:+^~!?ORANDNOT\\/'.,;0123456789\x00\u200f😀")),
    max_size=80,
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(st.text(max_size=200), QUERYISH))
def test_query_parser_never_raises(text):
    parsed = parse_user_query(text)
    build_query(parsed)


@FAST
@given(st.text(max_size=300))
def test_analyzer_never_raises(text):
    tokens = analyze(text)
    assert all(isinstance(t, str) and t for t in tokens)


URLISH = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda scheme, host, path, query: f"{scheme}://{host}{path}?{query}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", ""]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
        st.text(max_size=40),
        st.text(max_size=40),
    ),
)


@FAST
@given(URLISH, st.sampled_from([None, "https://www.vvsg.be/jeugd/visie/x", "http://a.b/"]))
def test_url_normaliser_raises_only_bad_url(url, base):
    try:
        out = normalize(url, base=base)
    except BadURL:
        return
    assert out.startswith(("http://", "https://"))
    assert normalize(out) == out  # idempotent
    looks_like_trap(out)
