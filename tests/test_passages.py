"""Cutting documents into passages (indexer/passages.py), on Dutch text."""

from __future__ import annotations

from crawler.store import Document
from indexer import passages
from indexer.passages import HEAD, MAX_WORDS, split_passages, split_spans

SENTENCES = [
    "De jeugdraad van Dijlegem kwam dit voorjaar vier keer samen in het jeugdhuis.",
    "Elke vergadering begon met een rondvraag bij de jongeren uit de verschillende wijken.",
    "De schepen van jeugd luisterde mee en nam de vragen mee naar het college.",
    "Zo kreeg de vraag naar een overdekte fietsenstalling aan de sporthal snel een antwoord.",
    "Ook het speelplein aan de kerk werd samen met de kinderen opnieuw ingericht.",
    "Een jeugdambtenaar volgde alles op en hield de leden op de hoogte via een nieuwsbrief.",
]


def _doc(text: str, title: str = "Een jeugdraad opstarten", description: str = "") -> Document:
    return Document(
        url="https://www.bataljong.be/methodiek/jeugdraad",
        source="bataljong",
        title=title,
        text=text,
        doc_type="methodiek",
        content_hash="x",
        fetched_at="2026-01-01T00:00:00+00:00",
        description=description,
    )


def _paragraph(n_sentences: int, offset: int = 0) -> str:
    return " ".join(SENTENCES[(offset + i) % len(SENTENCES)] for i in range(n_sentences))


def _words(text: str) -> int:
    return len(text.split())


def test_head_is_title_and_description():
    doc = _doc("Korte tekst.", description="Hoe je als gemeente een jeugdraad opricht.")
    assert split_passages(doc)[HEAD] == (
        "Een jeugdraad opstarten. Hoe je als gemeente een jeugdraad opricht."
    )
    assert split_passages(_doc("Korte tekst."))[HEAD] == "Een jeugdraad opstarten"
    head = split_spans(doc)[HEAD]
    assert (head.start, head.end) == (0, 0)


def test_short_paragraphs_are_joined_and_cut_at_paragraph_ends():
    # 30 paragraphs of two sentences (~28 words each): joined to passages that end at
    # a paragraph end once they reach MIN_WORDS.
    text = "\n".join(_paragraph(2, i) for i in range(30))
    doc = _doc(text)
    body = split_spans(doc, 100)[1:]
    assert len(body) >= 3
    paragraph_ends = {i for i, ch in enumerate(text) if ch == "\n"} | {len(text)}
    for p in body:
        assert text[p.start : p.end] == p.text
        assert p.end in paragraph_ends
        assert _words(p.text) <= MAX_WORDS
    assert all(_words(p.text) >= passages.MIN_WORDS for p in body[:-1])
    # Nothing is lost: every word of the body is in exactly one passage.
    assert sum(_words(p.text) for p in body) == _words(text)


def test_long_paragraph_is_cut_between_sentences():
    text = _paragraph(40)  # one paragraph of ~560 words
    body = split_spans(_doc(text), 100)[1:]
    assert len(body) >= 3
    for p in body:
        assert p.text.endswith(".")
        assert _words(p.text) <= MAX_WORDS


def test_overlong_sentence_is_cut_between_words():
    text = " ".join(["jongerenparticipatie"] * 700) + "."
    body = split_passages(_doc(text), 100)[1:]
    assert [_words(p) for p in body] == [250, 250, 200]


def test_wrapped_lines_stay_together():
    # A PDF's text: lines wrapped mid-sentence are one paragraph; a heading stays with
    # the paragraph after it.
    text = (
        "1. Van speelterrein naar speelweefsel\n"
        "Kinderen gebruiken de publieke ruimte intensiever dan bijna elke andere groep. Ze\n"
        "stappen en fietsen naar school en spelen op pleintjes.\n"
        "Straten worden getekend voor auto's, pleinen voor markten."
    )
    body = split_spans(_doc(text))[1:]
    assert len(body) == 1 and body[0].start == 0 and body[0].end == len(text)


def test_small_tail_joins_the_passage_before():
    text = _paragraph(13) + "\n" + "Meer weten? Mail de jeugddienst."
    body = split_passages(_doc(text), 100)[1:]
    assert len(body) == 1 and body[0].endswith("Mail de jeugddienst.")


def test_cap_keeps_a_prefix():
    text = "\n".join(_paragraph(3, i) for i in range(60))
    uncapped = split_passages(_doc(text), 100)
    assert len(uncapped) > passages.MAX_PASSAGES
    capped = split_passages(_doc(text))
    assert len(capped) == passages.MAX_PASSAGES
    assert capped == uncapped[: passages.MAX_PASSAGES]
    assert split_passages(_doc(text), 3) == uncapped[:3]


def test_cap_is_read_at_call_time(monkeypatch):
    text = "\n".join(_paragraph(3, i) for i in range(60))
    monkeypatch.setattr(passages, "MAX_PASSAGES", 2)
    assert len(split_passages(_doc(text))) == 2


def test_empty_body_gives_the_head_only():
    assert split_passages(_doc("")) == ["Een jeugdraad opstarten"]
    assert split_passages(_doc("\n \n")) == ["Een jeugdraad opstarten"]


def test_sample_documents(sample_data):
    """Every sample document: spans are slices of the text, sizes within bounds."""
    from crawler.store import CrawlStore

    with CrawlStore(sample_data / "crawl.sqlite") as store:
        docs = list(store.documents())
    sizes = []
    for doc in docs:
        spans = split_spans(doc)
        assert 1 <= len(spans) <= passages.MAX_PASSAGES
        for p in spans[1:]:
            assert doc.text[p.start : p.end] == p.text
            assert _words(p.text) <= passages.MERGE_LIMIT
            sizes.append(_words(p.text))
    assert sorted(sizes)[len(sizes) // 2] >= passages.MIN_WORDS
