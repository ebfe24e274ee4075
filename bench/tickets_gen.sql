-- tickets_gen.sql - `make bench` (bench/tickets.sh): bulk tickets number :first to :last, straight into the ticket table.
--
-- Run by psql as the database owner (baton), with row-level security's
-- scope 'all', after `baton_bench tickets-setup` added the organizations and
-- their staff. The ticket_check trigger fills priority_base and rank, as for
-- every ticket. Each row's properties come from hashes of its number, so a
-- run is repeatable and the rows of one batch are spread like any other's:
--   queue     45 % bench-en, 25 % bench-es, 15 % bench-pl, 15 % in-house
--   status    82 % resolved, 10 % queued, 5.5 % assigned, 2.5 % pending
--   language  the queue's (en, en-GB, en-US; es, es-MX, es-419, ...; pl;
--             in-house: de, fr, it, en, nl, sv, ja)
--   severity  1: 5 %, 2: 20 %, 3: 45 %, 4: 30 %
--   tier      strategic 10 %, priority 25 %, standard 65 %
--   channel   email 50 %, chat 20 %, phone 20 %, callback 10 %
--   waiting   resolved: created over the last year; queued: over the last
--             2 days; assigned and pending: over the last 3 days
-- Assigned and pending tickets belong to one of the queue's four staff
-- ("<org>-staff-N", keyless, so never on the wire); assigned ones come back
-- in a day (return_at), so the maintenance pass leaves them alone during
-- the bench. No messages and no events: the figures are about the ticket
-- table and its indexes.
\set ON_ERROR_STOP on
SET baton.scope = 'all';
SET synchronous_commit = off;
-- Bounded, like everything `make bench` runs (1M rows take about a minute).
SET statement_timeout = '10min';

SELECT (SELECT id FROM org WHERE name = 'bench-en') AS en_org,
       (SELECT id FROM org WHERE name = 'bench-es') AS es_org,
       (SELECT id FROM org WHERE name = 'bench-pl') AS pl_org,
       (SELECT id FROM org WHERE kind = 'in_house') AS hq_org,
       (SELECT array_agg(id ORDER BY handle)::text FROM principal WHERE handle LIKE 'bench-en-staff-%') AS en_staff,
       (SELECT array_agg(id ORDER BY handle)::text FROM principal WHERE handle LIKE 'bench-es-staff-%') AS es_staff,
       (SELECT array_agg(id ORDER BY handle)::text FROM principal WHERE handle LIKE 'bench-pl-staff-%') AS pl_staff,
       (SELECT array_agg(id ORDER BY handle)::text FROM principal WHERE handle LIKE 'bench-hq-staff-%') AS hq_staff
\gset

INSERT INTO ticket (source, external_ref, subject, customer_id, customer_tier, channel, language, severity,
                    waiting_since, created_at, updated_at, status, org_id, routed_rule,
                    owner_id, owner_since, owner_active_at, return_at, pending_reason,
                    first_response_at, last_reply_at,
                    resolved_at, resolved_by, resolution_code, resolution_note)
SELECT 'bench', 'bulk-' || g,
       (ARRAY['Cannot log in after the password reset', 'Invoice shows the wrong amount',
              'The app closes when I export a report', 'Refund not received yet',
              'How do I add a second user?', 'Order arrived damaged',
              'Two-factor code never arrives', 'Please cancel my subscription'])[g % 8 + 1] || ' (#' || g || ')',
       'cust-' || (h.h7 * 50 + g % 50),
       CASE WHEN h.h3 < 100 THEN 'strategic' WHEN h.h3 < 350 THEN 'priority' ELSE 'standard' END,
       (ARRAY['email', 'email', 'email', 'email', 'email', 'chat', 'chat', 'phone', 'phone', 'callback'])[h.h4 % 10 + 1],
       CASE c.q
           WHEN 0 THEN (ARRAY['en', 'en', 'en', 'en', 'en', 'en', 'en-GB', 'en-GB', 'en-US', 'en-US'])[h.h5 % 10 + 1]
           WHEN 1 THEN (ARRAY['es', 'es', 'es', 'es', 'es', 'es-MX', 'es-MX', 'es-419', 'es-AR', 'es-CO'])[h.h5 % 10 + 1]
           WHEN 2 THEN 'pl'
           ELSE (ARRAY['de', 'de', 'fr', 'fr', 'it', 'en', 'en', 'nl', 'sv', 'ja'])[h.h5 % 10 + 1]
       END,
       CASE WHEN h.h2 < 50 THEN 1 WHEN h.h2 < 250 THEN 2 WHEN h.h2 < 700 THEN 3 ELSE 4 END,
       w.since, w.since,
       coalesce(r.resolved_at, now()),
       c.status,
       (ARRAY[:'en_org', :'es_org', :'pl_org', :'hq_org']::uuid[])[c.q + 1],
       'bulk-loaded by make bench',
       o.owner_id,
       CASE WHEN o.owner_id IS NOT NULL THEN least(now(), w.since + interval '10 minutes') END,
       CASE WHEN o.owner_id IS NOT NULL THEN least(now(), w.since + interval '20 minutes') END,
       CASE WHEN c.status = 'assigned' THEN now() + interval '1 day' END,
       CASE WHEN c.status = 'pending' THEN 'waiting on the customer' END,
       CASE WHEN c.status <> 'queued' THEN least(now(), w.since + interval '30 minutes') END,
       CASE WHEN c.status <> 'queued' THEN least(now(), w.since + interval '30 minutes') END,
       r.resolved_at,
       CASE WHEN c.status = 'resolved' THEN c.staff END,
       CASE WHEN c.status = 'resolved' THEN (ARRAY['solved', 'solved', 'solved', 'duplicate', 'no_response'])[(h.h3 + h.h4) % 5 + 1] END,
       CASE WHEN c.status = 'resolved' THEN 'Solved with the customer.' END
  FROM generate_series(:first::bigint, :last::bigint) AS g
 CROSS JOIN LATERAL (
       -- Eight independent numbers 0..999 per row.
       SELECT (hashint8(g * 8) + 2147483648::bigint) % 1000 AS h0,
              (hashint8(g * 8 + 1) + 2147483648::bigint) % 1000 AS h1,
              (hashint8(g * 8 + 2) + 2147483648::bigint) % 1000 AS h2,
              (hashint8(g * 8 + 3) + 2147483648::bigint) % 1000 AS h3,
              (hashint8(g * 8 + 4) + 2147483648::bigint) % 1000 AS h4,
              (hashint8(g * 8 + 5) + 2147483648::bigint) % 1000 AS h5,
              (hashint8(g * 8 + 6) + 2147483648::bigint) % 1000 AS h6,
              (hashint8(g * 8 + 7) + 2147483648::bigint) % 1000 AS h7) h
 CROSS JOIN LATERAL (
       SELECT q, status,
              CASE q WHEN 0 THEN (:'en_staff'::uuid[])[h.h7 % 4 + 1] WHEN 1 THEN (:'es_staff'::uuid[])[h.h7 % 4 + 1]
                     WHEN 2 THEN (:'pl_staff'::uuid[])[h.h7 % 4 + 1] ELSE (:'hq_staff'::uuid[])[h.h7 % 4 + 1] END AS staff
         FROM (SELECT CASE WHEN h.h0 < 450 THEN 0 WHEN h.h0 < 700 THEN 1 WHEN h.h0 < 850 THEN 2 ELSE 3 END AS q,
                      CASE WHEN h.h1 < 820 THEN 'resolved' WHEN h.h1 < 920 THEN 'queued'
                           WHEN h.h1 < 975 THEN 'assigned' ELSE 'pending' END AS status) qs) c
 CROSS JOIN LATERAL (
       -- h6 and h7 (and a bit of h5) spread the wait finely: 10^6 steps.
       SELECT now() - CASE c.status WHEN 'resolved' THEN interval '365 days' WHEN 'queued' THEN interval '2 days'
                                    ELSE interval '3 days' END
                      * ((h.h6 * 1000 + (h.h7 + h.h5) % 1000) / 1000000.0) AS since) w
 CROSS JOIN LATERAL (
       SELECT CASE WHEN c.status IN ('assigned', 'pending') THEN c.staff END AS owner_id) o
 CROSS JOIN LATERAL (
       SELECT CASE WHEN c.status = 'resolved' THEN least(now(), w.since + interval '1 hour' * (1 + h.h2 % 48)) END
                  AS resolved_at) r
 -- In the order they came in, as a real table fills: the heap and the
 -- indexes grow as they would, and the load takes half the time.
 ORDER BY w.since;

-- Visibility map, hint bits and statistics, as autovacuum would leave a
-- table after a load: the runs then read the table, not the after-effects
-- of loading it.
VACUUM (ANALYZE) ticket;
