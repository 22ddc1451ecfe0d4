-- 0001_init: collections, dated features, the data version counter and its
-- change notifications.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0002_... instead.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- collections is the catalogue: one row per layer, in catalogue order.
-- meta is the catalogue entry as geo.Collection's JSON; extents, counts and
-- property names are computed from features when read.
CREATE TABLE collections (
	id       text PRIMARY KEY,
	position integer NOT NULL,
	meta     jsonb NOT NULL,
	CONSTRAINT collections_meta_object CHECK (jsonb_typeof(meta) = 'object')
);

-- controlmap_validity turns a feature's valid_from and valid_to (NULL for an
-- open end) into its validity range: [from, to), or [t, t] for an instant.
CREATE FUNCTION controlmap_validity(valid_from timestamptz, valid_to timestamptz)
RETURNS tstzrange
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN valid_from = valid_to
		THEN tstzrange(valid_from, valid_to, '[]')
		ELSE tstzrange(valid_from, valid_to, '[)')
	END
$$;

-- controlmap_feature_hash is a digest of a feature's content, independent of
-- the session's time zone and date style. Import compares it to detect
-- changed features; a trigger keeps features.hash current however a row is
-- written (an import, or an editor working on the table directly).
CREATE FUNCTION controlmap_feature_hash(thing text, geom geometry, props jsonb, sources jsonb, valid tstzrange)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT encode(sha256(
		ST_AsEWKB(geom) ||
		convert_to(jsonb_build_array(
			thing, props, sources,
			extract(epoch FROM lower(valid)), extract(epoch FROM upper(valid)),
			lower_inc(valid), upper_inc(valid), isempty(valid)
		)::text, 'UTF8')
	), 'hex')
$$;

-- features holds every version of every thing. thing groups the versions of
-- one real-world thing (NULL where the collection has no group key).
CREATE TABLE features (
	collection text NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	id         text COLLATE "C" NOT NULL, -- byte order, the order of every page
	thing      text,
	geom       geometry(Geometry, 4326) NOT NULL,
	props      jsonb NOT NULL,
	sources    jsonb NOT NULL,
	valid      tstzrange NOT NULL,
	hash       text NOT NULL,
	PRIMARY KEY (collection, id),
	CONSTRAINT features_geom_valid CHECK (ST_IsValid(geom)),
	CONSTRAINT features_props_object CHECK (jsonb_typeof(props) = 'object'),
	CONSTRAINT features_sources_array CHECK (jsonb_typeof(sources) = 'array'),
	CONSTRAINT features_valid_not_empty CHECK (NOT isempty(valid)),
	-- Two versions of one thing never overlap in time. Deferred to the end of
	-- the transaction so that a set of versions can be rewritten in any order.
	CONSTRAINT features_versions_do_not_overlap
		EXCLUDE USING gist (collection WITH =, thing WITH =, valid WITH &&)
		DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX features_geom_idx ON features USING gist (geom);
CREATE INDEX features_valid_idx ON features USING gist (valid);

CREATE FUNCTION controlmap_features_set_hash() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	NEW.hash := controlmap_feature_hash(NEW.thing, NEW.geom, NEW.props, NEW.sources, NEW.valid);
	RETURN NEW;
END
$$;

CREATE TRIGGER features_set_hash
	BEFORE INSERT OR UPDATE ON features
	FOR EACH ROW EXECUTE FUNCTION controlmap_features_set_hash();

-- data_version counts changes to features and collections. Its one row is
-- bumped once per statement that changed at least one row, and every bump is
-- announced on the channel controlmap_changes (delivered at commit) with a
-- JSON payload {"table": ..., "op": ..., "version": n}.
CREATE TABLE data_version (
	id      boolean PRIMARY KEY DEFAULT true CHECK (id),
	version bigint NOT NULL DEFAULT 1
);
INSERT INTO data_version DEFAULT VALUES;

CREATE FUNCTION controlmap_bump_data_version() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
	v bigint;
BEGIN
	-- A statement that touched no row (an import that changed nothing) is
	-- not a change. TRUNCATE has no transition table and always counts.
	IF TG_OP <> 'TRUNCATE' AND NOT EXISTS (SELECT 1 FROM changed_rows) THEN
		RETURN NULL;
	END IF;
	UPDATE data_version SET version = version + 1 RETURNING version INTO v;
	PERFORM pg_notify('controlmap_changes',
		json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'version', v)::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER features_version_insert AFTER INSERT ON features
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER features_version_update AFTER UPDATE ON features
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER features_version_delete AFTER DELETE ON features
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER features_version_truncate AFTER TRUNCATE ON features
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();

CREATE TRIGGER collections_version_insert AFTER INSERT ON collections
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER collections_version_update AFTER UPDATE ON collections
	REFERENCING NEW TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER collections_version_delete AFTER DELETE ON collections
	REFERENCING OLD TABLE AS changed_rows
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
CREATE TRIGGER collections_version_truncate AFTER TRUNCATE ON collections
	FOR EACH STATEMENT EXECUTE FUNCTION controlmap_bump_data_version();
