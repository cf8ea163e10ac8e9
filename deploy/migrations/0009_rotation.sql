-- Rotation with a grace window, and uses of dead tokens (issue 24).
--
-- A refresh with a grace leaves the old row live (revoked_at NULL) with
-- `rotated_to` (its replacement) and `grace_until`; the authority revokes it
-- when the grace ends (the usual revocation trigger then tells every edge).
-- The end is a fact of this table, not a timer, so it survives restarts.
-- A refresh without a grace leaves both columns NULL: Data.Rentgen's rows.
ALTER TABLE personal_token
  ADD COLUMN rotated_to uuid,
  ADD COLUMN grace_until timestamptz,
  ADD CONSTRAINT personal_token_grace_pair CHECK ((rotated_to IS NULL) = (grace_until IS NULL));

-- The retiring row shares its name with its replacement for the grace: the
-- one-live-token-per-name rule is about rows that are not retiring.
ALTER TABLE personal_token DROP CONSTRAINT personal_token_name_overlap;
ALTER TABLE personal_token ADD CONSTRAINT personal_token_name_overlap EXCLUDE USING gist (
  user_id WITH =, name WITH =, daterange(since, until, '[]') WITH &&
) WHERE (revoked_at IS NULL AND rotated_to IS NULL);

-- The authority's sweep for graces that ended.
CREATE INDEX personal_token_grace_ends ON personal_token (grace_until)
  WHERE revoked_at IS NULL AND grace_until IS NOT NULL;
-- Revoking a token ends the tokens it replaced within their grace.
CREATE INDEX personal_token_rotated_to ON personal_token (rotated_to) WHERE rotated_to IS NOT NULL;

-- A revoked, refreshed-away or expired token still presented at an edge.
-- The event list is extended, not restated: migrations of other features
-- extend the same CHECK, and restating it here would drop their events.
DO $$
DECLARE
  definition text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO definition FROM pg_constraint
  WHERE conrelid = 'audit_event'::regclass AND conname = 'audit_event_event_check';
  EXECUTE 'ALTER TABLE audit_event DROP CONSTRAINT audit_event_event_check';
  EXECUTE 'ALTER TABLE audit_event ADD CONSTRAINT audit_event_event_check ' ||
          replace(definition, 'ARRAY[',
                  'ARRAY[''token.used_after_revocation''::text, ''token.used_after_expiry''::text, ');
END;
$$;
-- "At most one record per token, address, user agent and hour" looks here.
CREATE INDEX audit_event_dead_use ON audit_event (token_id, client_address, at)
  WHERE event IN ('token.used_after_revocation', 'token.used_after_expiry');

-- The owner is told once per token, address and day that a dead token is
-- still being sent: the notice's key gains the address and the day (the
-- other kinds keep '' and the epoch, so their key is what it was).
ALTER TABLE token_notice
  ADD COLUMN client_address text NOT NULL DEFAULT '',
  ADD COLUMN user_agent text NOT NULL DEFAULT '',
  ADD COLUMN notice_day date NOT NULL DEFAULT '1970-01-01';
ALTER TABLE token_notice DROP CONSTRAINT token_notice_kind_check;
ALTER TABLE token_notice ADD CONSTRAINT token_notice_kind_check
  CHECK (kind IN ('expiry', 'leak', 'dead_use'));
ALTER TABLE token_notice DROP CONSTRAINT token_notice_once;
ALTER TABLE token_notice ADD CONSTRAINT token_notice_once
  UNIQUE (token_id, kind, threshold_days, channel, client_address, notice_day);
