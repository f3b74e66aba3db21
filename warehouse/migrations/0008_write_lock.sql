-- A row that every write transaction on DuckLake claims first. DuckLake has no key constraints,
-- and two transactions that only insert never conflict, so two loads at once could insert the same
-- article twice; both updating this one row makes the catalog refuse the later commit, which is
-- then retried on the new state. A DuckDB file has its own file lock and does not use it.

create table write_lock (
    name        varchar not null,
    holder      varchar,
    claimed_at  timestamp
);
comment on table write_lock is 'One row claimed by every write transaction on DuckLake, so concurrent writers conflict and retry instead of inserting duplicates.';
comment on column write_lock.name is 'Always ''warehouse''.';
comment on column write_lock.holder is 'host:pid of the last writer that committed.';
comment on column write_lock.claimed_at is 'When the last writer claimed the row (UTC).';

insert into write_lock values ('warehouse', null, null);
