-- The audit trail (issue 15): who did what with which token, from where.
-- A record is written in the same transaction as the change it records, so
-- there is no change without its record and no record without its change.
-- Never the token content. The authority publishes each record to Kafka
-- (`tokengate.audit`) from this table (an outbox: `published_at` is set once
-- Kafka has it) and deletes records older than its retention.
CREATE TABLE audit_event (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL CHECK (event IN (
    'token.created', 'token.refreshed', 'token.revoked', 'token.first_used', 'token.last_used',
    'token.expiry_notice', 'management.failed')),
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'admin', 'system', 'leak-report', 'service')),
  actor_name text NOT NULL DEFAULT '',
  -- The token's owner (for a failed attempt: the user it was made for).
  user_id bigint,
  user_name text NOT NULL DEFAULT '',
  -- Text, not uuid: a failed attempt records the id as the caller sent it.
  token_id text NOT NULL DEFAULT '',
  token_name text NOT NULL DEFAULT '',
  -- A refresh's record names the new token in token_id and the one it
  -- replaced here, so it is in the history of both.
  previous_token_id text NOT NULL DEFAULT '',
  client_address text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  request_id text NOT NULL DEFAULT '',
  detail text NOT NULL DEFAULT '',
  published_at timestamptz
);

-- A token's history, newest first (ListTokenEvents).
CREATE INDEX audit_event_token ON audit_event (token_id, id DESC);
CREATE INDEX audit_event_previous_token ON audit_event (previous_token_id) WHERE previous_token_id <> '';
-- What the publisher has still to send, in id order.
CREATE INDEX audit_event_unpublished ON audit_event (id) WHERE published_at IS NULL;
-- The retention cleanup.
CREATE INDEX audit_event_at ON audit_event (at);

-- Append-only, enforced here for every writer (also plain SQL): a record's
-- content never changes; the one UPDATE allowed is the publisher's, setting
-- published_at once. DELETE only inside audit_event_prune(), which sets
-- tokengate.audit_prune for its own transaction. A database owner can still
-- drop the trigger: for tamper resistance against the application's own role,
-- grant it only SELECT, INSERT, UPDATE (published_at) and EXECUTE on the prune
-- function, owned by another role (SECURITY DEFINER) — see docs/audit-events.md.
CREATE FUNCTION audit_event_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.published_at IS NULL AND NEW.published_at IS NOT NULL
       AND to_jsonb(OLD) - 'published_at' = to_jsonb(NEW) - 'published_at' THEN
      RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: a record cannot be changed'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' AND current_setting('tokengate.audit_prune', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_event is append-only: records are removed only by the retention cleanup'
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_append_only
  BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
CREATE TRIGGER audit_event_no_truncate
  BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard();

-- The retention cleanup: records older than `older_than`; while the authority
-- publishes to Kafka, only those Kafka already has.
CREATE FUNCTION audit_event_prune(older_than interval, published_only boolean) RETURNS bigint AS $$
DECLARE
  gone bigint;
BEGIN
  PERFORM set_config('tokengate.audit_prune', 'on', true);
  DELETE FROM audit_event
  WHERE at < now() - older_than AND (published_at IS NOT NULL OR NOT published_only);
  GET DIAGNOSTICS gone = ROW_COUNT;
  PERFORM set_config('tokengate.audit_prune', 'off', true);
  RETURN gone;
END;
$$ LANGUAGE plpgsql;

-- Where the last recorded use came from (batched with last_used_at).
ALTER TABLE personal_token ADD COLUMN last_used_from text, ADD COLUMN last_used_user_agent text;
