"""newsmon: scheduled tech-news monitoring for two trends, kept in a DuckDB warehouse."""

__version__ = "0.1.0"
