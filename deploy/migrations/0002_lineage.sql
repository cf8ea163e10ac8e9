-- Lineage tables written by lineage-consumer and read by the api's /v1/locations,
-- /v1/datasets, /v1/jobs, /v1/runs (Data.Rentgen's shapes). Every natural key is
-- unique, so the consumer's upserts are idempotent and replicas may race.
--
-- search_query is a case-insensitive substring match on the *_folded columns:
-- lower-cased once, on write, under the ICU root collation, which folds
-- non-ASCII letters too whatever the cluster's locale (a C-locale cluster's
-- lower() folds ASCII only). Stored rather than computed per search: the
-- trigram index only narrows the candidates, each candidate is re-checked, and
-- an ICU lower() per candidate made broad searches several times slower.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE location (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  name text NOT NULL,
  external_id text,
  name_folded text GENERATED ALWAYS AS (lower(name COLLATE "und-x-icu")) STORED,
  CONSTRAINT location_type_name UNIQUE (type, name)
);
CREATE INDEX location_name_search ON location USING gin (name_folded gin_trgm_ops);

CREATE TABLE address (
  id bigserial PRIMARY KEY,
  location_id bigint NOT NULL REFERENCES location (id),
  url text NOT NULL,
  url_folded text GENERATED ALWAYS AS (lower(url COLLATE "und-x-icu")) STORED,
  CONSTRAINT address_location_url UNIQUE (location_id, url)
);
CREATE INDEX address_url_search ON address USING gin (url_folded gin_trgm_ops);

CREATE TABLE dataset (
  id bigserial PRIMARY KEY,
  location_id bigint NOT NULL REFERENCES location (id),
  name text NOT NULL,
  name_folded text GENERATED ALWAYS AS (lower(name COLLATE "und-x-icu")) STORED,
  CONSTRAINT dataset_location_name UNIQUE (location_id, name)
);
-- Pages are ordered by name, then id.
CREATE INDEX dataset_name_order ON dataset (name, id);
CREATE INDEX dataset_name_search ON dataset USING gin (name_folded gin_trgm_ops);

CREATE TABLE job (
  id bigserial PRIMARY KEY,
  location_id bigint NOT NULL REFERENCES location (id),
  name text NOT NULL,
  -- "<INTEGRATION>_<JOBTYPE>" from the jobType facet, e.g. SPARK_APPLICATION.
  type text NOT NULL DEFAULT 'UNKNOWN',
  name_folded text GENERATED ALWAYS AS (lower(name COLLATE "und-x-icu")) STORED,
  CONSTRAINT job_location_name UNIQUE (location_id, name)
);
CREATE INDEX job_name_order ON job (name, id);
CREATE INDEX job_type ON job (type);
CREATE INDEX job_name_search ON job USING gin (name_folded gin_trgm_ops);

-- status follows Data.Rentgen's order: UNKNOWN -1, STARTED 0, SUCCEEDED 1,
-- FAILED 2, KILLED 3. Merging takes the greatest, so the result does not
-- depend on the order events arrive in and a terminal status is never
-- overwritten by START or RUNNING.
CREATE TABLE run (
  id uuid PRIMARY KEY,
  -- From the UUIDv7 timestamp of the run id; else the earliest event time.
  created_at timestamptz NOT NULL,
  job_id bigint NOT NULL REFERENCES job (id),
  -- No foreign key: a child's events may arrive before its parent's.
  parent_run_id uuid,
  status smallint NOT NULL DEFAULT -1 CHECK (status BETWEEN -1 AND 3),
  started_at timestamptz,
  ended_at timestamptz,
  external_id text,
  attempt text,
  running_log_url text,
  persistent_log_url text,
  external_id_folded text GENERATED ALWAYS AS (lower(external_id COLLATE "und-x-icu")) STORED
);
CREATE INDEX run_created_at ON run (created_at DESC, id DESC);
CREATE INDEX run_job_created_at ON run (job_id, created_at DESC);
CREATE INDEX run_parent_created_at ON run (parent_run_id, created_at DESC)
  WHERE parent_run_id IS NOT NULL;
CREATE INDEX run_external_id_search ON run USING gin (external_id_folded gin_trgm_ops);

CREATE TABLE input (
  run_id uuid NOT NULL REFERENCES run (id),
  dataset_id bigint NOT NULL REFERENCES dataset (id),
  PRIMARY KEY (run_id, dataset_id)
);
CREATE INDEX input_dataset ON input (dataset_id);

CREATE TABLE output (
  run_id uuid NOT NULL REFERENCES run (id),
  dataset_id bigint NOT NULL REFERENCES dataset (id),
  PRIMARY KEY (run_id, dataset_id)
);
CREATE INDEX output_dataset ON output (dataset_id);
