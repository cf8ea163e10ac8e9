-- Expiry and leak notices (issue 16). The owner's e-mail comes from the
-- identity provider's `email` claim, written by the authority when a
-- management call carries it. Each notice is a row here BEFORE it is sent:
-- the unique key makes "one notice per token, kind, threshold and channel"
-- a fact of the database, so restarts, replicas and retries cannot add a
-- second one. Rows never hold token content.
ALTER TABLE "user" ADD COLUMN email text;

CREATE TABLE token_notice (
  id bigserial PRIMARY KEY,
  -- A token that is deleted (not revoked: rows are normally kept) takes its notices along.
  token_id uuid NOT NULL REFERENCES personal_token (id) ON DELETE CASCADE,
  -- expiry: the token expires within threshold_days; leak: it was reported
  -- leaked and revoked (threshold_days 0).
  kind text NOT NULL CHECK (kind IN ('expiry', 'leak')),
  threshold_days integer NOT NULL DEFAULT 0,
  channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
  -- pending → sending (claimed by the one sending replica) → sent, or back to
  -- pending with a later next_attempt_at, or failed after the last attempt;
  -- dropped when the token was revoked before its expiry notice went out.
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  CONSTRAINT token_notice_once UNIQUE (token_id, kind, threshold_days, channel)
);

CREATE INDEX token_notice_due ON token_notice (next_attempt_at) WHERE state = 'pending';
