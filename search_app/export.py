"""Research exports: the whole result set of a search, streamed, with provenance.

One code path for the web (`/export?format=...&<search params>`) and the command line
(`kennisbank export`): `Export` runs the search once through `SearchIndex.iter_hits`
and each format is a renderer of the same stream of `export_record` dicts, yielding
text chunks. Memory stays flat: a hit is rendered and dropped before the next is read.

Formats and where the provenance goes:
- csv: RFC 4180 (CRLF, quotes doubled), UTF-8 with a BOM for Excel; one row per
  document; no room for provenance, so it goes to a companion `.meta.json`
  (`--output x.csv` writes `x.meta.json`; on the web `format=meta` gives it).
- json: an envelope `{"provenance": {...}, "results": [...]}`.
- jsonl: the FIRST line is `{"provenance": {...}}`, then one document per line, so a
  single file is self-describing; skip line one to get the records.
- ris: one record per document (TY, TI, AB, UR, PY, DA, Y2, PB, KW, ...); RIS has no
  comment syntax, so the provenance goes to the companion `.meta.json` as for csv.
- bibtex: a leading `@comment{...}` with the provenance, then one `@misc` per document.
- xlsx (web only, search_app/xlsx.py): typed date cells, provenance on a second sheet.

For spreadsheets in Dutch and Belgian locales, `delimiter=semicolon` writes the CSV with
`;` (Excel there splits on it), and `headers=nl` gives Dutch column headers with type
labels and source names as the search page shows them. RIS and BibTeX name the source
by its title from sources.toml ("Bataljong"), not its domain.

Determinism: the same request on the same index gives byte-identical output. That is
why `exported_at` defaults to the index's build time (the moment the data is "as of",
which is what a citation needs together with the index version id); pass
`exported_at` (CLI `--exported-at now` or a timestamp) to record the wall-clock time.
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request, stream_with_context

from indexer.engine import HitStream, SearchIndex, SearchRequest
from indexer.facets import FACET_NAMES

from . import search_index, settings
from .cells import spreadsheet_safe
from .errors import BadParameter
from .names import site_titles, titles_for
from .params import parse_search_args, request_args
from .results import EXPORT_FIELDS, export_record

log = logging.getLogger(__name__)

FORMATS = ("csv", "json", "jsonl", "ris", "bibtex")
XLSX = "xlsx"  # binary: a download or a file (search_app/xlsx.py)
DELIMITERS = {"comma": ",", "semicolon": ";"}
# headers=nl: the columns as a Dutch reader names them.
DUTCH_HEADERS = {
    "rank": "Rang",
    "score": "Score",
    "id": "Id",
    "title": "Titel",
    "url": "URL",
    "site": "Bron",
    "type": "Type",
    "themes": "Thema's",
    "audience": "Doelgroep",
    "date": "Datum",
    "fetched_at": "Opgehaald (UTC)",
    "word_count": "Aantal woorden",
    "description": "Beschrijving",
    "snippet": "Fragment",
    "match": "Gevonden op",
    "pdf": "PDF",
    "copies": "Ook op",
    "text": "Volledige tekst",
}
RIGHTS_NOTICE = (
    "De teksten en metadata horen bij de partnersites waarvan ze komen; de kennisbank "
    "verzamelt ze alleen om ze vindbaar te maken. Vermeld de bron (URL) als je ze gebruikt."
)
META_FORMAT = "meta"  # the provenance alone: the companion of csv and ris downloads
DEFAULT_CAP = 100_000
PRODUCT = "kennisbank-jeugdbeleid"
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "json": "application/json",
    "jsonl": "application/jsonl; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "bibtex": "application/x-bibtex; charset=utf-8",
    META_FORMAT: "application/json",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {
    "csv": "csv",
    "json": "json",
    "jsonl": "jsonl",
    "ris": "ris",
    "bibtex": "bib",
    META_FORMAT: "meta.json",
    XLSX: "xlsx",
}
NEEDS_COMPANION = frozenset({"csv", "ris"})
# RIS reference types: a page of a partner site is a web page; films and publications
# get the type reference managers file them under.
RIS_TYPES = {"filmpje": "VIDEO", "publicatie": "RPRT"}
_MARK = re.compile(r"</?mark>")
_SPACE = re.compile(r"\s+")


def product_version() -> str:
    try:
        return metadata.version(PRODUCT)
    except metadata.PackageNotFoundError:  # running from a source tree, not installed
        return "unknown"


def plain(snippet_html: str) -> str:
    """An API snippet (escaped text with <mark>) as plain text for csv/ris/bibtex."""
    return html.unescape(_MARK.sub("", snippet_html))


def _one_line(value: str) -> str:
    return _SPACE.sub(" ", value).strip()


@dataclass
class Export:
    """One export: a search request, a format and its options; iterate `chunks()`."""

    index: SearchIndex
    request: SearchRequest
    fmt: str
    cap: int = DEFAULT_CAP
    with_text: bool = False
    exported_at: str | None = None  # None: the index build time (see module docstring)
    delimiter: str = ","  # csv: "," (RFC 4180) or ";" (Excel in Dutch/Belgian locales)
    dutch: bool = False  # Dutch headers, type labels and source names
    titles: dict[str, str] | None = field(default=None, repr=False)  # site -> source title

    def __post_init__(self) -> None:
        if self.fmt not in (*FORMATS, META_FORMAT, XLSX):
            raise BadParameter(f"Formaat moet een van {', '.join((*FORMATS, XLSX))} zijn")
        if self.cap < 1:
            raise BadParameter("Limiet moet minstens 1 zijn")
        if self.titles is None:
            self.titles = site_titles(settings.SOURCES_FILE)
        # Runs the search now, so a bad request fails before anything is written.
        self.stream: HitStream = self.index.iter_hits(
            self.request, self.cap, with_text=self.with_text
        )

    @property
    def exported(self) -> int:
        return min(self.cap, self.stream.total)

    @property
    def truncated(self) -> bool:
        return self.stream.total > self.cap

    @property
    def message(self) -> str | None:
        """The clear message when the cap cuts the result set, else None."""
        if not self.truncated:
            return None
        return (
            f"Afgekapt: {self.exported} van {self.stream.total} resultaten geëxporteerd "
            f"(limiet {self.cap}); verfijn de zoekvraag of verhoog de limiet."
        )

    def filename(self, fmt: str | None = None) -> str:
        stamp = self.stream.index.version
        return f"kennisbank-export-{stamp}.{EXTENSIONS[fmt or self.fmt]}"

    def provenance(self) -> dict:
        req, info = self.request, self.stream.index
        columns = [*EXPORT_FIELDS, "text"] if self.with_text else list(EXPORT_FIELDS)
        params = request_args(req, page=1, per_page=10)
        return {
            "product": PRODUCT,
            "product_version": product_version(),
            "query": req.query,
            "filters": {f: list(req.filters[f]) for f in FACET_NAMES if req.filters.get(f)},
            "year_from": req.year_from,
            "year_to": req.year_to,
            "sort": req.sort,
            "search_params": urlencode(params),
            "format": self.fmt,
            "columns": columns,
            "exported_at": self.exported_at or info.built_at,
            "exported_at_source": "given" if self.exported_at else "index_built_at",
            "total": self.stream.total,
            "exported": self.exported,
            "cap": self.cap,
            "truncated": self.truncated,
            "message": self.message,
            "index": {"version": info.version, "built_at": info.built_at},
            "documents_in_index": info.documents,
            "crawl": {"first": info.crawl_first, "last": info.crawl_last},
            **({"delimiter": self.delimiter} if self.delimiter != "," else {}),
            **({"headers": "nl"} if self.dutch else {}),
        }

    def columns(self) -> list[str]:
        return [*EXPORT_FIELDS, "text"] if self.with_text else list(EXPORT_FIELDS)

    def headers(self, columns: list[str]) -> list[str]:
        return [DUTCH_HEADERS.get(c, c) for c in columns] if self.dutch else columns

    def source_title(self, site: str) -> str:
        return (self.titles or {}).get(site, site)

    def display_records(self) -> Iterator[dict]:
        """`records()`, with type labels and source names when Dutch headers are asked."""
        if not self.dutch:
            yield from self.records()
            return
        from .views import TYPE_LABELS

        for record in self.records():
            record["type"] = TYPE_LABELS.get(record["type"], record["type"])
            record["site"] = self.source_title(record["site"])
            yield record

    @staticmethod
    def rights_notice() -> str:
        return RIGHTS_NOTICE

    def records(self) -> Iterator[dict]:
        for rank, hit in enumerate(self.stream.hits, start=1):
            yield export_record(hit, rank, self.with_text)

    def chunks(self) -> Iterator[str]:
        renderer = {
            "csv": _csv,
            "json": _json,
            "jsonl": _jsonl,
            "ris": _ris,
            "bibtex": _bibtex,
            META_FORMAT: _meta,
        }[self.fmt]
        return renderer(self)


# --- renderers: Export -> text chunks -----------------------------------------------


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _meta(export: Export) -> Iterator[str]:
    yield json.dumps(export.provenance(), ensure_ascii=False, indent=1) + "\n"


def cell_value(value) -> str | int | float:
    """A record's value as a spreadsheet cell (CSV, XLSX): lists joined, a hit's PDF and
    copies (objects in JSON) as their URLs, text made inert where it would start a
    formula."""
    if isinstance(value, dict):
        return spreadsheet_safe(value.get("url", ""))
    if isinstance(value, list):
        return spreadsheet_safe("; ".join(v["url"] if isinstance(v, dict) else v for v in value))
    if value is None:
        return ""
    return value if isinstance(value, int | float) else spreadsheet_safe(str(value))


def _csv(export: Export) -> Iterator[str]:
    buffer = io.StringIO()
    # RFC 4180: CRLF, "" inside quotes; `;` between cells for Dutch/Belgian Excel.
    writer = csv.writer(buffer, dialect="excel", delimiter=export.delimiter)
    columns = export.columns()
    writer.writerow(export.headers(columns))
    yield "\ufeff" + buffer.getvalue()
    for record in export.display_records():
        buffer.seek(0)
        buffer.truncate()
        record["snippet"] = plain(record["snippet"])
        writer.writerow([cell_value(record[c]) for c in columns])
        yield buffer.getvalue()


def _json(export: Export) -> Iterator[str]:
    yield '{"provenance": ' + _dumps(export.provenance()) + ', "results": ['
    sep = "\n"
    for record in export.records():
        yield sep + _dumps(record)
        sep = ",\n"
    yield "\n]}\n"


def _jsonl(export: Export) -> Iterator[str]:
    yield _dumps({"provenance": export.provenance()}) + "\n"
    for record in export.records():
        yield _dumps(record) + "\n"


def _ris_date(value: str | None) -> str | None:
    # RIS dates are YYYY/MM/DD/ (the trailing slash ends the "other info" part).
    if not value or len(value) < 10:
        return None
    return value[:10].replace("-", "/") + "/"


def _ris(export: Export) -> Iterator[str]:
    for record in export.records():
        lines = [
            ("TY", RIS_TYPES.get(record["type"], "ELEC")),
            ("ID", record["id"]),
            ("TI", record["title"]),
        ]
        if record["description"]:
            lines.append(("AB", record["description"]))
        lines.append(("UR", record["url"]))
        if record["date"]:
            lines.append(("PY", record["date"][:4]))
            lines.append(("DA", _ris_date(record["date"])))
        if record["fetched_at"]:
            lines.append(("Y2", _ris_date(record["fetched_at"])))
        lines.append(("PB", export.source_title(record["site"])))
        lines += [("KW", theme) for theme in record["themes"]]
        lines.append(("M3", record["type"]))
        if record["audience"]:
            lines.append(("N1", "Doelgroep: " + ", ".join(record["audience"])))
        lines.append(("DB", "Kennisbank jeugdbeleid"))
        lines.append(("LA", "nl"))
        body = "".join(f"{tag}  - {_one_line(str(value))}\r\n" for tag, value in lines if value)
        yield body + "ER  - \r\n\r\n"


_BIB_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_SPECIAL = re.compile(r"[\\{}&%$#_~^]")


def bib_escape(value: str) -> str:
    """Plain text -> a BibTeX field value whose braces always balance."""
    return _BIB_SPECIAL.sub(lambda m: _BIB_ESCAPES[m.group()], _one_line(value))


def _bib_url(url: str) -> str:
    # Inside url fields only braces and the percent sign can break a .bib parser.
    return url.replace("%", r"\%").replace("{", "%7B").replace("}", "%7D")


def _bibtex(export: Export) -> Iterator[str]:
    # One "key: value" line per provenance entry (values as JSON), braces escaped.
    lines = [f"{key}: {bib_escape(_dumps(value))}" for key, value in export.provenance().items()]
    yield "@comment{Kennisbank jeugdbeleid export\n" + "\n".join(lines) + "\n}\n\n"
    for record in export.records():
        fields = [
            ("title", "{" + bib_escape(record["title"]) + "}"),  # keep capitalisation
            ("url", _bib_url(record["url"])),
            ("urldate", (record["fetched_at"] or "")[:10]),
            ("year", (record["date"] or "")[:4]),
            ("date", (record["date"] or "")[:10]),
            ("organization", bib_escape(export.source_title(record["site"]))),
            ("publisher", bib_escape(export.source_title(record["site"]))),
            ("keywords", bib_escape(", ".join(record["themes"]))),
            ("abstract", bib_escape(record["description"])),
            ("note", bib_escape(f"{record['type']}; Kennisbank jeugdbeleid {record['id']}")),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        yield f"@misc{{kb{record['id']},\n{body}\n}}\n\n"


# --- the web: /export ----------------------------------------------------------------

bp = Blueprint("export", __name__)


def _flag(name: str) -> bool:
    raw = (request.args.get(name) or "0").strip().lower()
    if raw not in ("0", "1", "true", "false"):
        raise BadParameter(f"{FLAG_LABELS.get(name, name)} moet 0 of 1 zijn")
    return raw in ("1", "true")


def _cap(maximum: int) -> int:
    raw = (request.args.get("limit") or "").strip()
    if not raw:
        return maximum
    if len(raw) > 9 or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadParameter(f"Limiet moet een geheel getal tussen 1 en {maximum} zijn")
    return int(raw)


FLAG_LABELS = {"with_text": "Volledige tekst"}


def _choice(name: str, label: str, choices: dict[str, str], default: str) -> str:
    raw = (request.args.get(name) or default).strip().lower()
    if raw not in choices:
        raise BadParameter(f"{label} moet een van {', '.join(choices)} zijn")
    return choices[raw]


@bp.get("/export")
def export_view():
    """The whole result set of the search in the URL, as a download."""
    fmt = (request.args.get("format") or "csv").strip().lower()
    req = parse_search_args(request.args)
    export = Export(
        search_index(current_app),
        req,
        fmt,
        cap=_cap(current_app.config.get("EXPORT_MAX_HITS", DEFAULT_CAP)),
        with_text=_flag("with_text"),
        delimiter=_choice("delimiter", "Scheidingsteken", DELIMITERS, "comma"),
        dutch=_choice("headers", "Kolomkoppen", {"en": "en", "nl": "nl"}, "en") == "nl",
        titles=titles_for(current_app),
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{export.filename()}"',
        "X-Total-Count": str(export.stream.total),
        "X-Exported-Count": str(export.exported),
    }
    if export.truncated:
        headers["X-Export-Truncated"] = "true"
    if fmt in NEEDS_COMPANION:
        meta_args = [(k, v) for k, v in request.args.items(multi=True) if k != "format"]
        meta_url = "/export?" + urlencode([*meta_args, ("format", META_FORMAT)])
        headers["Link"] = f'<{meta_url}>; rel="describedby"; type="application/json"'
    if fmt == XLSX:
        from .xlsx import xlsx_bytes

        return Response(xlsx_bytes(export), headers=headers, content_type=MEDIA_TYPES[fmt])
    body = (chunk.encode("utf-8") for chunk in export.chunks())
    return Response(
        stream_with_context(body), headers=headers, content_type=MEDIA_TYPES[fmt], status=200
    )


# --- the command line: kennisbank export ---------------------------------------------


def parse_exported_at(value: str | None) -> str | None:
    """`--exported-at`: None (index build time), 'now', or an ISO 8601 timestamp."""
    if value is None:
        return None
    if value == "now":
        return datetime.now(UTC).replace(microsecond=0).isoformat()
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadParameter(f"--exported-at: geen ISO 8601-tijdstip: {value!r}") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.isoformat()


def write_export(export: Export, output: Path | None, stdout) -> Path | None:
    """Write `export` to `output` (or the `stdout` text stream) and, for csv and ris
    into a file, the companion `.meta.json`. Returns the companion's path, if any."""
    if export.fmt == XLSX:
        from .xlsx import xlsx_bytes

        if output is None:
            raise BadParameter("XLSX is een binair bestand: geef een uitvoerbestand op")
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(xlsx_bytes(export))
        tmp.replace(output)
        return None
    if output is None:
        for chunk in export.chunks():
            stdout.write(chunk)
        stdout.flush()
        return None
    with open(output, "w", encoding="utf-8", newline="") as fh:
        for chunk in export.chunks():
            fh.write(chunk)
    if export.fmt not in NEEDS_COMPANION:
        return None
    companion = output.with_name(output.stem + ".meta.json")
    with open(companion, "w", encoding="utf-8", newline="") as fh:
        for chunk in _meta(export):
            fh.write(chunk)
    return companion
