-- Least privilege (issue 21): a personal token may be limited to OpenLineage
-- namespace patterns and to client networks (CIDRs). Both are JSON arrays of
-- strings like `scopes`; '[]' means no limit, so every existing row (and every
-- token Data.Rentgen minted) keeps working as before. The row is the truth:
-- the token's JWS never carries them.
ALTER TABLE personal_token
  ADD COLUMN namespaces jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN networks jsonb NOT NULL DEFAULT '[]';

-- The namespace a location stands for, as a token's patterns are written:
-- "scheme://host" (the consumer stores namespaces lower-cased, split into
-- type and host), or the bare name for a namespace without a scheme (type
-- "unknown"), e.g. "airflow-team-a". A namespace-limited lineage read first
-- finds the matching locations through this index (patterns are LIKE
-- prefixes), then reads datasets and jobs by location_id (the leading column of their
-- unique keys, so an index too).
ALTER TABLE location
  ADD COLUMN namespace text GENERATED ALWAYS AS
    (CASE WHEN type = 'unknown' THEN name ELSE type || '://' || name END) STORED;
CREATE INDEX location_namespace ON location (namespace text_pattern_ops);
