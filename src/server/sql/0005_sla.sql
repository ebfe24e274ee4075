-- 0005_sla.sql - SLA contracts (versioned) with business-hours calendars, the clocks of every
-- ticket derived from its events, the SLA worker's warnings and breaches, and escalations that
-- in-house leads approve or reject.
--
-- The rules that must never break live here, not only in C:
--   * a contract version never changes once written (sla_contract_frozen); a
--     change is a new version, used by tickets created after it;
--   * a ticket's clocks are a function of its events: the trigger on event
--     applies each ticket event in order (baton_sla_apply), and
--     baton_sla_recompute replays them to prove it;
--   * a warning and a breach fire once per clock (they are events, written
--     under the ticket's row lock after a re-check: baton_sla_fire);
--   * a ticket has at most one open escalation (escalation_one_open).
-- docs/sla.md is the rulebook for people.

-- ---- Contracts --------------------------------------------------------------

-- One version of an organization's contract (org_id NULL: the in-house
-- default, used by every organization without one of its own).
CREATE TABLE sla_contract (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid REFERENCES org (id),
    version           int NOT NULL CHECK (version >= 1),
    time_zone         text NOT NULL,    -- IANA; checked against pg_timezone_names by batond
    always_open       boolean NOT NULL, -- 24/7: sla_hours and sla_holiday play no part
    warn_percent      int NOT NULL CHECK (warn_percent BETWEEN 1 AND 99),
    ownership_timeout interval NOT NULL
                      CHECK (ownership_timeout >= interval '1 second' AND ownership_timeout <= interval '7 days'),
    escalation_normal interval NOT NULL
                      CHECK (escalation_normal >= interval '1 second' AND escalation_normal <= interval '30 days'),
    escalation_urgent interval NOT NULL
                      CHECK (escalation_urgent >= interval '1 second' AND escalation_urgent <= interval '30 days'),
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by        uuid REFERENCES principal (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sla_contract_version UNIQUE NULLS NOT DISTINCT (org_id, version)
);

-- Targets per priority: P1 .. P4 is the ticket's severity (1 worst). Time
-- counted in the contract's open hours.
CREATE TABLE sla_target (
    contract_id    uuid NOT NULL REFERENCES sla_contract (id),
    priority       int NOT NULL CHECK (priority BETWEEN 1 AND 4),
    first_response interval NOT NULL
                   CHECK (first_response >= interval '1 second' AND first_response <= interval '30 days'),
    next_response  interval NOT NULL
                   CHECK (next_response >= interval '1 second' AND next_response <= interval '30 days'),
    resolution     interval NOT NULL
                   CHECK (resolution >= interval '1 second' AND resolution <= interval '30 days'),
    PRIMARY KEY (contract_id, priority)
);

-- Weekly opening hours, wall clock in the contract's zone; several rows on
-- one day split it. closes may be 24:00.
CREATE TABLE sla_hours (
    contract_id uuid NOT NULL REFERENCES sla_contract (id),
    weekday     int NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO: 1 Monday .. 7 Sunday
    opens       time NOT NULL,
    closes      time NOT NULL,
    CHECK (opens < closes),
    PRIMARY KEY (contract_id, weekday, opens),
    CONSTRAINT sla_hours_no_overlap EXCLUDE USING gist (
        contract_id WITH =, weekday WITH =,
        tsrange('2000-01-01'::date + opens, '2000-01-01'::date + closes) WITH &&)
);

-- Days the contract's hours do not open (local dates).
CREATE TABLE sla_holiday (
    contract_id uuid NOT NULL REFERENCES sla_contract (id),
    day         date NOT NULL,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    PRIMARY KEY (contract_id, day)
);

-- A version is written once, in the transaction that creates it.
CREATE FUNCTION baton_sla_frozen() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an SLA contract version is never changed; set a new version'
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER sla_contract_frozen BEFORE UPDATE OR DELETE ON sla_contract
    FOR EACH ROW EXECUTE FUNCTION baton_sla_frozen();
CREATE TRIGGER sla_target_frozen BEFORE UPDATE OR DELETE ON sla_target
    FOR EACH ROW EXECUTE FUNCTION baton_sla_frozen();
CREATE TRIGGER sla_hours_frozen BEFORE UPDATE OR DELETE ON sla_hours
    FOR EACH ROW EXECUTE FUNCTION baton_sla_frozen();
CREATE TRIGGER sla_holiday_frozen BEFORE UPDATE OR DELETE ON sla_holiday
    FOR EACH ROW EXECUTE FUNCTION baton_sla_frozen();

-- The contract version that governs organization p_org for a ticket created
-- at p_created: the organization's latest version written by then, else
-- the default's; for tickets older than every version, the first one.
CREATE FUNCTION baton_sla_contract(p_org uuid, p_created timestamptz) RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
SELECT coalesce(
    (SELECT id FROM sla_contract WHERE org_id = p_org AND created_at <= p_created ORDER BY version DESC LIMIT 1),
    (SELECT id FROM sla_contract WHERE org_id IS NULL AND created_at <= p_created ORDER BY version DESC LIMIT 1),
    (SELECT id FROM sla_contract WHERE org_id = p_org ORDER BY version LIMIT 1),
    (SELECT id FROM sla_contract WHERE org_id IS NULL ORDER BY version LIMIT 1))
$$;

-- The default contract, version 1: 24/7 in UTC until an admin sets one.
-- Ownership timeouts set before contracts existed (ticket_policy) carry over.
INSERT INTO sla_contract (org_id, version, time_zone, always_open, warn_percent, ownership_timeout,
                          escalation_normal, escalation_urgent, note)
SELECT NULL, 1, 'UTC', true, 80,
       coalesce((SELECT ownership_timeout FROM ticket_policy WHERE org_id IS NULL), interval '30 minutes'),
       interval '1 hour', interval '15 minutes', 'built-in default';
INSERT INTO sla_contract (org_id, version, time_zone, always_open, warn_percent, ownership_timeout,
                          escalation_normal, escalation_urgent, note, created_by)
SELECT p.org_id, 1, 'UTC', true, 80, p.ownership_timeout, interval '1 hour', interval '15 minutes',
       'from the ticket policy', p.updated_by
  FROM ticket_policy p WHERE p.org_id IS NOT NULL;
INSERT INTO sla_target (contract_id, priority, first_response, next_response, resolution)
SELECT c.id, t.priority, t.fr, t.nr, t.res
  FROM sla_contract c
 CROSS JOIN (VALUES (1, interval '1 hour', interval '2 hours', interval '8 hours'),
                    (2, interval '4 hours', interval '8 hours', interval '1 day'),
                    (3, interval '8 hours', interval '1 day', interval '3 days'),
                    (4, interval '1 day', interval '2 days', interval '5 days')) AS t(priority, fr, nr, res);

-- The return timer's timeout comes from the contract now.
DROP FUNCTION baton_ownership_timeout(uuid);
DROP TABLE ticket_policy;
CREATE FUNCTION baton_ownership_timeout(p_org uuid, p_created timestamptz) RETURNS interval
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT ownership_timeout FROM sla_contract WHERE id = baton_sla_contract(p_org, p_created)),
                          interval '30 minutes') $$;

-- A new version of p_org's contract (NULL: the default) copying the
-- version in force now (the organization's own, else the default's) with
-- the ownership timeout changed. Returns the new version's id.
CREATE FUNCTION baton_sla_contract_copy(p_org uuid, p_actor uuid, p_ownership_timeout interval) RETURNS uuid
    LANGUAGE plpgsql AS $$
DECLARE
    src sla_contract%ROWTYPE;
    n   int;
    id_ uuid;
BEGIN
    -- Versions written at once take turns (SetSlaContract takes it too).
    PERFORM pg_advisory_xact_lock(hashtext('baton.sla_contract'));
    SELECT * INTO src FROM sla_contract WHERE id = baton_sla_contract(p_org, now());
    SELECT coalesce(max(version), 0) + 1 INTO n FROM sla_contract WHERE org_id IS NOT DISTINCT FROM p_org;
    INSERT INTO sla_contract (org_id, version, time_zone, always_open, warn_percent, ownership_timeout,
                              escalation_normal, escalation_urgent, note, created_by)
    VALUES (p_org, n, src.time_zone, src.always_open, src.warn_percent, p_ownership_timeout,
            src.escalation_normal, src.escalation_urgent,
            format('version %s of %s with the ownership timeout changed', src.version,
                   coalesce((SELECT name FROM org WHERE id = src.org_id), 'the default')), p_actor)
    RETURNING id INTO id_;
    INSERT INTO sla_target SELECT id_, priority, first_response, next_response, resolution
                             FROM sla_target WHERE contract_id = src.id;
    INSERT INTO sla_hours SELECT id_, weekday, opens, closes FROM sla_hours WHERE contract_id = src.id;
    INSERT INTO sla_holiday SELECT id_, day, name FROM sla_holiday WHERE contract_id = src.id;
    RETURN id_;
END $$;

-- ---- Business-hours arithmetic ----------------------------------------------
-- Local wall-clock hours become UTC ranges through PostgreSQL's time-zone
-- database (AT TIME ZONE), so DST days are 23 or 25 hours long by itself.

-- The stretches of [p_from, p_to) in which contract c is open, in order.
CREATE FUNCTION baton_sla_open(c uuid, p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (during tstzrange)
    LANGUAGE sql STABLE
    AS $$
SELECT tstzrange(p_from, p_to)
  FROM sla_contract k
 WHERE k.id = c AND k.always_open AND p_to > p_from
UNION ALL
SELECT x.r
  FROM sla_contract k
 CROSS JOIN LATERAL (
       SELECT tstzrange((d.day + h.opens) AT TIME ZONE k.time_zone,
                        (d.day + h.closes) AT TIME ZONE k.time_zone) * tstzrange(p_from, p_to) AS r
         FROM generate_series(((p_from AT TIME ZONE k.time_zone)::date - 1)::timestamp,
                              (p_to AT TIME ZONE k.time_zone)::date::timestamp, interval '1 day') AS g(ts)
        CROSS JOIN LATERAL (SELECT g.ts::date AS day) d
         JOIN sla_hours h ON h.contract_id = k.id AND h.weekday = extract(isodow FROM d.day)
        WHERE NOT EXISTS (SELECT 1 FROM sla_holiday o WHERE o.contract_id = k.id AND o.day = d.day)) x
 WHERE k.id = c AND NOT k.always_open AND p_to > p_from AND NOT isempty(x.r)
 ORDER BY 1
$$;

-- Seconds of open time in [p_from, p_to).
CREATE FUNCTION baton_sla_elapsed(c uuid, p_from timestamptz, p_to timestamptz) RETURNS numeric
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(sum(extract(epoch FROM upper(o.during) - lower(o.during))), 0)
            FROM baton_sla_open(c, p_from, p_to) o $$;

-- The moment p_secs seconds of open time after p_from; NULL if the
-- calendar does not open that much within two years (all holidays).
CREATE FUNCTION baton_sla_add(c uuid, p_from timestamptz, p_secs numeric) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    left_s  numeric := p_secs;
    win     timestamptz := p_from;
    always  boolean;
    r       tstzrange;
    len     numeric;
BEGIN
    IF p_secs <= 0 THEN
        RETURN p_from;
    END IF;
    SELECT always_open INTO always FROM sla_contract WHERE id = c;
    IF always THEN
        RETURN p_from + make_interval(secs => p_secs::double precision);
    END IF;
    FOR week IN 1..106 LOOP
        FOR r IN SELECT o.during FROM baton_sla_open(c, win, win + interval '168 hours') o LOOP
            len := extract(epoch FROM upper(r) - lower(r));
            IF len >= left_s THEN
                RETURN lower(r) + make_interval(secs => left_s::double precision);
            END IF;
            left_s := left_s - len;
        END LOOP;
        win := win + interval '168 hours';
    END LOOP;
    RETURN NULL;
END $$;

-- Some work must see every row whoever's transaction does it (a partner's
-- pass moves the ticket out of its sight before the event that moves the
-- clocks is written). These set the scope to all for the transaction and
-- put the caller's back; a function SET clause would be tidier, but
-- PostgreSQL 15 lets only superusers attach custom settings to functions.
CREATE FUNCTION baton_scope_widen() RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    prev text := coalesce(current_setting('baton.scope', true), '');
BEGIN
    PERFORM set_config('baton.scope', 'all', true);
    RETURN prev;
END $$;
CREATE FUNCTION baton_scope_restore(prev text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('baton.scope', prev, true);
END $$;

-- ---- Ticket clocks ------------------------------------------------------------
-- Which contract a ticket is measured by, and where it stands; 1:1 with
-- ticket, written only by baton_sla_apply.
CREATE TABLE ticket_sla (
    ticket_id     uuid PRIMARY KEY REFERENCES ticket (id),
    org_id        uuid NOT NULL REFERENCES org (id),          -- responsible now (the queue)
    contract_id   uuid NOT NULL REFERENCES sla_contract (id), -- the version used now
    severity      int NOT NULL,
    status        text NOT NULL,                              -- as of the last event applied
    created_at    timestamptz NOT NULL,                       -- the ticket's: picks contract versions
    last_at       timestamptz NOT NULL,                       -- the last event's time applied
    res_cycle     int NOT NULL DEFAULT 1,                     -- resolution cycle (1 + reopenings)
    next_cycle    int NOT NULL DEFAULT 0                      -- next-response clocks started
);

-- One clock: first_response (cycle 1), next_response (one per customer
-- message that waits for an answer), resolution (one per cycle).
CREATE TABLE ticket_clock (
    ticket_id   uuid NOT NULL REFERENCES ticket (id),
    clock       text NOT NULL CHECK (clock IN ('first_response', 'next_response', 'resolution')),
    cycle       int NOT NULL CHECK (cycle >= 1),
    state       text NOT NULL CHECK (state IN ('running', 'paused', 'met', 'missed')),
    contract_id uuid NOT NULL REFERENCES sla_contract (id),
    target_s    numeric NOT NULL,       -- seconds of open time allowed
    used_s      numeric NOT NULL DEFAULT 0, -- open time used before since (all of it once ended)
    started_at  timestamptz NOT NULL,
    since       timestamptz,            -- running: counting from here
    warn_at     timestamptz,            -- running: when the warning falls due
    due_at      timestamptz,            -- running: when it breaches
    warned_at   timestamptz,
    breached_at timestamptz,
    ended_at    timestamptz,
    -- A clock ended by a reply or a resolve: whose act ended it (NULL when
    -- batond acted) and the organization responsible at that moment (after
    -- any move the same event made). Reports attribute clocks by them.
    ended_by    uuid REFERENCES principal (id),
    ended_org   uuid REFERENCES org (id),
    PRIMARY KEY (ticket_id, clock, cycle),
    CHECK ((state = 'running') = (since IS NOT NULL)),
    CHECK ((state IN ('met', 'missed')) = (ended_at IS NOT NULL))
);
CREATE INDEX ticket_clock_warn ON ticket_clock (warn_at) WHERE state = 'running' AND warned_at IS NULL;
CREATE INDEX ticket_clock_due ON ticket_clock (due_at) WHERE state = 'running' AND breached_at IS NULL;

-- Target seconds of a clock under contract c for a severity.
CREATE FUNCTION baton_sla_target(c uuid, p_severity int, p_clock text) RETURNS numeric
    LANGUAGE sql STABLE
    AS $$ SELECT extract(epoch FROM CASE p_clock WHEN 'first_response' THEN first_response
                                                  WHEN 'next_response' THEN next_response
                                                  ELSE resolution END)
            FROM sla_target WHERE contract_id = c AND priority = p_severity $$;

-- Sets warn_at and due_at of a running clock from its contract.
CREATE FUNCTION baton_sla_schedule(p_ticket uuid, p_clock text, p_cycle int) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    k ticket_clock%ROWTYPE;
    pct int;
BEGIN
    SELECT * INTO k FROM ticket_clock WHERE ticket_id = p_ticket AND clock = p_clock AND cycle = p_cycle;
    IF k.state <> 'running' THEN
        UPDATE ticket_clock SET warn_at = NULL, due_at = NULL
         WHERE ticket_id = p_ticket AND clock = p_clock AND cycle = p_cycle;
        RETURN;
    END IF;
    SELECT warn_percent INTO pct FROM sla_contract WHERE id = k.contract_id;
    UPDATE ticket_clock
       SET due_at = baton_sla_add(k.contract_id, k.since, k.target_s - k.used_s),
           warn_at = baton_sla_add(k.contract_id, k.since, k.target_s * pct / 100 - k.used_s)
     WHERE ticket_id = p_ticket AND clock = p_clock AND cycle = p_cycle;
END $$;

-- Starts a clock at p_at under the ticket's contract.
CREATE FUNCTION baton_sla_start(s ticket_sla, p_clock text, p_cycle int, p_at timestamptz) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_clock (ticket_id, clock, cycle, state, contract_id, target_s, started_at, since)
    VALUES (s.ticket_id, p_clock, p_cycle, CASE WHEN s.status = 'pending' THEN 'paused' ELSE 'running' END,
            s.contract_id, baton_sla_target(s.contract_id, s.severity, p_clock), p_at,
            CASE WHEN s.status = 'pending' THEN NULL ELSE p_at END);
    PERFORM baton_sla_schedule(s.ticket_id, p_clock, p_cycle);
END $$;

-- Banks the open time a running clock used up to p_at, in its own
-- contract's calendar: used_s grows, since moves to p_at.
CREATE FUNCTION baton_sla_bank(p_ticket uuid, p_at timestamptz, p_which text) RETURNS void
    LANGUAGE sql AS $$
UPDATE ticket_clock
   SET used_s = used_s + baton_sla_elapsed(contract_id, since, greatest(since, p_at)), since = p_at
 WHERE ticket_id = p_ticket AND state = 'running'
   AND (p_which = 'all' OR clock = p_which OR (p_which = 'responses' AND clock <> 'resolution'))
$$;

-- Applies one ticket event to the ticket's clocks. The event's time is
-- used (never now()), and never goes back behind the last one applied, so
-- a replay of the events gives the same state (baton_sla_recompute).
-- Rules (docs/sla.md): created starts first_response and resolution; a
-- reply ends the response clocks; a customer message with no response clock
-- open starts a next_response clock; reopened starts a new resolution
-- cycle; resolved ends every clock; pending pauses them all, leaving
-- pending resumes them; a move to another organization's queue banks the
-- time used so far in the old calendar and goes on in the new contract
-- (its calendar and its targets); sla_warning and sla_breached mark the
-- clock they name.
CREATE FUNCTION baton_sla_apply_all(e event) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    t_id   uuid;
    s      ticket_sla%ROWTYPE;
    at     timestamptz;
    org    uuid := coalesce(e.also_org_id, e.org_id);
    after  text;
    k      record;
BEGIN
    IF e.subject_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN;
    END IF;
    t_id := e.subject_id::uuid;
    IF e.kind = 'ticket.created' THEN
        INSERT INTO ticket_sla (ticket_id, org_id, contract_id, severity, status, created_at, last_at)
        VALUES (t_id, org, baton_sla_contract(org, e.at), (e.body->'ticket'->>'severity')::int,
                coalesce(e.body->'after'->>'status', 'queued'), e.at, e.at)
        RETURNING * INTO s;
        PERFORM baton_sla_start(s, 'first_response', 1, e.at);
        PERFORM baton_sla_start(s, 'resolution', 1, e.at);
        RETURN;
    END IF;
    SELECT * INTO s FROM ticket_sla WHERE ticket_id = t_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN; -- no ticket.created event: not a ticket this applies to
    END IF;
    at := greatest(e.at, s.last_at);
    after := coalesce(e.body->'after'->>'status', s.status);

    -- Another organization is responsible from now on.
    IF org IS NOT NULL AND org <> s.org_id THEN
        PERFORM baton_sla_bank(t_id, at, 'all');
        s.org_id := org;
        s.contract_id := baton_sla_contract(org, s.created_at);
        UPDATE ticket_clock
           SET contract_id = s.contract_id, target_s = baton_sla_target(s.contract_id, s.severity, clock)
         WHERE ticket_id = t_id AND state IN ('running', 'paused');
    END IF;

    IF e.kind = 'ticket.replied' OR e.kind = 'ticket.resolved' THEN
        PERFORM baton_sla_bank(t_id, at, CASE e.kind WHEN 'ticket.replied' THEN 'responses' ELSE 'all' END);
        UPDATE ticket_clock
           SET state = CASE WHEN used_s <= target_s THEN 'met' ELSE 'missed' END, ended_at = at, since = NULL,
               ended_by = e.actor_id, ended_org = s.org_id
         WHERE ticket_id = t_id AND state IN ('running', 'paused')
           AND (e.kind = 'ticket.resolved' OR clock <> 'resolution');
    ELSIF e.kind = 'ticket.customer_replied' THEN
        IF NOT EXISTS (SELECT 1 FROM ticket_clock WHERE ticket_id = t_id AND clock <> 'resolution'
                          AND state IN ('running', 'paused')) THEN
            s.next_cycle := s.next_cycle + 1;
            s.status := after;
            PERFORM baton_sla_start(s, 'next_response', s.next_cycle, at);
        END IF;
    ELSIF e.kind = 'ticket.reopened' THEN
        s.res_cycle := s.res_cycle + 1;
        s.status := after;
        PERFORM baton_sla_start(s, 'resolution', s.res_cycle, at);
    ELSIF e.kind IN ('ticket.sla_warning', 'ticket.sla_breached') THEN
        UPDATE ticket_clock
           SET warned_at = CASE WHEN e.kind = 'ticket.sla_warning' THEN coalesce(warned_at, at) ELSE warned_at END,
               breached_at = CASE WHEN e.kind = 'ticket.sla_breached' THEN coalesce(breached_at, at) ELSE breached_at END
         WHERE ticket_id = t_id AND clock = e.body->>'clock' AND cycle = (e.body->>'cycle')::int;
    END IF;

    -- Waiting on the customer stops the clocks; the end of it starts them.
    IF after = 'pending' THEN
        PERFORM baton_sla_bank(t_id, at, 'all');
        UPDATE ticket_clock SET state = 'paused', since = NULL WHERE ticket_id = t_id AND state = 'running';
    ELSIF after <> 'resolved' THEN
        UPDATE ticket_clock SET state = 'running', since = at WHERE ticket_id = t_id AND state = 'paused';
    END IF;

    FOR k IN SELECT clock, cycle FROM ticket_clock WHERE ticket_id = t_id AND (state IN ('running', 'paused') OR warn_at IS NOT NULL) LOOP
        PERFORM baton_sla_schedule(t_id, k.clock, k.cycle);
    END LOOP;
    UPDATE ticket_sla SET org_id = s.org_id, contract_id = s.contract_id, status = after, last_at = at,
                          res_cycle = s.res_cycle, next_cycle = s.next_cycle
     WHERE ticket_id = t_id;
END $$;

CREATE FUNCTION baton_sla_apply(e event) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    prev text := baton_scope_widen();
BEGIN
    PERFORM baton_sla_apply_all(e);
    PERFORM baton_scope_restore(prev);
END $$;

CREATE FUNCTION baton_sla_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM baton_sla_apply(NEW);
    RETURN NULL;
END $$;
CREATE TRIGGER event_sla AFTER INSERT ON event
    FOR EACH ROW WHEN (NEW.kind LIKE 'ticket.%') EXECUTE FUNCTION baton_sla_event();

-- The clocks replayed from the ticket's events, as JSON rows in the shape
-- of baton_sla_clocks_json; nothing is changed (the replay runs in a
-- subtransaction that is rolled back).
CREATE FUNCTION baton_sla_clocks_json(p_ticket uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
SELECT coalesce(jsonb_agg(jsonb_build_object(
           'clock', clock, 'cycle', cycle, 'state', state, 'contract', contract_id,
           'target_s', round(target_s, 3), 'used_s', round(used_s, 3), 'started_at', started_at,
           'since', since, 'warn_at', warn_at, 'due_at', due_at, 'warned_at', warned_at,
           'breached_at', breached_at, 'ended_at', ended_at,
           'ended_by', ended_by, 'ended_org', ended_org) ORDER BY clock, cycle), '[]'::jsonb)
  FROM ticket_clock WHERE ticket_id = p_ticket
$$;

CREATE FUNCTION baton_sla_recompute(p_ticket uuid) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
    e      event%ROWTYPE;
    result jsonb;
    prev   text := baton_scope_widen();
BEGIN
    BEGIN
        DELETE FROM ticket_clock WHERE ticket_id = p_ticket;
        DELETE FROM ticket_sla WHERE ticket_id = p_ticket;
        FOR e IN SELECT * FROM event WHERE subject_id = p_ticket::text AND kind LIKE 'ticket.%' ORDER BY id LOOP
            PERFORM baton_sla_apply_all(e);
        END LOOP;
        result := baton_sla_clocks_json(p_ticket);
        RAISE EXCEPTION USING ERRCODE = 'BR001', MESSAGE = 'replay done';
    EXCEPTION WHEN SQLSTATE 'BR001' THEN
        NULL;
    END;
    PERFORM baton_scope_restore(prev);
    RETURN result;
END $$;

-- Tickets from before this migration: their clocks from their events.
-- Migrations run with no scope set, which row-level security reads as
-- "nothing": the replay widens it to all for its duration.
DO $$
DECLARE
    e    event%ROWTYPE;
    prev text := baton_scope_widen();
BEGIN
    FOR e IN SELECT ev.* FROM event ev WHERE ev.kind LIKE 'ticket.%' ORDER BY ev.id LOOP
        PERFORM baton_sla_apply_all(e);
    END LOOP;
    PERFORM baton_scope_restore(prev);
END $$;

-- ---- Escalations --------------------------------------------------------------

CREATE TABLE escalation (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id     uuid NOT NULL REFERENCES ticket (id),
    org_id        uuid NOT NULL REFERENCES org (id), -- the ticket's queue when raised: who may see it
    source        text NOT NULL CHECK (source IN ('agent', 'sla')),
    raised_by     uuid REFERENCES principal (id),    -- NULL: the SLA worker
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    urgency       text NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    clock         text,                               -- sla: the clock that breached
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'rejected')),
    level         int NOT NULL CHECK (level BETWEEN 1 AND 10), -- rotation level; 10: the admins
    assignee_id   uuid REFERENCES principal (id),    -- the lead on call it went to; NULL: the admins
    routed_rule   text NOT NULL,
    routed_at     timestamptz NOT NULL,
    expires_at    timestamptz,                        -- NULL at the admins' level: no one above
    expiries      int NOT NULL DEFAULT 0,
    decided_by    uuid REFERENCES principal (id),
    decided_at    timestamptz,
    decision_note text,
    new_owner_id  uuid REFERENCES principal (id),    -- approved: who owns the ticket now
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'open') = (decided_at IS NULL)),
    CHECK ((source = 'agent') = (raised_by IS NOT NULL)),
    CHECK ((state = 'approved') = (new_owner_id IS NOT NULL))
);
CREATE UNIQUE INDEX escalation_one_open ON escalation (ticket_id) WHERE state = 'open';
CREATE INDEX escalation_expiry ON escalation (expires_at) WHERE state = 'open' AND expires_at IS NOT NULL;
CREATE INDEX escalation_assignee ON escalation (assignee_id, created_at) WHERE state = 'open';
CREATE INDEX escalation_ticket ON escalation (ticket_id, created_at);
CREATE INDEX escalation_org ON escalation (org_id, created_at);

-- Where an escalation goes at p_at, from level p_level up: the first
-- rotation level with someone on call (the first of them by handle), else
-- level 10, the in-house admins (no one person; it no longer expires).
CREATE FUNCTION baton_escalation_route(p_level int, p_at timestamptz,
    OUT level int, OUT lead_id uuid, OUT rule text)
    LANGUAGE sql STABLE
    AS $$
SELECT coalesce(x.level, 10), x.principal_id,
       CASE WHEN x.level IS NULL THEN format('nobody on call at level %s or above: to the in-house admins', p_level)
            ELSE format('on call at level %s now (rotation %s): %s', x.level, x.rotation, x.handle) END
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (
       SELECT r.level, r.name AS rotation, sp.principal_id, p.handle
         FROM baton_oncall_spans(p_at, p_at + interval '1 second') sp
         JOIN rotation r ON r.id = sp.rotation_id
         JOIN principal p ON p.id = sp.principal_id
        WHERE r.level >= p_level AND sp.during @> p_at
        ORDER BY r.level, p.handle
        LIMIT 1) x ON true
$$;

-- The escalation's own target: how long the person it went to has.
CREATE FUNCTION baton_escalation_window(p_ticket uuid, p_urgency text) RETURNS interval
    LANGUAGE sql STABLE
    AS $$
SELECT CASE p_urgency WHEN 'urgent' THEN c.escalation_urgent ELSE c.escalation_normal END
  FROM ticket_sla s JOIN sla_contract c ON c.id = s.contract_id
 WHERE s.ticket_id = p_ticket
UNION ALL
SELECT CASE p_urgency WHEN 'urgent' THEN interval '15 minutes' ELSE interval '1 hour' END
LIMIT 1
$$;

-- JSON of an escalation's routing, for events.
CREATE FUNCTION baton_escalation_json(x escalation) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
SELECT jsonb_build_object(
    'ticket', x.ticket_id, 'source', x.source, 'urgency', x.urgency, 'reason', x.reason, 'clock', x.clock,
    'level', x.level, 'to', (SELECT handle FROM principal WHERE id = x.assignee_id), 'routed', x.routed_rule,
    'expires', to_char(x.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- Raises an escalation on a ticket and routes it; the caller holds the
-- ticket's row lock. Returns its id and the body for its
-- escalation.requested event, which the caller writes (batond, so that an
-- agent's request is signed), or no row if one is open already.
CREATE FUNCTION baton_escalation_raise(p_ticket uuid, p_source text, p_actor uuid, p_reason text,
    p_urgency text, p_clock text) RETURNS TABLE (id uuid, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    prev text := baton_scope_widen();
    t    ticket%ROWTYPE;
    r    record;
    x    escalation%ROWTYPE;
BEGIN
    SELECT * INTO t FROM ticket WHERE ticket.id = p_ticket;
    IF FOUND AND NOT EXISTS (SELECT 1 FROM escalation e WHERE e.ticket_id = p_ticket AND e.state = 'open') THEN
        SELECT * INTO r FROM baton_escalation_route(1, now());
        INSERT INTO escalation (ticket_id, org_id, source, raised_by, reason, urgency, clock, level, assignee_id,
                                routed_rule, routed_at, expires_at)
        VALUES (p_ticket, t.org_id, p_source, p_actor, p_reason, p_urgency, p_clock, r.level, r.lead_id, r.rule,
                now(), CASE WHEN r.level < 10 THEN now() + baton_escalation_window(p_ticket, p_urgency) END)
        RETURNING * INTO x;
        id := x.id;
        body := baton_escalation_json(x);
        RETURN NEXT;
    END IF;
    PERFORM baton_scope_restore(prev);
END $$;

-- Passes an open escalation whose time ran out to the next level, under
-- its row lock and after checking again; several instances may try, one
-- acts. Writes escalation.expired. Returns whether it moved it.
CREATE FUNCTION baton_escalation_expire(p_id uuid) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    x   escalation%ROWTYPE;
    r   record;
    was text;
BEGIN
    SELECT * INTO x FROM escalation WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR x.state <> 'open' OR x.expires_at IS NULL OR x.expires_at > now() THEN
        RETURN false;
    END IF;
    SELECT handle INTO was FROM principal WHERE id = x.assignee_id;
    SELECT * INTO r FROM baton_escalation_route(x.level + 1, now());
    UPDATE escalation
       SET level = r.level, assignee_id = r.lead_id, routed_rule = r.rule, routed_at = now(),
           expires_at = CASE WHEN r.level < 10 THEN now() + baton_escalation_window(x.ticket_id, x.urgency) END,
           expiries = expiries + 1
     WHERE id = p_id
    RETURNING * INTO x;
    INSERT INTO event (org_id, kind, subject_id, body)
    VALUES (x.org_id, 'escalation.expired', x.id::text,
            baton_escalation_json(x) || jsonb_build_object('expired_with', was));
    RETURN true;
END $$;

-- The SLA worker's act on one clock (p_what 'warning' or 'breach'): under
-- the ticket's row lock, if the clock is still running and due, writes
-- ticket.sla_warning or ticket.sla_breached (which marks the clock, through
-- baton_sla_apply); a breach also raises an escalation (urgent) unless one
-- is open. Returns whether it fired.
CREATE FUNCTION baton_sla_fire(p_ticket uuid, p_clock text, p_cycle int, p_what text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    t   ticket%ROWTYPE;
    k   ticket_clock%ROWTYPE;
    esc      uuid;
    esc_body jsonb;
    st       jsonb;
BEGIN
    SELECT * INTO t FROM ticket WHERE id = p_ticket FOR UPDATE;
    SELECT * INTO k FROM ticket_clock WHERE ticket_id = p_ticket AND clock = p_clock AND cycle = p_cycle;
    IF NOT FOUND OR k.state <> 'running' THEN
        RETURN false;
    END IF;
    IF p_what = 'warning' AND (k.warned_at IS NOT NULL OR k.warn_at IS NULL OR k.warn_at > now()) THEN
        RETURN false;
    END IF;
    IF p_what = 'breach' AND (k.breached_at IS NOT NULL OR k.due_at IS NULL OR k.due_at > now()) THEN
        RETURN false;
    END IF;
    st := jsonb_build_object('status', t.status, 'owner', (SELECT handle FROM principal WHERE id = t.owner_id),
                             'queue', (SELECT name FROM org WHERE id = t.org_id));
    IF p_what = 'breach' THEN
        SELECT r.id, r.body INTO esc, esc_body
          FROM baton_escalation_raise(p_ticket, 'sla', NULL,
                                      format('%s target breached (cycle %s)', replace(p_clock, '_', ' '), p_cycle),
                                      'urgent', p_clock) r;
    END IF;
    INSERT INTO event (org_id, kind, subject_id, body)
    VALUES (t.org_id, CASE p_what WHEN 'warning' THEN 'ticket.sla_warning' ELSE 'ticket.sla_breached' END,
            p_ticket::text,
            jsonb_build_object('clock', p_clock, 'cycle', p_cycle, 'before', st, 'after', st,
                               'target_s', round(k.target_s, 3),
                               'due', to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                               'escalation', esc));
    IF esc IS NOT NULL THEN
        INSERT INTO event (org_id, kind, subject_id, body)
        SELECT x.org_id, 'escalation.requested', x.id::text, esc_body FROM escalation x WHERE x.id = esc;
    END IF;
    RETURN true;
END $$;

-- Row-level security: a partner sees its own contract versions and the
-- default, the clocks of the tickets it sees, and the escalations raised
-- from its queue; only in-house callers write contracts.
ALTER TABLE sla_contract ENABLE ROW LEVEL SECURITY;
ALTER TABLE sla_contract FORCE ROW LEVEL SECURITY;
CREATE POLICY sla_contract_read ON sla_contract FOR SELECT
    USING (baton_scope_all() OR org_id IS NULL OR org_id = baton_scope_org());
CREATE POLICY sla_contract_write ON sla_contract FOR INSERT WITH CHECK (baton_scope_all());

-- The parts of a contract follow their version; clocks follow their ticket.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sla_target', 'sla_hours', 'sla_holiday'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT'
                       ' USING (EXISTS (SELECT 1 FROM sla_contract c WHERE c.id = contract_id))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (baton_scope_all())', t || '_write', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['ticket_sla', 'ticket_clock'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I'
                       ' USING (baton_scope_all() OR EXISTS (SELECT 1 FROM ticket t WHERE t.id = ticket_id))'
                       ' WITH CHECK (baton_scope_all())', t || '_scope', t);
    END LOOP;
END $$;

ALTER TABLE escalation ENABLE ROW LEVEL SECURITY;
ALTER TABLE escalation FORCE ROW LEVEL SECURITY;
CREATE POLICY escalation_scope ON escalation
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());
