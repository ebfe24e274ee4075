-- 0006_audit.sql - the sealed audit trail. Events are append-only; a sealing step that runs
-- behind the writes (batond's maintenance pass, one instance at a time) chains them by hash in
-- commit order, and batond signs checkpoints of the chain with its server key. Writers never
-- wait for it. docs/audit.md has the rules and the cost; src/common/audit.h the formats.

-- An event, once written, stays as it was written.
CREATE FUNCTION baton_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION baton_append_only();

-- The chain: event seq is the seq-th event in commit order, and hash is
-- audit_event_hash(previous hash, the event) (zeros before the first).
-- No foreign key to event on purpose: the chain keeps naming an event that
-- someone removed, so the verifier can say which one.
CREATE TABLE event_chain (
    seq       bigint PRIMARY KEY CHECK (seq >= 1),
    event_id  bigint NOT NULL UNIQUE,
    xid       xid8 NOT NULL,     -- the event's, so the sealer knows where it stopped
    hash      bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER event_chain_append_only BEFORE UPDATE OR DELETE ON event_chain
    FOR EACH ROW EXECUTE FUNCTION baton_append_only();

-- Checkpoints batond signs (audit_checkpoint_sign): the chain up to seq
-- ends in hash. at is signed in microseconds.
CREATE TABLE audit_checkpoint (
    seq               bigint PRIMARY KEY CHECK (seq >= 1),
    hash              bytea NOT NULL CHECK (length(hash) = 32),
    at                timestamptz NOT NULL,
    server_public_key bytea NOT NULL CHECK (length(server_public_key) = 32),
    signature         bytea NOT NULL CHECK (length(signature) = 64)
);
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION baton_append_only();

-- Only batond itself and in-house callers (scope all) read or write them.
ALTER TABLE event_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_chain FORCE ROW LEVEL SECURITY;
CREATE POLICY event_chain_scope ON event_chain USING (baton_scope_all()) WITH CHECK (baton_scope_all());
ALTER TABLE audit_checkpoint ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoint FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoint_scope ON audit_checkpoint USING (baton_scope_all()) WITH CHECK (baton_scope_all());
