-- The file behind the connection's current database (null for an in-memory one), for warehouse.snapshot.
select path
from duckdb_databases()
where database_name = current_database()
