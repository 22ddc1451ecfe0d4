-- 0002_collection_summaries: each collection's statistics (count, extent,
-- time extent, property names) and change times, kept with the data by
-- triggers instead of being computed from every feature on each read.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0003_... instead.

-- collection_summaries holds, per collection that features were ever
-- written to, exactly what the former per-request aggregate computed: the
-- count; the exact extent (ST_Extent, NULL when empty); the time extent, with
-- NULL for an end some feature leaves open (or for an empty collection); the
-- distinct property names in byte order; and the distinct change times that
-- geo.ChangeStore's Changes returns (finite starts and ends of validities
-- that are not instants, and instants), in no order. A collection without a
-- row has no features.
CREATE TABLE collection_summaries (
	collection text PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
	n          bigint NOT NULL,
	x0       double precision,
	y0       double precision,
	x1       double precision,
	y1       double precision,
	t0         timestamptz,
	t1         timestamptz,
	names      text[] NOT NULL,
	starts     timestamptz[] NOT NULL,
	ends       timestamptz[] NOT NULL,
	instants   timestamptz[] NOT NULL
);

-- controlmap_refresh_summaries recomputes the summaries of the named
-- collections from their features (collections that no longer exist are
-- skipped). It first takes a transaction advisory lock per collection, in
-- order, so that two transactions writing one collection recompute it one
-- after the other, the second (in READ COMMITTED, where each statement sees
-- what committed before it started) with the first's rows.
CREATE FUNCTION controlmap_refresh_summaries(cols text[]) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(25453, hashtext(c))
		FROM (SELECT DISTINCT unnest(cols) AS c ORDER BY 1) touched;
	INSERT INTO collection_summaries AS cs
		(collection, n, x0, y0, x1, y1, t0, t1, names, starts, ends, instants)
	SELECT c.id, s.n, ST_XMin(s.ext), ST_YMin(s.ext), ST_XMax(s.ext), ST_YMax(s.ext), s.t0, s.t1,
		coalesce(k.names, '{}'), coalesce(s.starts, '{}'), coalesce(s.ends, '{}'), coalesce(s.instants, '{}')
	FROM collections c
	CROSS JOIN LATERAL (
		SELECT count(*) AS n, ST_Extent(f.geom) AS ext,
			CASE WHEN bool_or(lower_inf(f.valid)) THEN NULL ELSE min(lower(f.valid)) END AS t0,
			CASE WHEN bool_or(upper_inf(f.valid)) THEN NULL ELSE max(upper(f.valid)) END AS t1,
			array_agg(DISTINCT lower(f.valid)) FILTER (WHERE NOT lower_inf(f.valid)
				AND NOT (lower(f.valid) = upper(f.valid) AND upper_inc(f.valid))) AS starts,
			array_agg(DISTINCT upper(f.valid)) FILTER (WHERE NOT upper_inf(f.valid)
				AND NOT (lower(f.valid) = upper(f.valid) AND upper_inc(f.valid))) AS ends,
			array_agg(DISTINCT lower(f.valid)) FILTER (WHERE lower(f.valid) = upper(f.valid)
				AND upper_inc(f.valid)) AS instants
		FROM features f WHERE f.collection = c.id) s
	LEFT JOIN LATERAL (
		SELECT array_agg(key ORDER BY key COLLATE "C") AS names
		FROM (SELECT DISTINCT jsonb_object_keys(f.props) AS key FROM features f WHERE f.collection = c.id) keys) k ON true
	WHERE c.id = ANY (cols)
	ON CONFLICT (collection) DO UPDATE SET
		n = EXCLUDED.n, x0 = EXCLUDED.x0, y0 = EXCLUDED.y0, x1 = EXCLUDED.x1, y1 = EXCLUDED.y1,
		t0 = EXCLUDED.t0, t1 = EXCLUDED.t1, names = EXCLUDED.names,
		starts = EXCLUDED.starts, ends = EXCLUDED.ends, instants = EXCLUDED.instants;
END
$$;

-- The statement-level triggers pass the collections a statement touched:
-- those of its new rows, its old rows, or both for an update (which may move
-- a feature from one collection to another). TRUNCATE empties every
-- collection.
CREATE FUNCTION controlmap_summaries_insert() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM controlmap_refresh_summaries(ARRAY(SELECT DISTINCT collection FROM new_rows));
	RETURN NULL;
END
$$;

CREATE FUNCTION controlmap_summaries_delete() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM controlmap_refresh_summaries(ARRAY(SELECT DISTINCT collection FROM old_rows));
	RETURN NULL;
END
$$;

CREATE FUNCTION controlmap_summaries_update() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM controlmap_refresh_summaries(ARRAY(
		SELECT collection FROM new_rows UNION SELECT collection FROM old_rows));
	RETURN NULL;
END
$$;

CREATE FUNCTION controlmap_summaries_truncate() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	DELETE FROM collection_summaries;
	RETURN NULL;
END
$$;

CREATE TRIGGER features_summary_insert AFTER INSERT ON features
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_summaries_insert();
CREATE TRIGGER features_summary_update AFTER UPDATE ON features
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_summaries_update();
CREATE TRIGGER features_summary_delete AFTER DELETE ON features
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_summaries_delete();
CREATE TRIGGER features_summary_truncate AFTER TRUNCATE ON features
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_summaries_truncate();

-- controlmap_bump_data_version as in 0001, except that TRUNCATE no longer
-- fails: 0001 tested TG_OP <> 'TRUNCATE' AND NOT EXISTS (... changed_rows)
-- in one expression, which PostgreSQL plans whole, so a TRUNCATE (which has
-- no transition table) failed with 'relation "changed_rows" does not exist'.
CREATE OR REPLACE FUNCTION controlmap_bump_data_version() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
	v bigint;
BEGIN
	-- A statement that touched no row (an import that changed nothing) is
	-- not a change. TRUNCATE has no transition table and always counts.
	IF TG_OP <> 'TRUNCATE' THEN
		IF NOT EXISTS (SELECT 1 FROM changed_rows) THEN
			RETURN NULL;
		END IF;
	END IF;
	UPDATE data_version SET version = version + 1 RETURNING version INTO v;
	PERFORM pg_notify('controlmap_changes',
		json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'version', v)::text);
	RETURN NULL;
END
$$;

-- The summaries of the data already there.
SELECT controlmap_refresh_summaries(ARRAY(SELECT id FROM collections));
