-- 0003_properties_json: each feature's properties object encoded once, as
-- the server writes it, so that answers with every property copy it instead
-- of decoding props and sources for every row they return.
--
-- Migrate runs this file in one transaction under an advisory lock and records
-- it in schema_migrations; do not edit it once released, add 0004_... instead.

-- props_json is the feature's whole GeoJSON properties object (props with
-- valid_from, valid_to and sources) in the server's canonical form
-- (internal/propjson), which Import writes from the values as this database
-- gives them back. It is text and not jsonb because its bytes are the
-- answer's, which jsonb would not keep. NULL means "not encoded": rows
-- imported before this migration (until an import rewrites them: the next
-- import of the same data fills them) and rows written by anything but
-- Import; the server then decodes props and sources as it did before.
-- props stays the source of the values (filters, tiles, summaries).
ALTER TABLE features ADD COLUMN props_json text;

-- A write that changes props, sources or valid without writing props_json
-- (someone editing the table, an import by an older controlmap) would leave
-- the encoding stale: such a write clears it instead.
CREATE FUNCTION controlmap_features_clear_props_json() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	NEW.props_json := NULL;
	RETURN NEW;
END
$$;

CREATE TRIGGER features_props_json_stale
	BEFORE UPDATE ON features
	FOR EACH ROW
	WHEN ((NEW.props, NEW.sources, NEW.valid) IS DISTINCT FROM (OLD.props, OLD.sources, OLD.valid)
		AND NEW.props_json IS NOT DISTINCT FROM OLD.props_json)
	EXECUTE FUNCTION controlmap_features_clear_props_json();
