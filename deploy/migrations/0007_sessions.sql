-- Browser logins of the api (issue 22) live here rather than in one api
-- process, so any replica serves any session, a restart or scale-in logs
-- nobody out, and a logout on one replica ends the session on all. Rows are
-- keyed by SHA-256 of the random value the browser holds (state or session
-- cookie), never the value itself; the IdP's tokens and the PKCE verifier are
-- sealed with the api's session secret (AES-256-GCM, bound to the row's key).
-- The api prunes expired rows (one replica at a time).

-- A login in progress: single use (taken by DELETE … RETURNING), ten minutes.
CREATE TABLE oidc_login (
  state_hash bytea PRIMARY KEY,
  sealed bytea NOT NULL,  -- nonce, PKCE code verifier, the path to return to
  expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_login_expires_at ON oidc_login (expires_at);

CREATE TABLE session (
  id_hash bytea PRIMARY KEY,
  user_name text NOT NULL,
  email text NOT NULL DEFAULT '',
  admin boolean NOT NULL DEFAULT false,
  -- Service accounts managed through IdP groups, comma-separated (their
  -- names have no comma); re-read at each refresh like email and admin.
  managed_service_accounts text NOT NULL DEFAULT '',
  sealed_tokens bytea NOT NULL,  -- the IdP's refresh token and ID token
  access_expires_at timestamptz NOT NULL,  -- then a refresh asks the IdP
  ends_at timestamptz NOT NULL,            -- the api's own upper bound
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_ends_at ON session (ends_at);
