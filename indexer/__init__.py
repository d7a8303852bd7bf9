"""Indexing: Dutch text analysis and the Whoosh index schema."""
