-- Service accounts (issue 23): owners of tokens that are not a person, managed
-- by a group of people. A service account IS a "user" row, named "sa:<name>",
-- so its tokens are ordinary personal tokens to every verifier (sub_id and
-- preferred_username name it); the authority refuses the "sa:" prefix for a
-- person's name, so the two namespaces never meet. This table holds what a
-- person's row has not: who may manage it and where its notices go.
CREATE TABLE service_account (
  user_id bigint PRIMARY KEY REFERENCES "user" (id),
  -- Without the prefix, as admins type it: "etl-prod".
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  -- Contact for expiry notices, besides the managers' own e-mails.
  email text NOT NULL DEFAULT '',
  webhook_url text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Disabled: every token revoked with it, no new ones, invisible to managers.
  disabled_at timestamptz
);

-- The explicit manager list kept by admins (an IdP group is the other way,
-- decided by the api from the person's claims, and never stored).
CREATE TABLE service_account_manager (
  service_account_id bigint NOT NULL REFERENCES service_account (user_id),
  user_id bigint NOT NULL REFERENCES "user" (id),
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_account_id, user_id)
);
CREATE INDEX service_account_manager_user ON service_account_manager (user_id);

ALTER TABLE audit_event DROP CONSTRAINT audit_event_event_check;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_event_check CHECK (event IN (
  'token.created', 'token.refreshed', 'token.revoked', 'token.first_used', 'token.last_used',
  'token.expiry_notice', 'management.failed',
  'service_account.created', 'service_account.disabled',
  'service_account.manager_added', 'service_account.manager_removed'));
