"""Document sets as bit sets, for counting hits and facet values without collecting them.

Whoosh counts facets by scoring and categorising every matching document in Python,
which is most of a faceted search's time when a query matches thousands of pages. Here
a set of documents is one Python integer (bit i = document number i), combined with
`&` and `|` — operations that run in C over the whole set at once — and a facet
value's count is the population count of the match set AND that value's documents.
The ranking (`indexer/ranking.py`) hands its match set over as a numpy mask.

One `DocBits` belongs to one open searcher (one index version): the facet values' sets
are built when it is created, term sets are cached as they are asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
from whoosh import fields
from whoosh.reading import TermNotFound

TERM_CACHE_SIZE = 2000


class DocBits:
    """Bit sets of one searcher's documents: live documents, facet values, terms."""

    def __init__(self, searcher, facet_fields: dict[str, str], multi_valued: set[str]) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self._doc_count = self.reader.doc_count_all()
        self._nbytes = (self._doc_count + 7) // 8 + 1
        self.live = self.from_ids(self.reader.all_doc_ids())
        self._terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()
        self.facets: dict[str, dict[str, int]] = {
            name: self._facet_bits(fieldname, fieldname in multi_valued)
            for name, fieldname in facet_fields.items()
        }

    def from_ids(self, ids: Iterable[int]) -> int:
        buf = bytearray(self._nbytes)
        for docnum in ids:
            buf[docnum >> 3] |= 1 << (docnum & 7)
        return int.from_bytes(buf, "little")

    def _facet_bits(self, fieldname: str, multi: bool) -> dict[str, int]:
        field = self.searcher.schema[fieldname]
        if isinstance(field, fields.NUMERIC) and not multi:
            # Numeric: the column holds the value; the indexed terms are encoded ranges.
            groups: dict[str, list[int]] = {}
            column = self.reader.column_reader(fieldname)
            for docnum in self.reader.all_doc_ids():
                value = column[docnum]
                if value:
                    groups.setdefault(str(value), []).append(docnum)
            return {value: self.from_ids(ids) for value, ids in groups.items()}
        out = {}
        for term in self.reader.lexicon(fieldname):
            value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            if value:
                out[value] = self.term_bits(fieldname, value)
        return out

    def term_bits(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        with self._lock:
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
                return cached
        try:
            bits = self.from_ids(self.reader.postings(fieldname, text).all_ids())
        except (TermNotFound, KeyError):
            bits = 0
        with self._lock:
            self._terms[key] = bits
            if len(self._terms) > TERM_CACHE_SIZE:
                self._terms.popitem(last=False)
        return bits

    def from_mask(self, mask) -> int:
        """The bit set of a numpy bool array over document numbers."""
        packed = np.packbits(mask, bitorder="little").tobytes()
        return int.from_bytes(packed, "little") & self.live

    def to_mask(self, bits: int):
        """A numpy bool array over document numbers from a bit set."""
        raw = np.frombuffer(bits.to_bytes(self._nbytes, "little"), dtype=np.uint8)
        return np.unpackbits(raw, bitorder="little")[: self._doc_count].view(bool)

    def counts(self, name: str, scope: int) -> dict[str, int]:
        """How many documents of `scope` have each value of facet `name` (zeros left out)."""
        out = {}
        for value, bits in self.facets[name].items():
            count = (scope & bits).bit_count()
            if count:
                out[value] = count
        return out
