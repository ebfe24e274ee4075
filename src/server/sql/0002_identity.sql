-- 0002_identity.sql - organizations, principals, keys, events, exactly-once records, handshake replay guard,
-- and the row-level security that keeps partners to their own rows.

-- Every call's transaction says whose it is (db_tx_begin):
--   baton.scope = 'all' (in-house principals and the server itself)
--              or 'org' (partner principals: only rows of baton.org)
-- Unset means nothing is visible: scoped tables fail closed.
CREATE FUNCTION baton_scope_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('baton.scope', true), '') = 'all' $$;

CREATE FUNCTION baton_scope_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('baton.org', true), '')::uuid $$;

-- BCP 47 tags in their common shape: language (2-3 letters), then optional
-- script/region/variant subtags ("pl", "es-419", "pt-BR", "sr-Latn-RS").
CREATE FUNCTION baton_bcp47_ok(tags text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(bool_and(t ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'), true) FROM unnest(tags) AS t $$;

-- Names are looked up as names and ids as ids; a name shaped like an id
-- could otherwise shadow one.
CREATE FUNCTION baton_uuid_shaped(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' $$;

CREATE TABLE org (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$' AND NOT baton_uuid_shaped(name)),
    kind       text NOT NULL
               CHECK (kind IN ('in_house', 'after_hours', 'seasonal', 'language', 'overflow')),
    languages  text[] NOT NULL DEFAULT '{}' CHECK (baton_bcp47_ok(languages)),
    time_zone  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Exactly one in-house organization at most.
CREATE UNIQUE INDEX org_one_in_house ON org ((true)) WHERE kind = 'in_house';

CREATE TABLE principal (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES org (id),
    handle          text NOT NULL UNIQUE
                    CHECK (handle ~ '^[a-z0-9][a-z0-9._@-]{0,62}$' AND NOT baton_uuid_shaped(handle)),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role            text NOT NULL
                    CHECK (role IN ('agent', 'manager', 'lead', 'admin', 'integration')),
    disabled_at     timestamptz,
    disabled_reason text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX principal_org ON principal (org_id);

-- Leads, admins and integrations belong to the in-house organization.
CREATE FUNCTION baton_principal_role_check() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role IN ('lead', 'admin', 'integration')
       AND (SELECT kind FROM org WHERE id = NEW.org_id) IS DISTINCT FROM 'in_house' THEN
        RAISE EXCEPTION 'role % is only for the in-house organization', NEW.role
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER principal_role_check BEFORE INSERT OR UPDATE OF role, org_id ON principal
    FOR EACH ROW EXECUTE FUNCTION baton_principal_role_check();

CREATE TABLE principal_key (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    principal_id   uuid NOT NULL REFERENCES principal (id),
    org_id         uuid NOT NULL REFERENCES org (id), -- the principal's, for row-level security
    public_key     bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX principal_key_principal ON principal_key (principal_id);

-- Every change appends an event. The actor's signature over the request
-- (docs/protocol.md) is kept with the bytes it covers, so the event can be
-- verified again later against the key registered at the time.
CREATE TABLE event (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    org_id            uuid REFERENCES org (id), -- whose it is (scoping); NULL: in-house only
    kind              text NOT NULL,            -- 'org.added', 'key.revoked', ...
    subject_id        text NOT NULL,
    body              jsonb NOT NULL DEFAULT '{}',
    actor_id          uuid REFERENCES principal (id), -- NULL: batond itself
    actor_key_id      uuid REFERENCES principal_key (id),
    method            text,
    request_id        bytea,
    request_payload   bytea,
    session_binding   bytea,
    signature         bytea
);
CREATE INDEX event_org ON event (org_id, id);

-- Exactly once: a state-changing request is recorded with its reply in the
-- transaction of its effect; a resend finds the record and gets the reply.
CREATE TABLE request_record (
    principal_id uuid NOT NULL,
    org_id       uuid NOT NULL,           -- the principal's, for row-level security
    request_id   bytea NOT NULL CHECK (length(request_id) = 16),
    method       text NOT NULL,
    payload_hash bytea NOT NULL,
    reply        bytea NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, request_id)
);
CREATE INDEX request_record_created ON request_record (created_at);

-- Handshakes seen within the clock window, by client ephemeral key: a
-- replayed handshake is refused on every instance.
CREATE TABLE handshake_seen (
    client_ephemeral bytea PRIMARY KEY,
    seen_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handshake_seen_at ON handshake_seen (seen_at);

-- Partner isolation, enforced by the database and not only by C code.
-- FORCE makes the policies apply to the table owner (batond's role) too;
-- batond refuses to start as a superuser or a BYPASSRLS role.
ALTER TABLE org ENABLE ROW LEVEL SECURITY;
ALTER TABLE org FORCE ROW LEVEL SECURITY;
CREATE POLICY org_scope ON org
    USING (baton_scope_all() OR id = baton_scope_org())
    WITH CHECK (baton_scope_all());

ALTER TABLE principal ENABLE ROW LEVEL SECURITY;
ALTER TABLE principal FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_scope ON principal
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

ALTER TABLE principal_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE principal_key FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_key_scope ON principal_key
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

ALTER TABLE request_record ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_record FORCE ROW LEVEL SECURITY;
CREATE POLICY request_record_scope ON request_record
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());

ALTER TABLE event ENABLE ROW LEVEL SECURITY;
ALTER TABLE event FORCE ROW LEVEL SECURITY;
CREATE POLICY event_scope ON event
    USING (baton_scope_all() OR org_id = baton_scope_org())
    WITH CHECK (baton_scope_all() OR org_id = baton_scope_org());
