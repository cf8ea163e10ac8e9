-- Every revocation gets a position that only grows, written in the revoking
-- transaction, so a WatchRevocations client that reconnects with the last
-- position it applied is sent exactly what it missed. Rows older than the
-- authority's retention are pruned; `pruned_through` says up to where, so a
-- client behind it is told to start afresh instead of silently skipping.
CREATE TABLE revocation_log_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Names this log: a position means nothing in another database.
  log_id uuid NOT NULL DEFAULT gen_random_uuid(),
  pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO revocation_log_state DEFAULT VALUES;

CREATE TABLE revocation_log (
  position bigserial PRIMARY KEY,
  token_id uuid NOT NULL,
  revoked_at timestamptz NOT NULL,
  -- The token's `exp`: after it, edges need not remember the id.
  expires_at timestamptz NOT NULL
);

CREATE INDEX revocation_log_revoked_at ON revocation_log (revoked_at);

-- The trigger of 0001 (any writer, also plain SQL) now logs before it
-- notifies; the payload keeps its first two fields and adds the position.
CREATE OR REPLACE FUNCTION personal_token_notify_revoked() RETURNS trigger AS $$
DECLARE
  logged bigint;
BEGIN
  -- Positions are taken one transaction at a time (the lock is held to
  -- commit), so they become visible in order: a reader that has seen N never
  -- later finds a smaller position appear.
  PERFORM pg_advisory_xact_lock(7305412281);
  INSERT INTO revocation_log (token_id, revoked_at, expires_at)
  VALUES (NEW.id, NEW.revoked_at, (NEW.until + 1)::timestamp AT TIME ZONE 'UTC')
  RETURNING position INTO logged;
  PERFORM pg_notify('tokengate_revocations',
                    NEW.id::text || ' ' || floor(extract(epoch FROM NEW.revoked_at))::bigint::text
                    || ' ' || logged::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
