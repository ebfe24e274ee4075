-- reports_gen.sql - `make bench` (bench/reports.sh): a month of support activity for the Report RPC, :tickets tickets with their events, SLA clocks, escalations, shifts and claims, in bulk.
--
-- Run by psql as the database owner (baton), with row-level security's
-- scope 'all', after `baton_bench tickets-setup` added the partner
-- organizations bench-en, bench-es and bench-pl and bench/reports.sh the
-- in-house lead bench-lead. Variables: tickets (how many), month_from and
-- month_to (the month, timestamptz text). Everything comes from hashes of
-- the ticket's number, so a run is repeatable; each ticket's events are
-- 3 to 8, 5.33 on average, so 187 617 tickets make about a million.
--
--   people    12 keyless agents per organization, the in-house one too
--             (rp-en-01 .. rp-hq-12), added here
--   queue     45 % bench-en, 25 % bench-es, 15 % bench-pl, 15 % in-house
--   created   spread evenly over the month; a ticket's events follow each
--             other 3 to 42 minutes apart (so the last hours' spill over
--             the month's end, as they would)
--   story     per 1000 tickets (the events after ticket.created):
--             430 taken, replied, resolved (first contact)
--             150 taken, replied, customer replied, replied, resolved
--             120 taken, replied, passed back to the queue, taken by another, replied, resolved
--              60 taken, passed untouched (the hot potato), taken by another, replied, resolved
--              50 taken, returned by batond (idle), taken by another, replied, resolved
--              50 taken, replied, escalated, approved (to an in-house agent), replied, resolved
--              30 taken, noted, escalated, rejected, replied, resolved
--              30 taken, SLA breached, replied, resolved
--              20 taken, SLA breached, the SLA worker's escalation expired (and was rejected), replied, resolved
--              20 taken, handed off by batond (shift end): still queued at the end
--              40 taken, replied, resolved, reopened, taken by another, replied, resolved
--   clocks    first_response and resolution (and next_response after a
--             customer reply) per ticket, ended by the reply or resolve,
--             with ended_by and ended_org as batond writes them; met when the
--             time used is within the severity's target, missed otherwise and
--             always after a breach; those of the still-queued tickets running
--             with no due time (so batond's SLA pass leaves them alone)
--   shifts    per organization and day, three 8-hour slots of 4 seats open to
--             it; per seat 5 % never claimed, 3 % released the day before,
--             5 % released mid-shift, the rest held
-- Agents' events carry a method, request id, payload, session binding and
-- signature of the sizes batond writes (not valid signatures: nothing here
-- verifies them, and the audit trail is not sealed).
--
-- The SLA trigger on event (it would replay every event through
-- baton_sla_apply) and the claim triggers (they refuse claims on past
-- slots) are disabled inside the loading transaction: the clocks, claims
-- and seat counts are written here as batond would have left them. Nobody
-- else sees them disabled.
\set ON_ERROR_STOP on
SET baton.scope = 'all';
SET synchronous_commit = off;
-- Bounded, like everything `make bench` runs (a million events take about two minutes).
SET statement_timeout = '20min';
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';

BEGIN;
ALTER TABLE event DISABLE TRIGGER event_sla;
ALTER TABLE claim DISABLE TRIGGER claim_check;
ALTER TABLE claim DISABLE TRIGGER claim_count;

CREATE TEMP TABLE rp_org ON COMMIT DROP AS
SELECT v.q, o.id AS org_id, o.name, v.tag, v.lang
  FROM (VALUES (0, 'bench-en', 'en', 'en'), (1, 'bench-es', 'es', 'es'), (2, 'bench-pl', 'pl', 'pl')) v (q, name, tag, lang)
  JOIN org o ON o.name = v.name
UNION ALL
SELECT 3, id, name, 'hq', 'de' FROM org WHERE kind = 'in_house';

INSERT INTO principal (org_id, handle, display_name, role)
SELECT o.org_id, 'rp-' || o.tag || '-' || lpad(i::text, 2, '0'), 'Reports bench ' || o.tag || ' ' || i, 'agent'
  FROM rp_org o CROSS JOIN generate_series(1, 12) AS i;

-- Staff as arrays per queue (index 1..12).
CREATE TEMP TABLE rp_staff ON COMMIT DROP AS
SELECT o.q, o.org_id, o.name,
       array_agg(p.id ORDER BY p.handle) AS ids, array_agg(p.handle ORDER BY p.handle) AS handles
  FROM rp_org o JOIN principal p ON p.org_id = o.org_id AND p.handle LIKE 'rp-' || o.tag || '-%'
 GROUP BY o.q, o.org_id, o.name;

SELECT id AS lead_id FROM principal WHERE handle = 'bench-lead' \gset
SELECT id AS contract_id FROM sla_contract WHERE org_id IS NULL AND version = 1 \gset

-- Scenarios: the seq of the first reply (and who wrote it), of the resolve
-- (and a second resolution cycle's, after a reopening), of a customer
-- reply answered by the next seq, and of a breach. Who: 1 the first
-- agent, 2 the second, 3 the in-house agent the escalation went to.
CREATE TEMP TABLE rp_sc (sc int PRIMARY KEY, upto int, fr_seq int, fr_who int, res_seq int, res_who int,
                         res2_start int, res2_seq int, res2_who int, nr_seq int, breach_seq int)
    ON COMMIT DROP;
INSERT INTO rp_sc VALUES
    (1, 430, 2, 1, 3, 1, NULL, NULL, NULL, NULL, NULL),
    (2, 580, 2, 1, 5, 1, NULL, NULL, NULL, 3, NULL),
    (3, 700, 2, 1, 6, 2, NULL, NULL, NULL, NULL, NULL),
    (4, 760, 4, 2, 5, 2, NULL, NULL, NULL, NULL, NULL),
    (5, 810, 4, 2, 5, 2, NULL, NULL, NULL, NULL, NULL),
    (6, 860, 2, 1, 6, 3, NULL, NULL, NULL, NULL, NULL),
    (7, 890, 5, 1, 6, 1, NULL, NULL, NULL, NULL, NULL),
    (8, 920, 3, 1, 4, 1, NULL, NULL, NULL, NULL, 2),
    (9, 940, 4, 1, 5, 1, NULL, NULL, NULL, NULL, 2),
    (10, 960, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (11, 1000, 2, 1, 3, 1, 4, 7, 2, NULL, NULL);

-- Each scenario's events: who acts (0 batond, 1, 2, 3 as above, 4 the
-- lead), the owner before and after (same codes, 0 none), the status
-- before and after, whether the event moves the ticket to the in-house
-- queue (1) or comes after such a move (2), and whether its subject is the
-- escalation (escalation.expired) rather than the ticket.
CREATE TEMP TABLE rp_tmpl (sc int, seq int, kind text, who int, bo int, ao int, bs text, ast text, moved int, esc bool)
    ON COMMIT DROP;
INSERT INTO rp_tmpl VALUES
    (1, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (1, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (1, 2, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (1, 3, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),

    (2, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (2, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (2, 2, 'ticket.replied', 1, 1, 1, 'assigned', 'pending', 0, false),
    (2, 3, 'ticket.customer_replied', 0, 1, 1, 'pending', 'assigned', 0, false),
    (2, 4, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (2, 5, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),

    (3, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (3, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (3, 2, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (3, 3, 'ticket.passed', 1, 1, 0, 'assigned', 'queued', 0, false),
    (3, 4, 'ticket.taken', 2, 0, 2, 'queued', 'assigned', 0, false),
    (3, 5, 'ticket.replied', 2, 2, 2, 'assigned', 'assigned', 0, false),
    (3, 6, 'ticket.resolved', 2, 2, 0, 'assigned', 'resolved', 0, false),

    (4, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (4, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (4, 2, 'ticket.passed', 1, 1, 0, 'assigned', 'queued', 0, false),
    (4, 3, 'ticket.taken', 2, 0, 2, 'queued', 'assigned', 0, false),
    (4, 4, 'ticket.replied', 2, 2, 2, 'assigned', 'assigned', 0, false),
    (4, 5, 'ticket.resolved', 2, 2, 0, 'assigned', 'resolved', 0, false),

    (5, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (5, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (5, 2, 'ticket.returned', 0, 1, 0, 'assigned', 'queued', 0, false),
    (5, 3, 'ticket.taken', 2, 0, 2, 'queued', 'assigned', 0, false),
    (5, 4, 'ticket.replied', 2, 2, 2, 'assigned', 'assigned', 0, false),
    (5, 5, 'ticket.resolved', 2, 2, 0, 'assigned', 'resolved', 0, false),

    (6, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (6, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (6, 2, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (6, 3, 'ticket.escalated', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (6, 4, 'ticket.escalation_approved', 4, 1, 3, 'assigned', 'assigned', 1, false),
    (6, 5, 'ticket.replied', 3, 3, 3, 'assigned', 'assigned', 2, false),
    (6, 6, 'ticket.resolved', 3, 3, 0, 'assigned', 'resolved', 2, false),

    (7, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (7, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (7, 2, 'ticket.noted', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (7, 3, 'ticket.escalated', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (7, 4, 'ticket.escalation_rejected', 4, 1, 1, 'assigned', 'assigned', 0, false),
    (7, 5, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (7, 6, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),

    (8, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (8, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (8, 2, 'ticket.sla_breached', 0, 1, 1, 'assigned', 'assigned', 0, false),
    (8, 3, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (8, 4, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),

    (9, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (9, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (9, 2, 'ticket.sla_breached', 0, 1, 1, 'assigned', 'assigned', 0, false),
    (9, 3, 'escalation.expired', 0, 1, 1, 'assigned', 'assigned', 0, true),
    (9, 4, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (9, 5, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),

    (10, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (10, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (10, 2, 'ticket.handed_off', 0, 1, 0, 'assigned', 'queued', 0, false),

    (11, 0, 'ticket.created', 0, 0, 0, NULL, 'queued', 0, false),
    (11, 1, 'ticket.taken', 1, 0, 1, 'queued', 'assigned', 0, false),
    (11, 2, 'ticket.replied', 1, 1, 1, 'assigned', 'assigned', 0, false),
    (11, 3, 'ticket.resolved', 1, 1, 0, 'assigned', 'resolved', 0, false),
    (11, 4, 'ticket.reopened', 0, 0, 0, 'resolved', 'queued', 0, false),
    (11, 5, 'ticket.taken', 2, 0, 2, 'queued', 'assigned', 0, false),
    (11, 6, 'ticket.replied', 2, 2, 2, 'assigned', 'assigned', 0, false),
    (11, 7, 'ticket.resolved', 2, 2, 0, 'assigned', 'resolved', 0, false);

-- The tickets: queue, scenario, people, times.
CREATE TEMP TABLE rp_ticket ON COMMIT DROP AS
SELECT g, md5('rp-ticket-' || g)::uuid AS id, md5('rp-escalation-' || g)::uuid AS esc_id,
       s.q, s.org_id, s.name AS queue, hq.org_id AS hq_org, hq.name AS hq_queue, sc.sc,
       s.ids[h.h2 % 12 + 1] AS a1_id, s.handles[h.h2 % 12 + 1] AS a1_h,
       s.ids[(h.h2 % 12 + 1 + h.h3 % 11) % 12 + 1] AS a2_id, s.handles[(h.h2 % 12 + 1 + h.h3 % 11) % 12 + 1] AS a2_h,
       hq.ids[h.h3 % 12 + 1] AS a3_id, hq.handles[h.h3 % 12 + 1] AS a3_h,
       CASE WHEN h.h3 < 50 THEN 1 WHEN h.h3 < 250 THEN 2 WHEN h.h3 < 700 THEN 3 ELSE 4 END AS sev,
       :'month_from'::timestamptz
           + (:'month_to'::timestamptz - :'month_from'::timestamptz) * ((h.h4 * 1000 + h.h5) / 1000000.0) AS created_at,
       interval '1 minute' * (3 + h.h5 % 40) AS step,
       h.h6 AS hx
  FROM generate_series(1, :tickets::bigint) AS g
 CROSS JOIN LATERAL (
       SELECT (hashint8(g * 8) + 2147483648::bigint) % 1000 AS h0,
              (hashint8(g * 8 + 1) + 2147483648::bigint) % 1000 AS h1,
              (hashint8(g * 8 + 2) + 2147483648::bigint) % 1000 AS h2,
              (hashint8(g * 8 + 3) + 2147483648::bigint) % 1000 AS h3,
              (hashint8(g * 8 + 4) + 2147483648::bigint) % 1000 AS h4,
              (hashint8(g * 8 + 5) + 2147483648::bigint) % 1000 AS h5,
              (hashint8(g * 8 + 6) + 2147483648::bigint) % 1000 AS h6) h
  JOIN rp_staff s ON s.q = CASE WHEN h.h0 < 450 THEN 0 WHEN h.h0 < 700 THEN 1 WHEN h.h0 < 850 THEN 2 ELSE 3 END
  JOIN rp_staff hq ON hq.q = 3
 CROSS JOIN LATERAL (SELECT min(x.sc) AS sc FROM rp_sc x WHERE h.h1 < x.upto) sc;

-- When seq happens on ticket t.
CREATE FUNCTION pg_temp.rp_at(t_created timestamptz, t_step interval, seq int) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT t_created + t_step * seq $$;

INSERT INTO ticket (id, source, external_ref, subject, customer_id, customer_tier, channel, language, severity,
                    waiting_since, created_at, updated_at, status, org_id, routed_rule,
                    first_response_at, last_reply_at, resolved_at, resolved_by, resolution_code, resolution_note,
                    reopen_count)
SELECT t.id, 'bench', 'rp-' || t.g,
       (ARRAY['Cannot log in after the password reset', 'Invoice shows the wrong amount',
              'The app closes when I export a report', 'Refund not received yet'])[t.g % 4 + 1] || ' (#' || t.g || ')',
       'cust-' || (t.g % 5000),
       (ARRAY['strategic', 'priority', 'standard', 'standard'])[t.hx % 4 + 1],
       (ARRAY['email', 'email', 'chat', 'phone', 'callback'])[t.hx % 5 + 1],
       CASE t.q WHEN 0 THEN 'en' WHEN 1 THEN 'es' WHEN 2 THEN 'pl' ELSE 'de' END,
       t.sev,
       t.created_at, t.created_at,
       pg_temp.rp_at(t.created_at, t.step, (SELECT max(m.seq) FROM rp_tmpl m WHERE m.sc = t.sc)),
       CASE WHEN t.sc = 10 THEN 'queued' ELSE 'resolved' END,
       CASE WHEN t.sc = 6 THEN t.hq_org ELSE t.org_id END,
       'bulk-loaded by make bench',
       pg_temp.rp_at(t.created_at, t.step, x.fr_seq),
       pg_temp.rp_at(t.created_at, t.step, x.fr_seq),
       pg_temp.rp_at(t.created_at, t.step, coalesce(x.res2_seq, x.res_seq)),
       CASE coalesce(x.res2_who, x.res_who) WHEN 1 THEN t.a1_id WHEN 2 THEN t.a2_id WHEN 3 THEN t.a3_id END,
       CASE WHEN t.sc <> 10 THEN 'solved' END,
       CASE WHEN t.sc <> 10 THEN 'Solved with the customer.' END,
       CASE WHEN t.sc = 11 THEN 1 ELSE 0 END
  FROM rp_ticket t JOIN rp_sc x ON x.sc = t.sc;

-- The events, in time order (as they would have been written: a ticket's
-- ids are in its own order).
INSERT INTO event (at, org_id, also_org_id, kind, subject_id, body, actor_id, method, request_id, request_payload,
                   session_binding, signature)
SELECT e.at, e.org_id, e.also_org_id, e.kind, e.subject_id, e.body, e.actor_id,
       CASE WHEN e.actor_id IS NOT NULL THEN '/baton.v1.Tickets/' || initcap(split_part(e.kind, '.', 2)) END,
       CASE WHEN e.actor_id IS NOT NULL THEN decode(md5(e.subject_id || e.kind || e.seq), 'hex') END,
       CASE WHEN e.actor_id IS NOT NULL THEN convert_to(e.subject_id || ' ' || e.kind || ' make bench', 'UTF8') END,
       CASE WHEN e.actor_id IS NOT NULL THEN decode(md5(e.subject_id) || md5(e.kind), 'hex') END,
       CASE WHEN e.actor_id IS NOT NULL
            THEN decode(md5(e.subject_id || e.seq) || md5(e.kind) || md5(e.subject_id) || md5(e.seq::text), 'hex') END
  FROM (
    SELECT pg_temp.rp_at(t.created_at, t.step, m.seq) AS at, t.g, m.seq,
           CASE WHEN m.moved = 2 THEN t.hq_org ELSE t.org_id END AS org_id,
           CASE WHEN m.moved = 1 THEN t.hq_org END AS also_org_id,
           m.kind,
           CASE WHEN m.esc THEN t.esc_id::text ELSE t.id::text END AS subject_id,
           CASE m.who WHEN 1 THEN t.a1_id WHEN 2 THEN t.a2_id WHEN 3 THEN t.a3_id WHEN 4 THEN :'lead_id'::uuid END
               AS actor_id,
           CASE WHEN m.seq = 0
                THEN jsonb_build_object('ticket', jsonb_build_object('severity', t.sev, 'source', 'bench',
                                                                     'external_ref', 'rp-' || t.g),
                                        'after', jsonb_build_object('status', 'queued', 'owner', NULL,
                                                                    'queue', t.queue))
                ELSE jsonb_build_object(
                         'before', jsonb_build_object('status', m.bs,
                                                      'owner', CASE m.bo WHEN 1 THEN t.a1_h WHEN 2 THEN t.a2_h
                                                                         WHEN 3 THEN t.a3_h END,
                                                      'queue', CASE WHEN m.moved = 2 THEN t.hq_queue ELSE t.queue END),
                         'after', jsonb_build_object('status', m.ast,
                                                     'owner', CASE m.ao WHEN 1 THEN t.a1_h WHEN 2 THEN t.a2_h
                                                                        WHEN 3 THEN t.a3_h END,
                                                     'queue', CASE WHEN m.moved > 0 THEN t.hq_queue ELSE t.queue END))
           END AS body
      FROM rp_ticket t JOIN rp_tmpl m ON m.sc = t.sc
  ) e
 ORDER BY e.at, e.g, e.seq;

-- The SLA clocks, as baton_sla_apply_all leaves them. Targets per
-- severity (1 worst): first response 15 min .. 4 h, resolution 4 h .. 48 h.
INSERT INTO ticket_clock (ticket_id, clock, cycle, state, contract_id, target_s, used_s, started_at, since,
                          breached_at, ended_at, ended_by, ended_org)
SELECT k.ticket_id, k.clock, k.cycle,
       CASE WHEN k.ended_at IS NULL THEN 'running'
            WHEN k.forced_miss OR k.used_s > k.target_s THEN 'missed' ELSE 'met' END,
       :'contract_id'::uuid, k.target_s, k.used_s, k.started_at,
       CASE WHEN k.ended_at IS NULL THEN k.started_at END,
       k.breached_at, k.ended_at, k.ended_by, k.ended_org
  FROM (
    SELECT t.id AS ticket_id, c.clock, c.cycle,
           (ARRAY[CASE c.clock WHEN 'resolution' THEN 14400 ELSE 900 END,
                  CASE c.clock WHEN 'resolution' THEN 28800 ELSE 1800 END,
                  CASE c.clock WHEN 'resolution' THEN 86400 ELSE 3600 END,
                  CASE c.clock WHEN 'resolution' THEN 172800 ELSE 14400 END])[t.sev]::numeric AS target_s,
           pg_temp.rp_at(t.created_at, t.step, c.start_seq) AS started_at,
           pg_temp.rp_at(t.created_at, t.step, c.end_seq) AS ended_at,
           coalesce(extract(epoch FROM t.step * (c.end_seq - c.start_seq)), 0)::numeric AS used_s,
           CASE WHEN c.end_seq IS NOT NULL THEN
                CASE c.who WHEN 1 THEN t.a1_id WHEN 2 THEN t.a2_id WHEN 3 THEN t.a3_id END END AS ended_by,
           CASE WHEN c.end_seq IS NOT NULL THEN CASE WHEN c.who = 3 THEN t.hq_org ELSE t.org_id END END AS ended_org,
           CASE WHEN c.breached THEN pg_temp.rp_at(t.created_at, t.step, x.breach_seq) END AS breached_at,
           c.breached AS forced_miss
      FROM rp_ticket t JOIN rp_sc x ON x.sc = t.sc
     CROSS JOIN LATERAL (
           VALUES ('first_response', 1, 0, x.fr_seq, x.fr_who, x.breach_seq IS NOT NULL),
                  ('resolution', 1, 0, x.res_seq, x.res_who, x.breach_seq IS NOT NULL),
                  ('resolution', 2, x.res2_start, x.res2_seq, x.res2_who, false),
                  ('next_response', 1, x.nr_seq, x.nr_seq + 1, 1, false)) c (clock, cycle, start_seq, end_seq, who, breached)
     WHERE c.start_seq IS NOT NULL
  ) k;

-- Escalations: the agents' (approved to an in-house agent, or rejected)
-- and the SLA worker's (expired once, then rejected).
INSERT INTO escalation (id, ticket_id, org_id, source, raised_by, reason, urgency, clock, state, level, assignee_id,
                        routed_rule, routed_at, expires_at, expiries, decided_by, decided_at, decision_note,
                        new_owner_id, created_at)
SELECT t.esc_id, t.id, t.org_id,
       CASE WHEN t.sc = 9 THEN 'sla' ELSE 'agent' END,
       CASE WHEN t.sc = 9 THEN NULL ELSE t.a1_id END,
       CASE WHEN t.sc = 9 THEN 'first response breached' ELSE 'the customer needs a refund decision' END,
       'normal',
       CASE WHEN t.sc = 9 THEN 'first_response' END,
       CASE WHEN t.sc = 6 THEN 'approved' ELSE 'rejected' END,
       CASE WHEN t.sc = 9 THEN 2 ELSE 1 END,
       :'lead_id'::uuid, 'bench', e.raised, e.raised + t.step, CASE WHEN t.sc = 9 THEN 1 ELSE 0 END,
       :'lead_id'::uuid, e.decided, 'make bench',
       CASE WHEN t.sc = 6 THEN t.a3_id END,
       e.raised
  FROM rp_ticket t
 CROSS JOIN LATERAL (
       SELECT pg_temp.rp_at(t.created_at, t.step, CASE t.sc WHEN 9 THEN 2 ELSE 3 END) AS raised,
              CASE t.sc WHEN 9 THEN pg_temp.rp_at(t.created_at, t.step, 3) + interval '1 minute'
                        ELSE pg_temp.rp_at(t.created_at, t.step, 4) END AS decided) e
 WHERE t.sc IN (6, 7, 9);

-- Shifts: per organization and day, three 8-hour slots of 4 seats open to
-- it, claimed a week ahead by the same four agents each time.
CREATE TEMP TABLE rp_slot ON COMMIT DROP AS
SELECT md5('rp-slot-' || s.q || '-' || d || '-' || k)::uuid AS id, s.q, s.org_id, s.ids, o.lang, k AS shift,
       tstzrange(d + interval '8 hours' * k, d + interval '8 hours' * (k + 1)) AS during
  FROM rp_staff s JOIN rp_org o ON o.q = s.q
 CROSS JOIN generate_series(:'month_from'::timestamptz, :'month_to'::timestamptz - interval '1 hour', interval '1 day') AS d
 CROSS JOIN generate_series(0, 2) AS k;

INSERT INTO slot (id, queue, language, during, seats, open_to_orgs, release_cutoff, note, created_by, created_at,
                  updated_at)
SELECT id, 'bench', lang, during, 4, ARRAY[org_id], interval '1 day', 'make bench', :'lead_id'::uuid,
       lower(during) - interval '14 days', lower(during) - interval '14 days'
  FROM rp_slot;

INSERT INTO claim (slot_id, principal_id, org_id, during, claimed_by, created_at, released_at, released_by,
                   released_reason)
SELECT s.id, s.ids[s.shift * 4 + seat + 1], s.org_id, s.during, s.ids[s.shift * 4 + seat + 1],
       lower(s.during) - interval '7 days',
       CASE WHEN c.h < 80 THEN lower(s.during) - interval '1 day'
            WHEN c.h < 130 THEN lower(s.during) + interval '1 hour' * (1 + c.h % 7) END,
       CASE WHEN c.h < 130 THEN s.ids[s.shift * 4 + seat + 1] END,
       CASE WHEN c.h < 130 THEN 'make bench' END
  FROM rp_slot s
 CROSS JOIN generate_series(0, 3) AS seat
 CROSS JOIN LATERAL (SELECT (hashtext(s.id::text || seat) + 2147483648::bigint) % 1000 AS h) c
 WHERE c.h >= 50;

UPDATE slot s SET seats_taken = n.n
  FROM (SELECT slot_id, count(*) AS n FROM claim WHERE released_at IS NULL GROUP BY slot_id) n
 WHERE n.slot_id = s.id AND s.id IN (SELECT id FROM rp_slot);

ALTER TABLE event ENABLE TRIGGER event_sla;
ALTER TABLE claim ENABLE TRIGGER claim_check;
ALTER TABLE claim ENABLE TRIGGER claim_count;
COMMIT;

-- Visibility map, hint bits and statistics, as autovacuum would leave the
-- tables after a month: the report then reads the tables, not the
-- after-effects of loading them.
VACUUM (ANALYZE) event;
VACUUM (ANALYZE) ticket;
VACUUM (ANALYZE) ticket_clock;
VACUUM (ANALYZE) escalation;
VACUUM (ANALYZE) slot;
VACUUM (ANALYZE) claim;
VACUUM (ANALYZE) principal;
