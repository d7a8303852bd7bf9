"""The sources file (`corpus/sources.toml`): one `[[sources]]` table per partner site.

This module is the one place that knows the file's shape; it validates it and turns
it into `Source` objects. Errors name the source and the key that is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from croniter import croniter

DEFAULT_USER_AGENT = (
    "KennisbankJeugdbeleidBot/0.1 (+https://kennisbank-jeugdbeleid.be/bot; "
    "zoekmachine voor lokaal jeugdbeleid)"
)


class ConfigError(Exception):
    """The sources file is missing or malformed."""


@dataclass(frozen=True)
class TypeRule:
    """Maps URLs (regex on the URL) or markup (CSS selector present) to a document type."""

    doc_type: str
    pattern: re.Pattern | None = None
    selector: str | None = None


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    sitemaps: tuple[str, ...] = ()
    include: tuple[re.Pattern, ...] = ()
    exclude: tuple[re.Pattern, ...] = ()
    follow_only: tuple[re.Pattern, ...] = ()
    type_rules: tuple[TypeRule, ...] = ()
    default_type: str = "pagina"
    schedule: str = "0 3 * * *"
    delay: float = 1.0
    max_pages: int = 5000
    max_depth: int = 8
    content_selector: str | None = None
    remove: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    # The site lives on a loopback/private address (an intranet, the sample mirror):
    # redirects there are followed. Off for public sources (the SSRF guard).
    allow_private: bool = False

    @property
    def homepage(self) -> str:
        return self.start_urls[0]

    def allows_host(self, host: str) -> bool:
        host = host.lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def wants(self, url: str) -> bool:
        """Inside the allowed domains, matching include (if any) and no exclude."""
        if not self.allows_host(urlsplit(url).hostname or ""):
            return False
        if self.include and not any(p.search(url) for p in self.include):
            return False
        return not any(p.search(url) for p in self.exclude)

    def is_follow_only(self, url: str) -> bool:
        """Listing pages: links are followed, the page itself is not a document."""
        return any(p.search(url) for p in self.follow_only)

    def type_for_url(self, url: str) -> str | None:
        for rule in self.type_rules:
            if rule.pattern is not None and rule.pattern.search(url):
                return rule.doc_type
        return None


@dataclass(frozen=True)
class CrawlSettings:
    """Settings shared by every source (the `[crawler]` table)."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    backoff: float = 1.0
    max_host_failures: int = 5
    gone_after_missing_runs: int = 3
    # A robots.txt Crawl-delay above this (seconds) is not obeyed: the host is skipped
    # for the run (and the report says so), as a Retry-After above 120 s is.
    max_crawl_delay: float = 60.0
    # A run in which more than this share of a source's documents would vanish or turn
    # into duplicates (a maintenance page, a login wall, a soft 404) keeps them all and
    # marks the source suspicious; checked from `loss_check_minimum` documents on.
    max_loss_share: float = 0.5
    loss_check_minimum: int = 10
    vocabulary: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourcesFile:
    sources: tuple[Source, ...]
    settings: CrawlSettings

    def get(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources)
        raise ConfigError(f"unknown source {name!r} (known: {known})")


def _patterns(raw: dict, key: str, where: str) -> tuple[re.Pattern, ...]:
    try:
        return tuple(re.compile(p) for p in raw.get(key, []))
    except re.error as exc:
        raise ConfigError(f"{where}: bad regular expression in {key}: {exc}") from exc


def _strings(raw: dict, key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _source(raw: dict, index: int) -> Source:
    where = f"sources[{index}]"
    for key in ("name", "title", "start_urls", "allowed_domains"):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r}")
    where = f"source {raw['name']!r}"
    schedule = raw.get("schedule", "0 3 * * *")
    if not croniter.is_valid(schedule):
        raise ConfigError(f"{where}: schedule {schedule!r} is not a cron expression")
    rules = []
    for rule in raw.get("type_rules", []):
        if "type" not in rule or not ("pattern" in rule or "selector" in rule):
            raise ConfigError(f"{where}: a type rule needs 'type' and 'pattern' or 'selector'")
        try:
            pattern = re.compile(rule["pattern"]) if "pattern" in rule else None
        except re.error as exc:
            raise ConfigError(f"{where}: bad type rule pattern: {exc}") from exc
        rules.append(TypeRule(rule["type"], pattern, rule.get("selector")))
    meta = raw.get("metadata", {})
    try:
        delay = float(raw.get("delay", 1.0))
        max_pages = int(raw.get("max_pages", 5000))
        max_depth = int(raw.get("max_depth", 8))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: delay, max_pages and max_depth must be numbers") from exc
    if delay < 0 or max_pages < 1 or max_depth < 0:
        raise ConfigError(f"{where}: delay, max_pages and max_depth must not be negative")
    start_urls = _strings(raw, "start_urls", where)
    allow_private = raw.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}: allow_private_addresses must be true or false")
    if not start_urls:
        raise ConfigError(f"{where}: start_urls is empty")
    return Source(
        name=raw["name"],
        title=raw["title"],
        start_urls=start_urls,
        allowed_domains=tuple(d.lower() for d in _strings(raw, "allowed_domains", where)),
        sitemaps=_strings(raw, "sitemaps", where),
        include=_patterns(raw, "include", where),
        exclude=_patterns(raw, "exclude", where),
        follow_only=_patterns(raw, "follow_only", where),
        type_rules=tuple(rules),
        default_type=raw.get("default_type", "pagina"),
        schedule=schedule,
        delay=delay,
        max_pages=max_pages,
        max_depth=max_depth,
        content_selector=meta.get("content"),
        remove=_strings(meta, "remove", where),
        themes=_strings(meta, "themes", where),
        audience=_strings(meta, "audience", where),
        dates=_strings(meta, "dates", where),
        allow_private=allow_private,
    )


def load_sources(path: Path) -> SourcesFile:
    """Read and validate a sources file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sources file {path} is not valid TOML: {exc}") from exc
    crawler = raw.get("crawler", {})
    vocabulary = {k.lower(): v for k, v in raw.get("vocabulary", {}).items()}
    settings = CrawlSettings(
        user_agent=crawler.get("user_agent", DEFAULT_USER_AGENT),
        timeout=float(crawler.get("timeout", 20.0)),
        max_bytes=int(crawler.get("max_bytes", 20 * 1024 * 1024)),
        retries=int(crawler.get("retries", 3)),
        backoff=float(crawler.get("backoff", 1.0)),
        max_host_failures=int(crawler.get("max_host_failures", 5)),
        gone_after_missing_runs=int(crawler.get("gone_after_missing_runs", 3)),
        max_crawl_delay=float(crawler.get("max_crawl_delay", 60.0)),
        max_loss_share=float(crawler.get("max_loss_share", 0.5)),
        loss_check_minimum=int(crawler.get("loss_check_minimum", 10)),
        vocabulary=vocabulary,
    )
    sources = tuple(_source(s, i) for i, s in enumerate(raw.get("sources", [])))
    if not sources:
        raise ConfigError(f"sources file {path} defines no [[sources]]")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"sources file {path}: source names must be unique")
    return SourcesFile(sources, settings)
