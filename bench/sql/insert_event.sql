-- One timeline insert, the statement the change feed's position (issue 13, migration 000013)
-- adds work to: an index entry on (commit_tx, id) and the pg_current_xact_id() default. Against
-- a freshly migrated database with 1,000,000 timeline rows, once as migrated and once with the
-- index dropped and the default set to 0 (the schema before):
--   pgbench -n -M prepared -c 8 -j 2 -T 15 -f bench/sql/insert_event.sql <database url>
\set t random(1, 1000000)
INSERT INTO ticket_events (ticket_kind, ticket_id, actor_role, action, public, created_at) VALUES ('REPAIR_ORDER', :t, 'CUSTOMER', 'REPORTED', true, now());
