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

-- Service-account events. The event list is extended, not restated, so the
-- events other migrations add to the same CHECK (before or after this one) stay.
DO $$
DECLARE
  definition text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO definition FROM pg_constraint
  WHERE conrelid = 'audit_event'::regclass AND conname = 'audit_event_event_check';
  EXECUTE 'ALTER TABLE audit_event DROP CONSTRAINT audit_event_event_check';
  EXECUTE 'ALTER TABLE audit_event ADD CONSTRAINT audit_event_event_check ' ||
          replace(definition, 'ARRAY[',
                  'ARRAY[''service_account.created''::text, ''service_account.disabled''::text, ' ||
                  '''service_account.manager_added''::text, ''service_account.manager_removed''::text, ');
END;
$$;
