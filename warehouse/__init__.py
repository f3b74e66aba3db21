"""The DuckDB warehouse: connection, migrations, loads and named queries."""
