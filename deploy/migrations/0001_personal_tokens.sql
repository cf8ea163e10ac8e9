-- Users and their personal tokens (Data.Rentgen's shapes). The token content
-- is never stored: a row is the token's id, owner, name, scopes and validity.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE "user" (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE personal_token (
  id uuid PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES "user" (id),
  name varchar(64) NOT NULL,
  scopes jsonb NOT NULL,
  since date NOT NULL,
  until date NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  CONSTRAINT personal_token_since_before_until CHECK (since <= until),
  -- One live token per (user, name) for overlapping days: enforced here, so
  -- two concurrent creates cannot both win a check-then-insert race.
  CONSTRAINT personal_token_name_overlap EXCLUDE USING gist (
    user_id WITH =, name WITH =, daterange(since, until, '[]') WITH &&
  ) WHERE (revoked_at IS NULL)
);

CREATE INDEX personal_token_user_live ON personal_token (user_id, id DESC) WHERE revoked_at IS NULL;

-- Every revocation, by any writer, reaches every authority replica through
-- LISTEN tokengate_revocations; the payload is "<id> <unix seconds>".
CREATE FUNCTION personal_token_notify_revoked() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('tokengate_revocations',
                    NEW.id::text || ' ' || floor(extract(epoch FROM NEW.revoked_at))::bigint::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER personal_token_revoked
  AFTER UPDATE OF revoked_at ON personal_token
  FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION personal_token_notify_revoked();
