-- 0003_shifts.sql - shift slots, seat claims, swaps, lead on-call rotations, coverage.
--
-- The rules that must never break live here as constraints, not only in C:
--   * a slot never has more active claims than seats (slot_capacity, kept by
--     the claim_count trigger under the slot's row lock);
--   * nothing is deleted: slots are cancelled, claims released;
--   * a person never holds two overlapping active claims (claim_no_overlap,
--     an exclusion constraint over the claim's copy of the slot's range);
--   * a claim is only for someone the slot is open to, whose organization
--     speaks its language, on a live slot that has not ended (claim_check).

-- Equality on uuid inside a GiST exclusion constraint. A trusted extension:
-- the database owner (batond's ordinary role) may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- RFC 4647 basic filtering: the wanted language is a range ("es"), spoken by
-- an organization that lists it or a more specific tag ("es", "es-MX").
-- Case-insensitive, as BCP 47 tags are.
CREATE FUNCTION baton_language_covers(spoken text[], wanted text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT EXISTS (SELECT 1 FROM unnest(spoken) AS t
                          WHERE lower(t) = lower(wanted) OR lower(t) LIKE lower(wanted) || '-%') $$;

-- Whether a slot open to open_orgs / open_kinds is open to organization
-- p_org. Both empty: open to every partner (not to the in-house staff,
-- unless 'in_house' is listed among the kinds).
CREATE FUNCTION baton_slot_open_to(open_orgs uuid[], open_kinds text[], p_org uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN cardinality(open_orgs) = 0 AND cardinality(open_kinds) = 0
                      THEN coalesce((SELECT o.kind <> 'in_house' FROM org o WHERE o.id = p_org), false)
                      ELSE p_org = ANY (open_orgs)
                           OR coalesce((SELECT o.kind = ANY (open_kinds) FROM org o WHERE o.id = p_org), false)
                 END $$;

-- A weekly pattern as UTC instants: every day from first_day for weeks weeks
-- whose ISO day of week (1 = Monday .. 7 = Sunday) is in dows, from
-- local_start to local_end wall-clock time in time zone tz; an end at or
-- before the start is on the next day (18:00-02:00). PostgreSQL's time-zone
-- database does the DST arithmetic: the slot starts at local_start on every
-- date, whatever the UTC offset that day. A wall-clock time that does not
-- exist (skipped by a spring-forward) or exists twice (fall-back) is placed
-- by PostgreSQL's documented rule for AT TIME ZONE.
CREATE FUNCTION baton_weekly_instants(first_day date, weeks int, dows int[], local_start time,
                                      local_end time, tz text)
    RETURNS TABLE (local_day date, starts timestamptz, ends timestamptz)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT d::date,
                 (d::date + local_start) AT TIME ZONE tz,
                 ((d::date + CASE WHEN local_end <= local_start THEN 1 ELSE 0 END) + local_end) AT TIME ZONE tz
            FROM generate_series(first_day::timestamp, (first_day + 7 * weeks - 1)::timestamp, interval '1 day') AS d
           WHERE extract(isodow FROM d)::int = ANY (dows)
           ORDER BY 1 $$;

-- History is kept: slots are cancelled and claims released, never deleted.
CREATE FUNCTION baton_refuse_delete() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept for the record; cancel or release instead', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END $$;

-- A weekly publication, kept so a listing can say where a slot came from.
CREATE TABLE slot_series (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    days        int[] NOT NULL CHECK (cardinality(days) BETWEEN 1 AND 7 AND days <@ ARRAY[1, 2, 3, 4, 5, 6, 7]),
    local_start time NOT NULL,
    local_end   time NOT NULL,
    time_zone   text NOT NULL,
    first_day   date NOT NULL,
    weeks       int NOT NULL CHECK (weeks BETWEEN 1 AND 52),
    created_by  uuid REFERENCES principal (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE slot (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    series_id        uuid REFERENCES slot_series (id),
    queue            text NOT NULL CHECK (queue ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    language         text NOT NULL CHECK (language <> '' AND baton_bcp47_ok(ARRAY[language])),
    during           tstzrange NOT NULL
                     CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)
                            AND lower_inc(during) AND NOT upper_inc(during)
                            AND upper(during) - lower(during) <= interval '24 hours'),
    seats            int NOT NULL CHECK (seats BETWEEN 1 AND 1000),
    seats_taken      int NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    open_to_orgs     uuid[] NOT NULL DEFAULT '{}',
    open_to_kinds    text[] NOT NULL DEFAULT '{}'
                     CHECK (open_to_kinds <@ ARRAY['in_house', 'after_hours', 'seasonal', 'language', 'overflow']),
    -- Who must approve a swap of a seat of this slot.
    swap_approval    text NOT NULL DEFAULT 'none' CHECK (swap_approval IN ('none', 'manager', 'lead')),
    -- Holders may release their seat until this long before the start.
    release_cutoff   interval NOT NULL CHECK (release_cutoff >= interval '0' AND release_cutoff <= interval '30 days'),
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    cancelled_at     timestamptz,
    cancelled_reason text,
    created_by       uuid REFERENCES principal (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT slot_capacity CHECK (seats_taken <= seats),
    CONSTRAINT slot_cancelled_is_empty CHECK (cancelled_at IS NULL OR seats_taken = 0)
);
CREATE INDEX slot_during ON slot USING gist (during);
CREATE INDEX slot_series_id ON slot (series_id);

CREATE TABLE claim (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slot_id         uuid NOT NULL REFERENCES slot (id),
    principal_id    uuid NOT NULL REFERENCES principal (id),
    org_id          uuid NOT NULL REFERENCES org (id), -- the holder's (claim_check sets it)
    during          tstzrange NOT NULL,                -- the slot's (claim_check sets it; slot_edit keeps it)
    claimed_by      uuid NOT NULL REFERENCES principal (id),
    via_swap        uuid,                              -- the swap that gave it (FK below)
    created_at      timestamptz NOT NULL DEFAULT now(),
    released_at     timestamptz,
    released_by     uuid REFERENCES principal (id),
    released_reason text,
    CONSTRAINT claim_no_overlap EXCLUDE USING gist (principal_id WITH =, during WITH &&)
        WHERE (released_at IS NULL)
);
CREATE INDEX claim_slot_active ON claim (slot_id) WHERE released_at IS NULL;
CREATE INDEX claim_principal ON claim (principal_id, created_at);
CREATE INDEX claim_org ON claim (org_id);

-- New claims: copy the slot's range and the holder's organization, and
-- refuse what no claim may be. Messages are for people; C checks first and
-- says the same, this is the backstop.
CREATE FUNCTION baton_claim_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    s slot%ROWTYPE;
    p principal%ROWTYPE;
    langs text[];
BEGIN
    SELECT * INTO s FROM slot WHERE id = NEW.slot_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no slot %', NEW.slot_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT * INTO p FROM principal WHERE id = NEW.principal_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no principal %', NEW.principal_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.during := s.during;
    NEW.org_id := p.org_id;
    IF NEW.released_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF s.cancelled_at IS NOT NULL THEN
        RAISE EXCEPTION 'slot % is cancelled', s.id USING ERRCODE = 'check_violation';
    END IF;
    IF upper(s.during) <= now() THEN
        RAISE EXCEPTION 'slot % has ended', s.id USING ERRCODE = 'check_violation';
    END IF;
    IF p.disabled_at IS NOT NULL THEN
        RAISE EXCEPTION '% is disabled', p.handle USING ERRCODE = 'check_violation';
    END IF;
    IF p.role NOT IN ('agent', 'manager') THEN
        RAISE EXCEPTION '% is a %; seats are for agents and managers', p.handle, p.role
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT baton_slot_open_to(s.open_to_orgs, s.open_to_kinds, p.org_id) THEN
        RAISE EXCEPTION 'slot % is not open to the organization of %', s.id, p.handle
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT o.languages INTO langs FROM org o WHERE o.id = p.org_id;
    IF NOT baton_language_covers(coalesce(langs, '{}'), s.language) THEN
        RAISE EXCEPTION 'the organization of % does not speak %', p.handle, s.language
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER claim_check BEFORE INSERT ON claim
    FOR EACH ROW EXECUTE FUNCTION baton_claim_check();

-- A claim never moves to another slot or person, and a released one stays
-- released (undoing a swap makes a new claim).
CREATE FUNCTION baton_claim_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.slot_id <> OLD.slot_id OR NEW.principal_id <> OLD.principal_id OR NEW.org_id <> OLD.org_id THEN
        RAISE EXCEPTION 'a claim keeps its slot and holder' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.released_at IS NOT NULL AND NEW.released_at IS DISTINCT FROM OLD.released_at THEN
        RAISE EXCEPTION 'claim % is already released', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER claim_immutable BEFORE UPDATE ON claim
    FOR EACH ROW EXECUTE FUNCTION baton_claim_immutable();

-- Seats taken = active claims, counted under the slot's row lock, so
-- slot_capacity refuses the claim that would be one too many (and
-- slot_cancelled_is_empty one racing a cancellation). The counter is the
-- database's own bookkeeping: it is moved whoever's transaction it is, so
-- partners, who may not change slots, still move it through their claims.
-- A claim whose slot moved in time while it waited for the lock is retried.
CREATE FUNCTION baton_claim_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    delta int;
    scope text;
    now_during tstzrange;
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := CASE WHEN NEW.released_at IS NULL THEN 1 ELSE 0 END;
    ELSE
        delta := (CASE WHEN NEW.released_at IS NULL THEN 1 ELSE 0 END)
               - (CASE WHEN OLD.released_at IS NULL THEN 1 ELSE 0 END);
    END IF;
    IF delta = 0 THEN
        RETURN NULL;
    END IF;
    scope := coalesce(current_setting('baton.scope', true), '');
    PERFORM set_config('baton.scope', 'all', true);
    UPDATE slot SET seats_taken = seats_taken + delta WHERE id = NEW.slot_id RETURNING during INTO now_during;
    PERFORM set_config('baton.scope', scope, true);
    IF now_during IS NULL THEN
        RAISE EXCEPTION 'no slot %', NEW.slot_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'INSERT' AND now_during <> NEW.during THEN
        RAISE EXCEPTION 'slot % changed while the claim waited; try again', NEW.slot_id
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER claim_count AFTER INSERT OR UPDATE OF released_at ON claim
    FOR EACH ROW EXECUTE FUNCTION baton_claim_count();
CREATE TRIGGER claim_no_delete BEFORE DELETE ON claim
    FOR EACH ROW EXECUTE FUNCTION baton_refuse_delete();

-- A new slot range is carried to its active claims, where claim_no_overlap
-- checks it again for every holder.
CREATE FUNCTION baton_slot_edit() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.during <> OLD.during THEN
        UPDATE claim SET during = NEW.during WHERE slot_id = NEW.id AND released_at IS NULL;
    END IF;
    NEW.updated_at := CASE WHEN NEW.seats_taken <> OLD.seats_taken AND NEW.seats = OLD.seats
                           THEN OLD.updated_at ELSE now() END;
    RETURN NEW;
END $$;
CREATE TRIGGER slot_edit BEFORE UPDATE ON slot
    FOR EACH ROW EXECUTE FUNCTION baton_slot_edit();
CREATE TRIGGER slot_no_delete BEFORE DELETE ON slot
    FOR EACH ROW EXECUTE FUNCTION baton_refuse_delete();

-- A holder offers their seat; someone else eligible takes it, at once or
-- after the approval the slot asks for. At most one open offer per claim.
CREATE TABLE swap (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slot_id       uuid NOT NULL REFERENCES slot (id),
    claim_id      uuid NOT NULL REFERENCES claim (id), -- the seat offered
    org_id        uuid NOT NULL REFERENCES org (id),   -- the holder's
    offered_by    uuid NOT NULL REFERENCES principal (id),
    offered_to    uuid REFERENCES principal (id),      -- only this person may take it, if set
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    approval      text NOT NULL CHECK (approval IN ('none', 'manager', 'lead')),
    state         text NOT NULL DEFAULT 'offered'
                  CHECK (state IN ('offered', 'awaiting_approval', 'done', 'withdrawn', 'undone')),
    taker_id      uuid REFERENCES principal (id),
    taker_org_id  uuid REFERENCES org (id),
    taken_at      timestamptz,
    decided_by    uuid REFERENCES principal (id),      -- approved, rejected or withdrew
    decided_at    timestamptz,
    decision_note text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 500),
    new_claim_id  uuid REFERENCES claim (id),          -- the taker's seat once done
    undone_by     uuid REFERENCES principal (id),
    undone_at     timestamptz,
    restored_claim_id uuid REFERENCES claim (id),      -- the holder's seat again after an undo
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((state IN ('awaiting_approval', 'done', 'undone')) = (taker_id IS NOT NULL)),
    CHECK ((state IN ('done', 'undone')) = (new_claim_id IS NOT NULL))
);
CREATE UNIQUE INDEX swap_one_open ON swap (claim_id) WHERE state IN ('offered', 'awaiting_approval');
CREATE INDEX swap_slot ON swap (slot_id);
ALTER TABLE claim ADD CONSTRAINT claim_via_swap FOREIGN KEY (via_swap) REFERENCES swap (id);

-- Lead on-call rotations. Members take turns in order; turns change at the
-- hand-off, counted in wall-clock time of the rotation's zone (a daily
-- rotation hands off at 09:00 local every day, so across a DST change one
-- turn is 23 or 25 hours long).
CREATE TABLE rotation (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$' AND NOT baton_uuid_shaped(name)),
    level        int NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 9), -- escalation level (1 first)
    time_zone    text NOT NULL,
    starts_local timestamp NOT NULL, -- the first hand-off, wall clock in time_zone
    turn         interval NOT NULL CHECK (turn >= interval '1 hour' AND turn <= interval '28 days'),
    members      uuid[] NOT NULL CHECK (cardinality(members) BETWEEN 1 AND 100),
    created_by   uuid REFERENCES principal (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- add: someone on call besides the turn's member; remove: the person is
-- not on call; replace: replacement_id instead of principal_id.
CREATE TABLE rotation_override (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rotation_id    uuid NOT NULL REFERENCES rotation (id),
    during         tstzrange NOT NULL
                   CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)
                          AND lower_inc(during) AND NOT upper_inc(during)),
    action         text NOT NULL CHECK (action IN ('add', 'remove', 'replace')),
    principal_id   uuid NOT NULL REFERENCES principal (id),
    replacement_id uuid REFERENCES principal (id),
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by     uuid REFERENCES principal (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((action = 'replace') = (replacement_id IS NOT NULL))
);
CREATE INDEX rotation_override_rotation ON rotation_override (rotation_id);

-- Only in-house leads and admins are on call.
CREATE FUNCTION baton_oncall_member_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
    bad text;
BEGIN
    -- Whoever goes on call; taking someone off call needs no check (a
    -- departed lead can still be removed or replaced).
    IF TG_TABLE_NAME = 'rotation' THEN
        ids := NEW.members;
    ELSIF NEW.action = 'add' THEN
        ids := ARRAY[NEW.principal_id];
    ELSIF NEW.action = 'replace' THEN
        ids := ARRAY[NEW.replacement_id];
    ELSE
        ids := '{}';
    END IF;
    SELECT string_agg(coalesce(p.handle, m::text), ', ') INTO bad
      FROM unnest(ids) AS m
      LEFT JOIN principal p ON p.id = m
      LEFT JOIN org o ON o.id = p.org_id
     WHERE m IS NOT NULL
       AND (p.id IS NULL OR p.role NOT IN ('lead', 'admin') OR o.kind <> 'in_house' OR p.disabled_at IS NOT NULL);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'not an enabled in-house lead or admin: %', bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER rotation_member_check BEFORE INSERT OR UPDATE ON rotation
    FOR EACH ROW EXECUTE FUNCTION baton_oncall_member_check();
CREATE TRIGGER rotation_override_member_check BEFORE INSERT ON rotation_override
    FOR EACH ROW EXECUTE FUNCTION baton_oncall_member_check();

-- Who is on call during [p_from, p_to): one row per rotation, person and
-- stretch of time (stretches of one person merged), turns first, then the
-- overrides applied. Disabled people are on call for nobody, so their
-- turns show as gaps. At most 62 days at a time (nothing beyond).
CREATE FUNCTION baton_oncall_spans(p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (rotation_id uuid, principal_id uuid, during tstzrange)
    LANGUAGE sql STABLE
    AS $$
WITH win AS (
    SELECT tstzrange(p_from, greatest(p_from, p_to)) AS w
     WHERE p_to > p_from AND p_to - p_from <= interval '62 days'
), turns AS (
    SELECT r.id AS rotation_id,
           r.members[1 + (k % cardinality(r.members))::int] AS principal_id,
           tstzrange((r.starts_local + k * r.turn) AT TIME ZONE r.time_zone,
                     (r.starts_local + (k + 1) * r.turn) AT TIME ZONE r.time_zone) * win.w AS during
      FROM rotation r
     CROSS JOIN win
     CROSS JOIN LATERAL generate_series(
           greatest(0, floor(extract(epoch FROM (p_from AT TIME ZONE r.time_zone) - r.starts_local)
                             / extract(epoch FROM r.turn))::bigint),
           floor(extract(epoch FROM (p_to AT TIME ZONE r.time_zone) - r.starts_local)
                 / extract(epoch FROM r.turn))::bigint) AS k
), overrides AS (
    SELECT o.rotation_id, o.action, o.principal_id, o.replacement_id, o.during * win.w AS during
      FROM rotation_override o CROSS JOIN win
     WHERE o.during && win.w
), plus AS (
    SELECT t.rotation_id, t.principal_id, t.during FROM turns t WHERE NOT isempty(t.during)
    UNION ALL
    SELECT o.rotation_id, o.principal_id, o.during FROM overrides o WHERE o.action = 'add'
    UNION ALL
    SELECT o.rotation_id, o.replacement_id, o.during FROM overrides o WHERE o.action = 'replace'
), minus AS (
    SELECT o.rotation_id, o.principal_id, range_agg(o.during) AS m
      FROM overrides o WHERE o.action IN ('remove', 'replace')
     GROUP BY 1, 2
), merged AS (
    SELECT p.rotation_id, p.principal_id, range_agg(p.during) AS m
      FROM plus p GROUP BY 1, 2
)
SELECT mg.rotation_id, mg.principal_id, u.during
  FROM merged mg
  JOIN principal pr ON pr.id = mg.principal_id AND pr.disabled_at IS NULL
  LEFT JOIN minus mi ON mi.rotation_id = mg.rotation_id AND mi.principal_id = mg.principal_id
 CROSS JOIN LATERAL unnest(mg.m - coalesce(mi.m, '{}'::tstzmultirange)) AS u(during)
 ORDER BY lower(u.during), 1, 2
$$;

-- Stretches of [p_from, p_to) with nobody on call in any rotation. At most
-- 62 days at a time (nothing beyond), as baton_oncall_spans.
CREATE FUNCTION baton_oncall_gaps(p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (during tstzrange)
    LANGUAGE sql STABLE
    AS $$
SELECT g FROM unnest(tstzmultirange(tstzrange(p_from, greatest(p_from, p_to)))
                     - coalesce((SELECT range_agg(s.during) FROM baton_oncall_spans(p_from, p_to) s),
                                '{}'::tstzmultirange)) AS g
 WHERE p_to > p_from AND p_to - p_from <= interval '62 days'
 ORDER BY lower(g)
$$;

-- Coverage, hour by hour over [p_from, p_to), the hours aligned to time
-- zone tz: per queue and language, the seats wanted by the live slots
-- overlapping the hour and the seats claimed in them.
CREATE FUNCTION baton_coverage(p_from timestamptz, p_to timestamptz, tz text)
    RETURNS TABLE (hour timestamptz, queue text, language text, wanted bigint, claimed bigint)
    LANGUAGE sql STABLE
    AS $$
SELECT h, s.queue, s.language, sum(s.seats), sum(s.seats_taken)
  FROM generate_series(date_trunc('hour', p_from, tz), p_to - interval '1 microsecond', interval '1 hour') AS h
  JOIN slot s ON s.cancelled_at IS NULL AND s.during && tstzrange(h, h + interval '1 hour')
 WHERE p_to > p_from AND p_to - p_from <= interval '62 days'
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
$$;

-- Coverage gaps already announced as events, so each is announced once
-- (by whichever batond gets there first) and again only if it reopens.
-- what = 'seats' (queue, language set) or 'oncall' (both '').
CREATE TABLE coverage_gap_notice (
    what       text NOT NULL CHECK (what IN ('seats', 'oncall')),
    queue      text NOT NULL DEFAULT '',
    language   text NOT NULL DEFAULT '',
    hour       timestamptz NOT NULL,
    short      bigint NOT NULL,
    noticed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (what, queue, language, hour)
);

-- Partner isolation. Slots: partners see the slots open to them and change
-- none (their claims move the seat counter through claim_count). Claims and
-- swaps: their own organization's, plus open offers on slots they may see
-- (so another partner may take them). Rotations and gap notices are
-- in-house only.
ALTER TABLE slot_series ENABLE ROW LEVEL SECURITY;
ALTER TABLE slot_series FORCE ROW LEVEL SECURITY;
CREATE POLICY slot_series_scope ON slot_series USING (baton_scope_all()) WITH CHECK (baton_scope_all());

ALTER TABLE slot ENABLE ROW LEVEL SECURITY;
ALTER TABLE slot FORCE ROW LEVEL SECURITY;
CREATE POLICY slot_read ON slot FOR SELECT
    USING (baton_scope_all() OR baton_slot_open_to(open_to_orgs, open_to_kinds, baton_scope_org()));
CREATE POLICY slot_insert ON slot FOR INSERT WITH CHECK (baton_scope_all());
CREATE POLICY slot_update ON slot FOR UPDATE USING (baton_scope_all()) WITH CHECK (baton_scope_all());
-- So that slot_no_delete says why instead of a DELETE finding no rows.
CREATE POLICY slot_delete ON slot FOR DELETE USING (baton_scope_all());

ALTER TABLE claim ENABLE ROW LEVEL SECURITY;
ALTER TABLE claim FORCE ROW LEVEL SECURITY;
CREATE POLICY claim_scope ON claim
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

ALTER TABLE swap ENABLE ROW LEVEL SECURITY;
ALTER TABLE swap FORCE ROW LEVEL SECURITY;
CREATE POLICY swap_read ON swap FOR SELECT
    USING (baton_scope_all() OR org_id = baton_scope_org() OR taker_org_id = baton_scope_org()
           OR (state = 'offered' AND EXISTS (SELECT 1 FROM slot s WHERE s.id = slot_id)));
CREATE POLICY swap_insert ON swap FOR INSERT
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());
CREATE POLICY swap_update ON swap FOR UPDATE
    USING (baton_scope_all() OR org_id = baton_scope_org() OR taker_org_id = baton_scope_org()
           OR (state = 'offered' AND EXISTS (SELECT 1 FROM slot s WHERE s.id = slot_id)))
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org() OR taker_org_id = baton_scope_org());

ALTER TABLE rotation ENABLE ROW LEVEL SECURITY;
ALTER TABLE rotation FORCE ROW LEVEL SECURITY;
CREATE POLICY rotation_scope ON rotation USING (baton_scope_all()) WITH CHECK (baton_scope_all());

ALTER TABLE rotation_override ENABLE ROW LEVEL SECURITY;
ALTER TABLE rotation_override FORCE ROW LEVEL SECURITY;
CREATE POLICY rotation_override_scope ON rotation_override USING (baton_scope_all()) WITH CHECK (baton_scope_all());

ALTER TABLE coverage_gap_notice ENABLE ROW LEVEL SECURITY;
ALTER TABLE coverage_gap_notice FORCE ROW LEVEL SECURITY;
CREATE POLICY coverage_gap_notice_scope ON coverage_gap_notice
    USING (baton_scope_all()) WITH CHECK (baton_scope_all());
