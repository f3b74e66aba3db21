-- `newsmon sources health`: every column of the source_health view, one row per source
select * from source_health
