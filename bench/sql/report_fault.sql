-- reportFault's statements, as the server sends them for a customer's report, without the
-- server: PostgreSQL's own ceiling for workload 3 on this machine. Against a loaded bench database:
--   pgbench -n -M prepared -c 32 -j 2 -T 10 -f bench/sql/report_fault.sql \
--     'postgres://postgres:postgres@127.0.0.1:5432/servicedesk_bench?sslmode=disable'
\set a random(1, 100000)
BEGIN;
SELECT * FROM assets WHERE id = :a LIMIT 1;
SELECT * FROM service_centres WHERE id = 1 LIMIT 1;
SELECT * FROM sla_policies WHERE ticket_kind = 'REPAIR_ORDER';
SELECT nextval(pg_get_serial_sequence('repair_orders', 'id')) AS k \gset
INSERT INTO repair_orders (id, number, customer_id, asset_id, service_centre_id, organization_id, request_type, fault_description, service_address, contact_phone, priority, channel, status, technician_id, in_warranty, reported_at, policy_arrive_by, arrive_by, arrive_by_customer_requested, arrival_breached, total_amount, version, created_at, updated_at) VALUES (:k, 'RO-X-' || :k, 5 + :a, :a, 1, NULL, 'REPAIR', 'Noisy', '88 Century Avenue', '13912345678', 'NORMAL', 'APP', 'SUBMITTED', NULL, true, now(), now() + interval '12 hours', now() + interval '12 hours', false, false, 0, 1, now(), now()) RETURNING *;
INSERT INTO ticket_events (ticket_kind, ticket_id, actor_user_id, actor_role, action, public, note, created_at) VALUES ('REPAIR_ORDER', :k, 5 + :a, 'CUSTOMER', 'REPORTED', true, 'reported via app', now()) RETURNING *;
COMMIT;
