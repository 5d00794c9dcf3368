-- reportFault's statements, as the server sends them for a customer's report, without the
-- server: PostgreSQL's own ceiling for workload 3 on this machine. Against a loaded bench database:
--   pgbench -n -M prepared -c 32 -j 2 -T 10 -f bench/sql/report_fault.sql \
--     'postgres://postgres:postgres@127.0.0.1:5432/servicedesk_bench?sslmode=disable'
-- The order starts its contact and arrival clocks (in-warranty policies 19 and 1 of a freshly
-- migrated database), each with its SLA_STARTED timeline row.
\set a random(1, 100000)
BEGIN;
SELECT * FROM assets WHERE id = :a LIMIT 1;
SELECT * FROM service_centres WHERE id = 1 LIMIT 1;
SELECT * FROM sla_policies WHERE ticket_kind = 'REPAIR_ORDER';
SELECT nextval(pg_get_serial_sequence('repair_orders', 'id')) AS k \gset
INSERT INTO repair_orders (id, number, customer_id, asset_id, service_centre_id, organization_id, request_type, fault_description, service_address, contact_phone, priority, channel, status, technician_id, appointment_start, appointment_end, in_warranty, reported_at, arrived_at, completed_at, closed_at, cancel_reason, total_amount, version, created_at, updated_at, escalation_level, resume_status, waiting_reason, sla_scope) VALUES (:k, 'RO-X-' || :k, 5 + :a, :a, 1, NULL, 'REPAIR', 'Noisy', '88 Century Avenue', '13912345678', 'NORMAL', 'APP', 'SUBMITTED', NULL, NULL, NULL, true, now(), NULL, NULL, NULL, NULL, 0, 1, now(), now(), 1, NULL, NULL, 'IN_WARRANTY') RETURNING *;
INSERT INTO ticket_events (ticket_kind, ticket_id, actor_user_id, actor_role, action, public, note, created_at) VALUES ('REPAIR_ORDER', :k, 5 + :a, 'CUSTOMER', 'REPORTED', true, 'reported via APP', now()) RETURNING id;
INSERT INTO sla_clocks (ticket_kind, ticket_id, service_centre_id, organization_id, metric, cycle, scope, policy_id, business_time, duration_minutes, repeating, escalates, warn_percents, pause_states, started_at, due_at, customer_due_at, paused_since, paused_seconds, met_at, stopped_at, breached_at, holder_id, escalation_level, missed_periods, warnings_sent, warned_at, next_check_at, created_at, updated_at) VALUES ('REPAIR_ORDER', :k, 1, NULL, 'CONTACT', 1, 'IN_WARRANTY', 19, false, 1440, false, true, '75,90', 'WAITING_FOR_CUSTOMER', now(), now() + interval '24 hours', NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, now() + interval '18 hours', now(), now()), ('REPAIR_ORDER', :k, 1, NULL, 'ARRIVAL', 1, 'IN_WARRANTY', 1, false, 720, false, true, '75,90', 'WAITING_FOR_PARTS', now(), now() + interval '12 hours', NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, now() + interval '9 hours', now(), now()) RETURNING id;
INSERT INTO ticket_events (ticket_kind, ticket_id, actor_user_id, actor_role, action, public, note, created_at) VALUES ('REPAIR_ORDER', :k, 5 + :a, 'CUSTOMER', 'SLA_STARTED', false, 'CONTACT #1: due ' || (now() + interval '24 hours'), now()), ('REPAIR_ORDER', :k, 5 + :a, 'CUSTOMER', 'SLA_STARTED', false, 'ARRIVAL #1: due ' || (now() + interval '12 hours'), now()) RETURNING id;
COMMIT;
