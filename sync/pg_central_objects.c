/* pg_central_objects.c - outpost's own objects in central (sync/PROTOCOL.md
 * "Central"): the tables of schema outpost, and the functions that every
 * central table's triggers and policies call. The tables are made once
 * (init); the functions are CREATE OR REPLACE and run again by every init
 * and migrate, so a newer outpost brings its fixes along. Functions run
 * with search_path = pg_catalog, pg_temp and name every object in full,
 * so no role can slip its own objects in front of ours. */
#include "pg_central_int.h"

#define ZERO_SITE "'\\x00000000000000000000000000000000'::bytea"
#define FN_HEAD "SET search_path = pg_catalog, pg_temp AS $outpost$\n"

const char op_pg_central_sql_tables[] =
	"CREATE SCHEMA outpost;\n"
	/* One capture function per table, named as the table: a schema of
	 * their own, so a table name never collides with ours. */
	"CREATE SCHEMA outpost_capture;\n"
	"REVOKE ALL ON SCHEMA outpost_capture FROM PUBLIC;\n"
	"CREATE TABLE outpost.meta (key text PRIMARY KEY, value text NOT "
	"NULL);\n"
	"CREATE TABLE outpost.catalog (name text PRIMARY KEY, kind text NOT "
	"NULL CHECK (kind IN ('table', 'node', 'type')), policy text NOT NULL "
	"CHECK (policy IN ('lww', 'append_only', 'central_wins')), pk text, "
	"scope_name text, scope_col text, cols jsonb NOT NULL DEFAULT '{}', "
	"from_label text, to_label text, acyclic boolean NOT NULL DEFAULT "
	"false, validity boolean NOT NULL DEFAULT false);\n"
	/* The primary key on sseq is the pull's index: a pull is a range
	 * scan from the device's cursor in sseq order. */
	"CREATE TABLE outpost.changes (sseq bigserial PRIMARY KEY, hlc bigint "
	"NOT NULL, site bytea NOT NULL, tbl text NOT NULL, op text NOT NULL "
	"CHECK (op IN ('I', 'U', 'D')), row_id uuid NOT NULL, vals jsonb, "
	"scope_name text, scope_value text, device text, at timestamptz NOT "
	"NULL DEFAULT now());\n"
	/* scope: a scoped row's scope value, kept with its clock so a row
	 * central no longer holds (deleted) still has one (an update that
	 * reaches it is seen by its scope), without an index on the log. */
	"CREATE TABLE outpost.clocks (tbl text NOT NULL, id uuid NOT NULL, "
	"row_hlc bigint, row_site bytea, dead boolean NOT NULL DEFAULT false, "
	"cols jsonb NOT NULL DEFAULT '{}', scope text, PRIMARY KEY (tbl, "
	"id));\n"
	"CREATE TABLE outpost.edges (uuid uuid PRIMARY KEY, type text NOT "
	"NULL, from_uuid uuid NOT NULL, to_uuid uuid NOT NULL, valid_from "
	"timestamptz, valid_to timestamptz, props jsonb);\n"
	"CREATE INDEX edges_from_idx ON outpost.edges (from_uuid, type);\n"
	"CREATE INDEX edges_to_idx ON outpost.edges (to_uuid, type);\n"
	"CREATE TABLE outpost.devices (name text PRIMARY KEY, role text NOT "
	"NULL UNIQUE, site bytea UNIQUE CHECK (length(site) = 16), pushed_seq "
	"bigint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT "
	"now(), last_push_at timestamptz, last_pull_at timestamptz);\n"
	"CREATE TABLE outpost.device_scopes (device text NOT NULL REFERENCES "
	"outpost.devices (name) ON DELETE CASCADE, name text NOT NULL, value "
	"text NOT NULL, PRIMARY KEY (device, name, value));\n"
	"CREATE TABLE outpost.batches (batch uuid PRIMARY KEY, device text NOT "
	"NULL, from_seq bigint NOT NULL, to_seq bigint NOT NULL, n integer NOT "
	"NULL, at timestamptz NOT NULL DEFAULT now());\n"
	"CREATE TABLE outpost.hlc_state (id integer PRIMARY KEY CHECK (id = "
	"1), last bigint NOT NULL DEFAULT 0);\n"
	"INSERT INTO outpost.hlc_state VALUES (1, 0);\n"
	"ALTER TABLE outpost.changes ENABLE ROW LEVEL SECURITY;\n";

/* Helpers any role may call (column defaults run as the writer, policies
 * as the reader). */
#define SQL_HELPERS                                                          \
	"CREATE OR REPLACE FUNCTION outpost.log_lock_key() RETURNS bigint "  \
	"LANGUAGE sql IMMUTABLE AS $$ SELECT 7305528937441::bigint $$;\n"    \
	/* UUID v7: 48 bits of ms over gen_random_uuid()'s random bits. */   \
	"CREATE OR REPLACE FUNCTION outpost.uuid_v7() RETURNS uuid LANGUAGE " \
	"sql VOLATILE " FN_HEAD                                              \
	"SELECT encode(set_byte(v, 6, (get_byte(v, 6) & 15) | 112), 'hex')" \
	"::uuid FROM (SELECT overlay(uuid_send(gen_random_uuid()) PLACING "  \
	"substring(int8send(floor(extract(epoch FROM clock_timestamp()) * "  \
	"1000)::bigint) FROM 3) FROM 1 FOR 6) AS v) AS x\n$outpost$;\n"       \
	"CREATE OR REPLACE FUNCTION outpost.text_array(j jsonb) RETURNS "     \
	"text[] LANGUAGE sql IMMUTABLE " FN_HEAD                              \
	"SELECT coalesce(array_agg(e ORDER BY n), '{}') FROM "               \
	"jsonb_array_elements_text(j) WITH ORDINALITY AS x(e, n)\n"           \
	"$outpost$;\n"                                                        \
	/* The wire form of a real: SQLite's printf('%!.16e'), 17 digits    \
	 * with the trailing zeros of the mantissa dropped (one kept). */    \
	"CREATE OR REPLACE FUNCTION outpost.enc_real(v double precision) "   \
	"RETURNS text LANGUAGE sql IMMUTABLE " FN_HEAD                        \
	"SELECT CASE WHEN v IS NULL THEN NULL WHEN v = 'Infinity' THEN "     \
	"'Inf' WHEN v = '-Infinity' THEN '-Inf' WHEN v = 'NaN' THEN 'NaN' "  \
	"WHEN v = 0 THEN '0.0e+00' ELSE replace(regexp_replace(ltrim("       \
	"to_char(v, '9.9999999999999999EEEE')), '(\\.[0-9]*?)0+e', '\\1e'), " \
	"'.e', '.0e') END\n$outpost$;\n"                                      \
	"CREATE OR REPLACE FUNCTION outpost.enc_ts(v timestamptz) RETURNS "  \
	"text LANGUAGE sql IMMUTABLE " FN_HEAD                                \
	"SELECT to_char(v AT TIME ZONE 'UTC', "                              \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')\n$outpost$;\n"

/* The device behind the session. session_user, not current_user: inside
 * a SECURITY DEFINER function current_user is the owner, and a device
 * logs in as its own role (it cannot become another). */
#define SQL_SCOPES                                                           \
	"CREATE OR REPLACE FUNCTION outpost.is_device() RETURNS boolean "    \
	"LANGUAGE sql STABLE SECURITY DEFINER " FN_HEAD                       \
	"SELECT EXISTS (SELECT 1 FROM outpost.devices WHERE role = "         \
	"session_user)\n$outpost$;\n"                                         \
	"CREATE OR REPLACE FUNCTION outpost.my_scope(p_name text) RETURNS "  \
	"text[] LANGUAGE sql STABLE SECURITY DEFINER " FN_HEAD                \
	"SELECT coalesce(array_agg(s.value ORDER BY s.value), '{}') FROM "   \
	"outpost.device_scopes s JOIN outpost.devices d ON d.name = "        \
	"s.device WHERE d.role = session_user AND s.name = p_name\n"         \
	"$outpost$;\n"                                                        \
	"CREATE OR REPLACE FUNCTION outpost.my_scopes() RETURNS TABLE "      \
	"(name text, value text) LANGUAGE sql STABLE SECURITY DEFINER "      \
	FN_HEAD                                                               \
	"SELECT s.name, s.value FROM outpost.device_scopes s JOIN "          \
	"outpost.devices d ON d.name = s.device WHERE d.role = "             \
	"session_user\n$outpost$;\n"                                          \
	"DROP POLICY IF EXISTS outpost_scope ON outpost.changes;\n"          \
	"CREATE POLICY outpost_scope ON outpost.changes FOR SELECT USING "   \
	"(NOT (SELECT outpost.is_device()) OR scope_name IS NULL OR "        \
	"(scope_name, scope_value) IN (SELECT s.name, s.value FROM "         \
	"outpost.my_scopes() s));\n"

/* One captured change: under the commit-order lock, with the server's
 * HLC, the writer's site, and the LWW clocks (PROTOCOL.md "LWW merge":
 * I and D set the row clock and start the row afresh, U sets the
 * clocks of the columns it changed). */
#define SQL_LOG_CHANGE                                                       \
	"CREATE OR REPLACE FUNCTION outpost.log_change(p_tbl text, p_op "    \
	"text, p_id uuid, p_vals jsonb, p_scope_name text, p_scope_value "   \
	"text, p_lww boolean) RETURNS void LANGUAGE plpgsql SECURITY "       \
	"DEFINER " FN_HEAD                                                    \
	"DECLARE h bigint; s bytea; dev text;\nBEGIN\n"                       \
	"  PERFORM pg_advisory_xact_lock(outpost.log_lock_key());\n"         \
	"  UPDATE outpost.hlc_state SET last = greatest(floor(extract(epoch " \
	"FROM clock_timestamp()) * 1000)::bigint << 16, last + 1) RETURNING " \
	"last INTO h;\n"                                                      \
	"  SELECT d.name, d.site INTO dev, s FROM outpost.devices d WHERE "   \
	"d.role = session_user;\n"                                            \
	"  s := coalesce(s, " ZERO_SITE ");\n"                                \
	"  INSERT INTO outpost.changes (hlc, site, tbl, op, row_id, vals, "   \
	"scope_name, scope_value, device) VALUES (h, s, p_tbl, p_op, p_id, "  \
	"p_vals, p_scope_name, p_scope_value, dev);\n"                        \
	"  IF NOT p_lww THEN RETURN; END IF;\n"                               \
	"  IF p_op = 'U' THEN\n"                                              \
	/* An edge's properties are stamped one by one (props.NAME). */      \
	"    INSERT INTO outpost.clocks AS c (tbl, id, cols, scope) SELECT "  \
	"p_tbl, p_id, coalesce(jsonb_object_agg(k, jsonb_build_array("       \
	"h::text, encode(s, 'hex'))), '{}'), p_scope_value FROM "            \
	"jsonb_object_keys(CASE WHEN p_vals ? 'props' AND EXISTS (SELECT 1 " \
	"FROM outpost.catalog WHERE name = p_tbl AND kind = 'type') THEN "   \
	"outpost.edge_fields(p_vals) ELSE p_vals END) AS k ON CONFLICT "     \
	"(tbl, id) DO UPDATE SET "                                            \
	"cols = c.cols || EXCLUDED.cols, scope = EXCLUDED.scope;\n"          \
	"  ELSE\n"                                                            \
	"    INSERT INTO outpost.clocks AS c (tbl, id, row_hlc, row_site, "   \
	"dead, cols, scope) VALUES (p_tbl, p_id, h, s, p_op = 'D', '{}', "    \
	"p_scope_value) ON CONFLICT (tbl, id) DO UPDATE SET row_hlc = "       \
	"EXCLUDED.row_hlc, row_site = EXCLUDED.row_site, dead = "             \
	"EXCLUDED.dead, cols = '{}', scope = EXCLUDED.scope;\n"              \
	"  END IF;\nEND\n$outpost$;\n"

/* Edges written directly (a backend, psql): logged like the device logs
 * them, {from, to, valid_from, valid_to, props}, U only what changed. A
 * delete fired by a node's delete (trigger depth > 1) is not logged:
 * devices cascade a node's edges themselves. */
#define SQL_EDGES                                                            \
	"CREATE OR REPLACE FUNCTION outpost.capture_edges() RETURNS trigger " \
	"LANGUAGE plpgsql SECURITY DEFINER " FN_HEAD                          \
	"DECLARE c outpost.catalog; v jsonb := '{}'; bad text;\nBEGIN\n"     \
	"  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN RETURN NULL; " \
	"END IF;\n"                                                          \
	"  SELECT * INTO c FROM outpost.catalog WHERE kind = 'type' AND name " \
	"= CASE TG_OP WHEN 'DELETE' THEN OLD.type ELSE NEW.type END;\n"       \
	"  IF NOT FOUND THEN RAISE EXCEPTION 'outpost: % is not a "          \
	"relationship type of the schema', CASE TG_OP WHEN 'DELETE' THEN "    \
	"OLD.type ELSE NEW.type END USING ERRCODE = '23514'; END IF;\n"       \
	/* Devices refuse a batch with a property the type does not       \
	 * declare, so such an edge would stop every pull: refused here. */  \
	"  IF TG_OP <> 'DELETE' AND NEW.props IS NOT NULL THEN\n"             \
	"    IF jsonb_typeof(NEW.props) <> 'object' THEN RAISE EXCEPTION "    \
	"'outpost: % edge %: props must be a JSON object', c.name, "         \
	"NEW.uuid USING ERRCODE = '23514'; END IF;\n"                         \
	"    SELECT min(k) INTO bad FROM jsonb_object_keys(NEW.props) k "     \
	"WHERE NOT c.cols ? k;\n"                                              \
	"    IF bad IS NOT NULL THEN RAISE EXCEPTION 'outpost: % edge %: % "  \
	"has no property \"%\"', c.name, NEW.uuid, c.name, bad USING "        \
	"ERRCODE = '23514'; END IF;\n"                                        \
	"  END IF;\n"                                                          \
	"  IF c.policy = 'append_only' AND TG_OP <> 'INSERT' THEN RAISE "     \
	"EXCEPTION 'outpost: % is append_only: % refused (it is "            \
	"insert-only)', c.name, TG_OP USING ERRCODE = '23514'; END IF;\n"     \
	"  IF TG_OP = 'INSERT' THEN\n"                                        \
	"    v := jsonb_build_object('from', NEW.from_uuid::text, 'to', "     \
	"NEW.to_uuid::text);\n"                                               \
	"    IF NEW.valid_from IS NOT NULL THEN v := v || jsonb_build_object(" \
	"'valid_from', outpost.enc_ts(NEW.valid_from)); END IF;\n"            \
	"    IF NEW.valid_to IS NOT NULL THEN v := v || jsonb_build_object("  \
	"'valid_to', outpost.enc_ts(NEW.valid_to)); END IF;\n"                \
	"    IF NEW.props IS NOT NULL THEN v := v || jsonb_build_object("     \
	"'props', NEW.props); END IF;\n"                                      \
	"    PERFORM outpost.log_change(c.name, 'I', NEW.uuid, v, NULL, "     \
	"NULL, c.policy = 'lww');\n"                                          \
	"  ELSIF TG_OP = 'UPDATE' THEN\n"                                     \
	"    IF NEW.uuid <> OLD.uuid OR NEW.type <> OLD.type THEN RAISE "     \
	"EXCEPTION 'outpost: an edge''s uuid and type cannot change; add a " \
	"new edge' USING ERRCODE = '23514'; END IF;\n"                        \
	"    IF NEW.from_uuid <> OLD.from_uuid THEN v := v || "               \
	"jsonb_build_object('from', NEW.from_uuid::text); END IF;\n"          \
	"    IF NEW.to_uuid <> OLD.to_uuid THEN v := v || "                   \
	"jsonb_build_object('to', NEW.to_uuid::text); END IF;\n"              \
	"    IF NEW.valid_from IS DISTINCT FROM OLD.valid_from THEN v := v || " \
	"jsonb_build_object('valid_from', outpost.enc_ts(NEW.valid_from)); "  \
	"END IF;\n"                                                           \
	"    IF NEW.valid_to IS DISTINCT FROM OLD.valid_to THEN v := v || "   \
	"jsonb_build_object('valid_to', outpost.enc_ts(NEW.valid_to)); END " \
	"IF;\n"                                                               \
	/* Only the properties that changed, null for a removed one, as a \
	 * device logs them (PROTOCOL.md "Edges"). */                       \
	"    IF NEW.props IS DISTINCT FROM OLD.props THEN v := v || "         \
	"coalesce((SELECT jsonb_build_object('props', jsonb_object_agg(k, "   \
	"coalesce(NEW.props -> k, 'null'::jsonb))) FROM (SELECT "            \
	"jsonb_object_keys(coalesce(NEW.props, '{}')) UNION SELECT "         \
	"jsonb_object_keys(coalesce(OLD.props, '{}'))) AS u(k) WHERE "       \
	"NEW.props -> k IS DISTINCT FROM OLD.props -> k HAVING count(*) > "  \
	"0), '{}'); END IF;\n"                                                \
	"    IF v <> '{}' THEN PERFORM outpost.log_change(c.name, 'U', "      \
	"NEW.uuid, v, NULL, NULL, c.policy = 'lww'); END IF;\n"               \
	"  ELSE\n"                                                            \
	"    PERFORM outpost.log_change(c.name, 'D', OLD.uuid, NULL, NULL, "  \
	"NULL, c.policy = 'lww');\n"                                          \
	"  END IF;\n  RETURN NULL;\nEND\n$outpost$;\n"                        \
	OP_PG_CAPTURE_TRIGGERS("outpost.edges", "outpost.capture_edges")      \
	/* Inside a merge, a deleted scoped row's scope goes to its clock  \
	 * row (TG_ARGV: key and scope column; the clocks are untouched). */ \
	"CREATE OR REPLACE FUNCTION outpost.keep_scope() RETURNS trigger "    \
	"LANGUAGE plpgsql SECURITY DEFINER " FN_HEAD                          \
	"BEGIN\n  INSERT INTO outpost.clocks AS c (tbl, id, scope) VALUES "   \
	"(TG_TABLE_NAME, (to_jsonb(OLD) ->> TG_ARGV[0])::uuid, to_jsonb(OLD) " \
	"->> TG_ARGV[1]) ON CONFLICT (tbl, id) DO UPDATE SET scope = "        \
	"EXCLUDED.scope;\n  RETURN NULL;\nEND\n$outpost$;\n"                  \
	/* A node's delete takes its edges (TG_ARGV[0]: its key column). */  \
	"CREATE OR REPLACE FUNCTION outpost.node_deleted() RETURNS trigger "  \
	"LANGUAGE plpgsql SECURITY DEFINER " FN_HEAD                          \
	"DECLARE id uuid := (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;\nBEGIN\n"   \
	"  DELETE FROM outpost.edges WHERE from_uuid = id OR to_uuid = id;\n" \
	"  RETURN NULL;\nEND\n$outpost$;\n"

/* A device's privileges, from the catalog (PROTOCOL.md "Devices and
 * scopes"): run for every device after each init and migrate, so a
 * policy that changed takes its grants along. */
#define SQL_GRANTS                                                           \
	"CREATE OR REPLACE FUNCTION outpost.grant_device(r text) RETURNS "   \
	"void LANGUAGE plpgsql " FN_HEAD                                      \
	"DECLARE c record;\nBEGIN\n"                                          \
	"  EXECUTE format('GRANT USAGE ON SCHEMA public, outpost TO %I', "   \
	"r);\n"                                                               \
	"  FOR c IN SELECT name, policy FROM outpost.catalog WHERE kind <> "  \
	"'type' LOOP\n"                                                       \
	"    EXECUTE format('REVOKE ALL ON public.%I FROM %I', c.name, r);\n" \
	"    EXECUTE format('GRANT %s ON public.%I TO %I', CASE c.policy "    \
	"WHEN 'lww' THEN 'SELECT, INSERT, UPDATE, DELETE' WHEN "             \
	"'append_only' THEN 'SELECT, INSERT' ELSE 'SELECT' END, c.name, "    \
	"r);\n"                                                               \
	"  END LOOP;\n"                                                       \
	"  EXECUTE format('GRANT SELECT ON outpost.changes, outpost.edges TO " \
	"%I', r);\n"                                                          \
	"  IF to_regprocedure('outpost.push(uuid,bytea,bigint,bigint,"         \
	"bigint)')"                                                           \
	" IS NOT NULL THEN EXECUTE format('GRANT EXECUTE ON FUNCTION "       \
	"outpost.push(uuid,bytea,bigint,bigint,bigint) TO %I', r); END "      \
	"IF;\n"                                                               \
	"  IF to_regprocedure('outpost.push_stage()') IS NOT NULL THEN "     \
	"EXECUTE format('GRANT EXECUTE ON FUNCTION outpost.push_stage() TO " \
	"%I', r); END IF;\n"                                                  \
	"  IF to_regprocedure('outpost.hello()') IS NOT NULL THEN EXECUTE "   \
	"format('GRANT EXECUTE ON FUNCTION outpost.hello() TO %I', r); END "  \
	"IF;\n"                                                               \
	"  IF to_regprocedure('outpost.log_head()') IS NOT NULL THEN EXECUTE " \
	"format('GRANT EXECUTE ON FUNCTION outpost.log_head() TO %I', r); "  \
	"END IF;\n"                                                           \
	"END\n$outpost$;\n"

const char op_pg_central_sql_functions[] =
	SQL_HELPERS SQL_SCOPES SQL_LOG_CHANGE SQL_EDGES SQL_GRANTS
	/* Only what defaults and policies need is everyone's. */
	"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA outpost, outpost_capture FROM "
	"PUBLIC;\n"
	"GRANT USAGE ON SCHEMA outpost TO PUBLIC;\n"
	"GRANT EXECUTE ON FUNCTION outpost.uuid_v7(), outpost.text_array"
	"(jsonb), outpost.is_device(), outpost.my_scope(text), "
	"outpost.my_scopes() TO PUBLIC;\n";
