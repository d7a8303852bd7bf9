"""Benchmarks of the Kennisbank at scale: a scaled-corpus generator, index build and
search benchmarks against raw Whoosh, SQLite FTS5 and tantivy baselines, and the report
writer for BENCHMARKS.md. Plain scripts with `--help`; `python -m bench all` runs them.

Not part of the installed product: nothing under `crawler/`, `indexer/` or
`search_app/` imports this package.
"""
