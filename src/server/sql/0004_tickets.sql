-- 0004_tickets.sql - tickets with single ownership, their conversation, routing, the return timer,
-- shift-end hand-off, and events that can be watched after a cursor.
--
-- The rules that must never break live here, not only in C:
--   * a ticket has at most one owner: one column, set only from NULL by a
--     guarded UPDATE under the row lock (ticket_owner_state ties status and
--     owner together);
--   * an owner belongs to the organization whose queue holds the ticket
--     (ticket_check), so partner isolation follows ownership;
--   * the same (source, external_ref) is one ticket (ticket_intake_once);
--   * nothing is deleted (ticket_no_delete, ticket_message_no_delete).
-- docs/tickets.md is the rulebook for people.

-- Whether a ticket in language ticket_lang fits a shift in slot_lang: one
-- is the other or a more specific tag of it ("es" and "es-MX" fit both
-- ways; "pt-BR" and "pt-PT" do not). Case-insensitive, as BCP 47 tags are.
CREATE FUNCTION baton_language_fits(ticket_lang text, slot_lang text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT lower(ticket_lang) = lower(slot_lang)
              OR lower(ticket_lang) LIKE lower(slot_lang) || '-%'
              OR lower(slot_lang) LIKE lower(ticket_lang) || '-%' $$;

-- Priority (docs/tickets.md): severity and customer tier give the base,
-- and every 5 minutes the customer has waited adds one point:
--   base = 100 * (4 - severity) + tier points (strategic 100, priority 50, standard 0)
--   priority(t) = base + floor((t - waiting_since) / 5 min)
CREATE FUNCTION baton_priority_base(severity int, tier text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 100 * (4 - severity)
                 + CASE tier WHEN 'strategic' THEN 100 WHEN 'priority' THEN 50 ELSE 0 END $$;

CREATE FUNCTION baton_priority(base int, waiting_since timestamptz, at timestamptz) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT base + greatest(0, floor(extract(epoch FROM at - waiting_since) / 300))::int $$;

-- Every waiting ticket gains points at the same rate, so the order of two
-- tickets by priority never changes as time passes. rank is that order as
-- one number (points in ms of waiting, minus the start of the wait): it is
-- stored once and queues are read in rank order from an index, with no
-- rewrite of every row as the clock moves.
CREATE FUNCTION baton_priority_rank(base int, waiting_since timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT base::bigint * 300000 - (extract(epoch FROM waiting_since) * 1000)::bigint $$;

-- How long an owner may leave a ticket untouched before it goes back to
-- the queue: per organization, else the default row (org_id NULL).
CREATE TABLE ticket_policy (
    org_id            uuid REFERENCES org (id),
    ownership_timeout interval NOT NULL
                      CHECK (ownership_timeout >= interval '1 second' AND ownership_timeout <= interval '7 days'),
    updated_by        uuid REFERENCES principal (id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_policy_one UNIQUE NULLS NOT DISTINCT (org_id)
);
INSERT INTO ticket_policy (org_id, ownership_timeout) VALUES (NULL, interval '30 minutes');

CREATE FUNCTION baton_ownership_timeout(p_org uuid) RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce((SELECT ownership_timeout FROM ticket_policy WHERE org_id = p_org),
                          (SELECT ownership_timeout FROM ticket_policy WHERE org_id IS NULL),
                          interval '30 minutes') $$;

CREATE TABLE ticket (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source            text NOT NULL CHECK (source ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    external_ref      text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 200),
    subject           text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
    customer_id       text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 200),
    customer_tier     text NOT NULL CHECK (customer_tier IN ('strategic', 'priority', 'standard')),
    channel           text NOT NULL CHECK (channel IN ('email', 'chat', 'phone', 'callback')),
    language          text NOT NULL CHECK (language <> '' AND baton_bcp47_ok(ARRAY[language])),
    severity          int NOT NULL CHECK (severity BETWEEN 1 AND 4),
    priority_base     int NOT NULL,     -- baton_priority_base(severity, customer_tier) (ticket_check)
    waiting_since     timestamptz NOT NULL DEFAULT now(),
    rank              bigint NOT NULL,  -- baton_priority_rank(priority_base, waiting_since) (ticket_check)
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'assigned', 'pending', 'resolved')),
    org_id            uuid NOT NULL REFERENCES org (id), -- whose queue holds it
    routed_rule       text NOT NULL DEFAULT '',          -- why it went there, last time it was routed
    owner_id          uuid REFERENCES principal (id),
    owner_claim_id    uuid REFERENCES claim (id),        -- the shift that let a partner owner take it
    owner_since       timestamptz,
    owner_active_at   timestamptz,                       -- the owner's last act on it
    return_at         timestamptz,                       -- back to the queue if untouched until then
    shift_ends_at     timestamptz,                       -- end of owner_claim_id's shift
    pending_reason    text,
    first_response_at timestamptz,
    last_reply_at     timestamptz,
    resolved_at       timestamptz,
    resolved_by       uuid REFERENCES principal (id),
    resolution_code   text,
    resolution_note   text,
    reopen_count      int NOT NULL DEFAULT 0,
    created_by        uuid REFERENCES principal (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ticket_intake_once UNIQUE (source, external_ref),
    CONSTRAINT ticket_owner_state CHECK ((owner_id IS NOT NULL) = (status IN ('assigned', 'pending'))),
    CONSTRAINT ticket_pending_reason CHECK ((status = 'pending') = (pending_reason IS NOT NULL)),
    CONSTRAINT ticket_resolved CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution_code IS NOT NULL)),
    CONSTRAINT ticket_timer CHECK (return_at IS NULL OR status = 'assigned'),
    CONSTRAINT ticket_shift CHECK (owner_claim_id IS NULL OR owner_id IS NOT NULL)
);
-- Queues and "mine" in priority order (rank DESC, then id), paged by keyset.
CREATE INDEX ticket_queue ON ticket (org_id, status, rank DESC, id);
CREATE INDEX ticket_status ON ticket (status, rank DESC, id);
CREATE INDEX ticket_owner ON ticket (owner_id, status, rank DESC, id) WHERE owner_id IS NOT NULL;
-- What the maintenance pass looks for.
CREATE INDEX ticket_return_at ON ticket (return_at) WHERE return_at IS NOT NULL;
CREATE INDEX ticket_shift_ends_at ON ticket (shift_ends_at) WHERE shift_ends_at IS NOT NULL;
CREATE INDEX ticket_owner_claim ON ticket (owner_claim_id) WHERE owner_claim_id IS NOT NULL;

-- Derived columns, and the owner's organization is the queue's.
CREATE FUNCTION baton_ticket_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    owner_org uuid;
BEGIN
    NEW.priority_base := baton_priority_base(NEW.severity, NEW.customer_tier);
    NEW.rank := baton_priority_rank(NEW.priority_base, NEW.waiting_since);
    IF NEW.owner_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.owner_id IS DISTINCT FROM OLD.owner_id
                                     OR NEW.org_id <> OLD.org_id) THEN
        SELECT org_id INTO owner_org FROM principal WHERE id = NEW.owner_id;
        IF owner_org IS DISTINCT FROM NEW.org_id THEN
            RAISE EXCEPTION 'an owner belongs to the organization whose queue holds the ticket'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.source <> OLD.source OR NEW.external_ref <> OLD.external_ref OR NEW.created_at <> OLD.created_at THEN
            RAISE EXCEPTION 'a ticket keeps its source, reference and creation time' USING ERRCODE = 'check_violation';
        END IF;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ticket_check BEFORE INSERT OR UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION baton_ticket_check();
CREATE TRIGGER ticket_no_delete BEFORE DELETE ON ticket
    FOR EACH ROW EXECUTE FUNCTION baton_refuse_delete();

-- The conversation and internal notes. They travel with the ticket: whoever
-- may see the ticket now may read all of it (the next owner needs the hand-
-- off note), so the policy follows the ticket's. Handles are copied, so a
-- reader sees who wrote even when that person's row is not theirs to see.
CREATE TABLE ticket_message (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     uuid NOT NULL REFERENCES ticket (id),
    kind          text NOT NULL CHECK (kind IN ('customer', 'reply', 'note', 'handoff', 'resolution', 'reopen')),
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    author_id     uuid REFERENCES principal (id), -- NULL: batond itself
    author_handle text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_message_ticket ON ticket_message (ticket_id, id);
CREATE TRIGGER ticket_message_no_delete BEFORE DELETE ON ticket_message
    FOR EACH ROW EXECUTE FUNCTION baton_refuse_delete();

-- Routing: the partner organization whose people hold the most active
-- claims, right now, on live shifts whose language fits the ticket's;
-- ties go to the name that sorts first. No such partner: the in-house
-- organization. rule says which, in words, for the ticket's history.
CREATE FUNCTION baton_route(lang text, at timestamptz)
    RETURNS TABLE (org_id uuid, org_name text, rule text)
    LANGUAGE sql STABLE AS $$
    WITH fit AS (
        SELECT c.org_id, o.name, count(*) AS holders,
               string_agg(DISTINCT s.language, ',' ORDER BY s.language) AS langs
          FROM claim c JOIN slot s ON s.id = c.slot_id JOIN org o ON o.id = c.org_id
          JOIN principal p ON p.id = c.principal_id
         WHERE c.released_at IS NULL AND c.during @> at AND s.cancelled_at IS NULL
           AND o.kind <> 'in_house' AND p.disabled_at IS NULL
           AND baton_language_fits(lang, s.language)
         GROUP BY c.org_id, o.name
         ORDER BY count(*) DESC, o.name
         LIMIT 1
    )
    SELECT f.org_id, f.name,
           format('%s holds %s active claim(s) on %s shifts covering %s', f.name, f.holders, f.langs, lang)
      FROM fit f
    UNION ALL
    SELECT o.id, o.name, format('no partner shift covers %s now: in-house queue', lang)
      FROM org o
     WHERE o.kind = 'in_house' AND NOT EXISTS (SELECT 1 FROM fit)
    $$;

-- The active claim of principal p, now, on a live shift whose language fits
-- lang, ending last (NULL if none): what lets a partner's person own a ticket.
CREATE FUNCTION baton_fitting_claim(p uuid, lang text)
    RETURNS TABLE (claim_id uuid, ends_at timestamptz)
    LANGUAGE sql STABLE AS $$
    SELECT c.id, upper(c.during)
      FROM claim c JOIN slot s ON s.id = c.slot_id
     WHERE c.principal_id = p AND c.released_at IS NULL AND c.during @> now()
       AND s.cancelled_at IS NULL AND baton_language_fits(lang, s.language)
     ORDER BY upper(c.during) DESC, c.id
     LIMIT 1
    $$;

-- A claim released or moved in time ends (or moves) the shift of the
-- tickets it let someone own; the maintenance pass hands them off.
CREATE FUNCTION baton_claim_shift_moved() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket
       SET shift_ends_at = CASE WHEN NEW.released_at IS NOT NULL THEN least(upper(NEW.during), NEW.released_at)
                                ELSE upper(NEW.during) END
     WHERE owner_claim_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_shift_moved AFTER UPDATE OF released_at, during ON claim
    FOR EACH ROW EXECUTE FUNCTION baton_claim_shift_moved();

-- Events: a second organization that may see one (a ticket moving between
-- queues is news to both), and the writing transaction's id, so that
-- Watch can hand out events in an order that never lets a later commit
-- slip in behind a cursor (docs/decisions.md).
ALTER TABLE event ADD COLUMN also_org_id uuid REFERENCES org (id);
ALTER TABLE event ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX event_xid ON event (xid, id);
CREATE INDEX event_org_xid ON event (org_id, xid, id);
CREATE INDEX event_also_org_xid ON event (also_org_id, xid, id) WHERE also_org_id IS NOT NULL;
CREATE INDEX event_subject ON event (subject_id, id);

DROP POLICY event_scope ON event;
CREATE POLICY event_scope ON event
    USING (baton_scope_all() OR org_id = baton_scope_org() OR also_org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

-- Wakes the long polls of every batond (LISTEN baton_event); PostgreSQL
-- delivers it at commit and folds a transaction's repeats into one.
CREATE FUNCTION baton_event_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('baton_event', '');
    RETURN NULL;
END $$;
CREATE TRIGGER event_notify AFTER INSERT ON event
    FOR EACH STATEMENT EXECUTE FUNCTION baton_event_notify();

-- Back to the queue, routed again, by batond itself (no actor): the owner
-- left it untouched past return_at (why 'idle'), or the owner's shift
-- ended with no other fitting shift to carry it on (why 'shift_end'). The
-- condition is checked again under the row lock, so of several instances
-- only one acts. Returns whether it moved the ticket.
CREATE FUNCTION baton_ticket_requeue(t_id uuid, why text) RETURNS boolean
    LANGUAGE plpgsql AS $$
DECLARE
    t ticket%ROWTYPE;
    r record;
    next_claim record;
    owner_handle text;
    shift jsonb;
BEGIN
    SELECT * INTO t FROM ticket WHERE id = t_id FOR UPDATE;
    IF NOT FOUND OR t.owner_id IS NULL THEN
        RETURN false;
    END IF;
    IF why = 'idle' AND (t.return_at IS NULL OR t.return_at > now()) THEN
        RETURN false;
    END IF;
    IF why = 'shift_end' THEN
        IF t.shift_ends_at IS NULL OR t.shift_ends_at > now() THEN
            RETURN false;
        END IF;
        -- Back-to-back shifts carry the ticket on.
        SELECT * INTO next_claim FROM baton_fitting_claim(t.owner_id, t.language);
        IF next_claim.claim_id IS NOT NULL AND next_claim.ends_at > now() THEN
            UPDATE ticket SET owner_claim_id = next_claim.claim_id, shift_ends_at = next_claim.ends_at
             WHERE id = t_id;
            RETURN false;
        END IF;
        SELECT jsonb_build_object('claim', c.id, 'slot', s.id, 'queue', s.queue, 'language', s.language,
                                  'from', to_char(lower(s.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                  'to', to_char(upper(s.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                  'released', c.released_at IS NOT NULL)
          INTO shift
          FROM claim c JOIN slot s ON s.id = c.slot_id WHERE c.id = t.owner_claim_id;
    END IF;
    SELECT handle INTO owner_handle FROM principal WHERE id = t.owner_id;
    SELECT * INTO r FROM baton_route(t.language, now());
    UPDATE ticket
       SET status = 'queued', owner_id = NULL, owner_claim_id = NULL, owner_since = NULL,
           owner_active_at = NULL, return_at = NULL, shift_ends_at = NULL, pending_reason = NULL,
           org_id = r.org_id, routed_rule = r.rule
     WHERE id = t_id;
    INSERT INTO event (org_id, also_org_id, kind, subject_id, body)
    VALUES (t.org_id, nullif(r.org_id, t.org_id),
            CASE why WHEN 'idle' THEN 'ticket.returned' ELSE 'ticket.handed_off' END, t_id::text,
            jsonb_build_object(
                'reason', CASE why WHEN 'idle' THEN 'untouched past the ownership timeout'
                                   ELSE 'the owner''s shift ended' END,
                'before', jsonb_build_object('status', t.status, 'owner', owner_handle,
                                             'queue', (SELECT name FROM org WHERE id = t.org_id)),
                'after', jsonb_build_object('status', 'queued', 'owner', NULL, 'queue', r.org_name),
                'routed', r.rule,
                'idle_since', CASE why WHEN 'idle' THEN to_char(t.owner_active_at AT TIME ZONE 'UTC',
                                                                'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
                'shift', shift));
    RETURN true;
END $$;

-- Row-level security: a partner sees the tickets in its own queue, and
-- through them their messages; policies are readable by the organization
-- they concern (and the default by everyone); only in-house callers set them.
ALTER TABLE ticket ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket FORCE ROW LEVEL SECURITY;
CREATE POLICY ticket_scope ON ticket
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

ALTER TABLE ticket_message ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_message FORCE ROW LEVEL SECURITY;
CREATE POLICY ticket_message_scope ON ticket_message
    USING (baton_scope_all() OR EXISTS (SELECT 1 FROM ticket t WHERE t.id = ticket_id))
    WITH CHECK (baton_scope_all() OR EXISTS (SELECT 1 FROM ticket t WHERE t.id = ticket_id));

ALTER TABLE ticket_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_policy FORCE ROW LEVEL SECURITY;
CREATE POLICY ticket_policy_read ON ticket_policy FOR SELECT
    USING (baton_scope_all() OR org_id IS NULL OR org_id = baton_scope_org());
CREATE POLICY ticket_policy_write ON ticket_policy FOR ALL
    USING (baton_scope_all()) WITH CHECK (baton_scope_all());
