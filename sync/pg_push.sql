-- pg_push.sql - outpost.push(): a device's batch of changes applied
-- centrally in one transaction (sync/PROTOCOL.md "Push" and "LWW merge").
--
-- The device COPYs the batch into its session's temporary table
-- outpost_in, then calls outpost.push() in the same transaction. The
-- function works set by set: each table the batch touches is folded
-- (per row: its last insert or delete, per column its last value) and
-- merged with a handful of statements built from the catalog (format %I
-- for every identifier; values never enter SQL text), so its cost grows
-- with rows, not with one statement per change. Installed by `outpost
-- central init` and `migrate`.

-- The key of the advisory lock every writer of outpost.changes takes
-- first (the capture triggers too), so sseq order is commit order.
CREATE OR REPLACE FUNCTION outpost.log_lock_key()
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 7305528937441::bigint $$;

-- The SQL expression that turns wire text `src` into a column of the
-- portable type `typ` (PROTOCOL.md "Wire form").
CREATE OR REPLACE FUNCTION outpost.dec_expr(typ text, src text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE typ
    WHEN 'integer' THEN format('(%s)::bigint', src)
    WHEN 'real' THEN format('(%s)::double precision', src)
    WHEN 'boolean' THEN format('(%s)::boolean', src)
    WHEN 'timestamp' THEN format('(%s)::timestamptz', src)
    WHEN 'date' THEN format('(%s)::date', src)
    WHEN 'json' THEN format('(%s)::jsonb', src)
    WHEN 'uuid' THEN format('(%s)::uuid', src)
    WHEN 'blob' THEN format('decode(%s, ''hex'')', src)
    WHEN 'text[]' THEN format('(SELECT array_agg(x) FROM '
                              'jsonb_array_elements_text((%s)::jsonb) x)', src)
    ELSE src
  END
$$;

-- The wire text of a column of portable type `typ` (the inverse of
-- dec_expr; as the capture triggers encode, sync/pg_central_capture.c).
CREATE OR REPLACE FUNCTION outpost.enc_expr(typ text, src text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE typ
    WHEN 'integer' THEN format('(%s)::text', src)
    WHEN 'uuid' THEN format('(%s)::text', src)
    WHEN 'json' THEN format('(%s)::text', src)
    WHEN 'boolean' THEN format('CASE WHEN %s THEN ''1'' WHEN NOT %s THEN '
                               '''0'' END', src, src)
    WHEN 'real' THEN format('outpost.enc_real(%s)', src)
    WHEN 'timestamp' THEN format('outpost.enc_ts(%s)', src)
    WHEN 'date' THEN format('to_char(%s, ''YYYY-MM-DD'')', src)
    WHEN 'blob' THEN format('upper(encode(%s, ''hex''))', src)
    WHEN 'text[]' THEN format('to_jsonb(%s)::text', src)
    ELSE src
  END
$$;

-- Values newer than their row's delete, kept while the row is dead in
-- case an insert brings it back (PROTOCOL.md "Parked values"): val is
-- the wire value (a JSON string, or null).
CREATE TABLE IF NOT EXISTS outpost.parked (
  tbl text NOT NULL, id uuid NOT NULL, col text NOT NULL,
  hlc bigint NOT NULL, site bytea NOT NULL, val jsonb,
  PRIMARY KEY (tbl, id, col));
REVOKE ALL ON outpost.parked FROM PUBLIC;

-- The values of nv that beat their column's effective clock: the later of
-- the column's own clock (cols: {col: [hlc_text, site_hex]}) and the row
-- clock. A value's clock is nh[col], or h1 for a row with one entry.
CREATE OR REPLACE FUNCTION outpost.win_cols(nv jsonb, nh jsonb, h1 bigint,
                                            site bytea, cols jsonb,
                                            row_hlc bigint, row_site bytea)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k, nv->k), '{}')
    FROM jsonb_object_keys(nv) k
   WHERE (row_hlc IS NULL OR
          (coalesce((nh->>k)::bigint, h1), site) > (row_hlc, row_site))
     AND (jsonb_typeof(cols->k) IS DISTINCT FROM 'array' OR
          (coalesce((nh->>k)::bigint, h1), site) >
          ((cols->k->>0)::bigint, decode(cols->k->>1, 'hex')))
$$;

-- The clocks to keep for the won values: only where they say more than
-- the row clock (floor; NULL: all of them).
CREATE OR REPLACE FUNCTION outpost.win_clocks(win jsonb, nh jsonb, h1 bigint,
                                              site bytea, floor bigint)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k, jsonb_build_array(
           coalesce((nh->>k)::bigint, h1)::text, encode(site, 'hex'))), '{}')
    FROM jsonb_object_keys(win) k
   WHERE floor IS NULL OR coalesce((nh->>k)::bigint, h1) > floor
$$;

-- An edge's fields with each property a field of its own ("props.NAME"),
-- so properties are merged one by one as on devices (PROTOCOL.md "Edges").
CREATE OR REPLACE FUNCTION outpost.edge_fields(v jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL OR jsonb_typeof(v->'props') IS DISTINCT FROM
                   'object' THEN v - 'props'
         ELSE (v - 'props') || coalesce((SELECT jsonb_object_agg('props.' || k,
                                                                 x)
                                           FROM jsonb_each(v->'props') AS p(k, x)),
                                        '{}') END
$$;

-- The properties among an edge's won fields, as one object again.
CREATE OR REPLACE FUNCTION outpost.edge_props(win jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(substr(k, 7), win->k), '{}')
    FROM jsonb_object_keys(win) k WHERE k LIKE 'props.%'
$$;

-- An edge's properties after a merge: a property set to null is gone
-- (only at the top: a JSON value keeps its own nulls).
CREATE OR REPLACE FUNCTION outpost.props_merge(old jsonb, won jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT nullif(coalesce((SELECT jsonb_object_agg(k, v)
                            FROM jsonb_each(coalesce(old, '{}') || won) AS p(k, v)
                           WHERE v <> 'null'::jsonb), '{}'), '{}')
$$;

-- The batch's entries of one table, label or type folded and set against
-- what central holds, into the temporary table outpost_m: per row the
-- winning row event (rw), whether it lives afterwards (alive), the values
-- that won (win) and their clocks (winclk), and its scope value. phys is
-- the table holding the rows, pk its key, scope_col NULL if unscoped.
CREATE OR REPLACE FUNCTION outpost.push_fold(p_tbl text, p_site bytea,
                                             p_phys text, p_pk text,
                                             p_scope_col text,
                                             p_edge boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DROP TABLE IF EXISTS outpost_m;
  EXECUTE format($q$
    CREATE TEMP TABLE outpost_m ON COMMIT DROP AS
    WITH e AS (SELECT seq, h, op, uid AS id,
                      CASE WHEN $3 THEN outpost.edge_fields(vals)
                           ELSE vals END AS vals
                 FROM pg_temp.outpost_in WHERE tbl = $1),
    g AS (SELECT id, count(*) AS n FROM e GROUP BY id),
    -- Most rows have one entry in a batch: no folding for them.
    one AS (SELECT e.id, CASE WHEN e.op <> 'U' THEN e.op END AS rop,
                   CASE WHEN e.op <> 'U' THEN e.h END AS rh,
                   coalesce(e.vals, '{}') AS nv, e.h AS h1, NULL::jsonb AS nh
              FROM e JOIN g USING (id) WHERE g.n = 1),
    ee AS (SELECT e.* FROM e JOIN g USING (id) WHERE g.n > 1),
    r AS (SELECT DISTINCT ON (id) id, op AS rop, h AS rh FROM ee
           WHERE op <> 'U' ORDER BY id, seq DESC),
    v AS (SELECT DISTINCT ON (ee.id, kv.key) ee.id, kv.key, kv.value, ee.h
            FROM ee, jsonb_each(ee.vals) kv
           WHERE ee.op <> 'D' ORDER BY ee.id, kv.key, ee.seq DESC),
    va AS (SELECT id, jsonb_object_agg(key, value) AS nv,
                  jsonb_object_agg(key, h) AS nh FROM v GROUP BY id),
    many AS (SELECT g.id, r.rop, r.rh, coalesce(va.nv, '{}') AS nv,
                    NULL::bigint AS h1, coalesce(va.nh, '{}') AS nh
               FROM g LEFT JOIN r USING (id) LEFT JOIN va USING (id)
              WHERE g.n > 1),
    f AS (SELECT * FROM one UNION ALL SELECT * FROM many),
    s AS (SELECT f.*, c.row_hlc, c.row_site, coalesce(c.dead, false) AS dead,
                 coalesce(c.cols, '{}') AS cols, x.%2$I IS NOT NULL AS present,
                 %3$s AS old_scope, c.scope AS clock_scope,
                 f.rop IS NOT NULL AND (c.row_hlc IS NULL OR
                   (f.rh, $2) > (c.row_hlc, c.row_site)) AS rw
            FROM f LEFT JOIN outpost.clocks c ON c.tbl = $1 AND c.id = f.id
            LEFT JOIN %1$s x ON x.%2$I = f.id),
    a AS (SELECT s.*, CASE WHEN s.rw THEN s.rop = 'I' ELSE s.present END
                      AS alive FROM s),
    w AS (SELECT a.*,
                 CASE WHEN NOT a.alive THEN '{}'::jsonb
                      WHEN a.rw THEN a.nv  -- a new start: every value wins
                      ELSE outpost.win_cols(a.nv, a.nh, a.h1, $2, a.cols,
                                            a.row_hlc, a.row_site) END AS win,
                 %4$s AS scope_value
            FROM a)
    SELECT w.*,
           CASE WHEN w.win = '{}' THEN '{}'::jsonb
                -- one insert: the row clock says it all
                WHEN w.rw AND w.nh IS NULL THEN '{}'::jsonb
                ELSE outpost.win_clocks(w.win, w.nh, w.h1, $2,
                                        CASE WHEN w.rw THEN w.rh END)
           END AS winclk
      FROM w
  $q$, p_phys, p_pk,
     CASE WHEN p_scope_col IS NULL THEN 'NULL::text'
          ELSE format('x.%I::text', p_scope_col) END,
     CASE WHEN p_scope_col IS NULL THEN 'NULL::text'
          -- scoped by its own key (users by id): the row's id is it
          WHEN p_scope_col = p_pk THEN 'a.id::text'
          -- a row central no longer holds (deleted): the scope kept
          -- with its clock, so an update reaching it is seen by its scope
          ELSE format('coalesce(a.nv->>%L, a.old_scope, a.clock_scope)',
                      p_scope_col) END)
  USING p_tbl, p_site, p_edge;
END
$fn$;

-- The clocks after the merge (both kinds of rows).
CREATE OR REPLACE FUNCTION outpost.push_clocks(p_tbl text, p_site bytea)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outpost.clocks AS c (tbl, id, row_hlc, row_site, dead, cols,
                                   scope)
  SELECT p_tbl, m.id,
         CASE WHEN m.rw THEN m.rh ELSE m.row_hlc END,
         CASE WHEN m.rw THEN p_site ELSE m.row_site END,
         CASE WHEN m.rw THEN m.rop = 'D' ELSE m.dead END,
         CASE WHEN m.rw AND m.rop = 'D' THEN '{}'::jsonb
              WHEN m.rw THEN m.winclk
              ELSE m.cols || m.winclk END,
         m.scope_value
    FROM outpost_m m
   -- A row's first insert writes no clock, as on devices: anything
   -- that can reach it later was made after it (PROTOCOL.md).
   WHERE (m.rw AND NOT (m.rop = 'I' AND NOT m.present AND
                        m.row_hlc IS NULL AND m.winclk = '{}'))
      OR m.winclk <> '{}'
  ON CONFLICT ON CONSTRAINT clocks_pkey DO UPDATE SET
    row_hlc = EXCLUDED.row_hlc, row_site = EXCLUDED.row_site,
    dead = EXCLUDED.dead, cols = EXCLUDED.cols, scope = EXCLUDED.scope;
END
$$;

-- Park what a dead row must keep (before the batch's deletes run): the
-- stored values a winning delete would drop whose clocks are newer than
-- it, and update values newer than the row's tombstone. Parked values
-- the new tombstone makes old are dropped.
CREATE OR REPLACE FUNCTION outpost.push_park(t outpost.catalog, p_site bytea,
                                             qt text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  enc text := '''{}''::jsonb';
  c_name text;
  c_type text;
BEGIN
  FOR c_name, c_type IN SELECT key, value #>> '{}' FROM jsonb_each(t.cols)
                         WHERE key <> t.pk LOOP
    enc := enc || format(' || jsonb_build_object(%L, %s)', c_name,
                         outpost.enc_expr(c_type, format('x.%I', c_name)));
  END LOOP;
  -- A delete that won over a live row: its newer column values.
  EXECUTE format($q$
    INSERT INTO outpost.parked AS p (tbl, id, col, hlc, site, val)
    SELECT $1, m.id, k, (m.cols->k->>0)::bigint, decode(m.cols->k->>1, 'hex'),
           to_jsonb((%s)->>k)
      FROM outpost_m m JOIN %s x ON x.%I = m.id, jsonb_object_keys(m.cols) k
     WHERE m.rw AND m.rop = 'D' AND m.present
       AND ((m.cols->k->>0)::bigint, decode(m.cols->k->>1, 'hex')) > (m.rh, $2)
    ON CONFLICT (tbl, id, col) DO UPDATE SET hlc = EXCLUDED.hlc,
      site = EXCLUDED.site, val = EXCLUDED.val
     WHERE (EXCLUDED.hlc, EXCLUDED.site) > (p.hlc, p.site)
  $q$, enc, qt, t.pk) USING t.name, p_site;
  -- Updates reaching a dead row, newer than its tombstone.
  INSERT INTO outpost.parked AS p (tbl, id, col, hlc, site, val)
  SELECT t.name, m.id, k, coalesce((m.nh->>k)::bigint, m.h1), p_site, m.nv->k
    FROM outpost_m m, jsonb_object_keys(m.nv) k
   WHERE NOT m.alive AND (m.dead OR (m.rw AND m.rop = 'D'))
     AND (coalesce((m.nh->>k)::bigint, m.h1), p_site) >
         (CASE WHEN m.rw THEN m.rh ELSE m.row_hlc END,
          CASE WHEN m.rw THEN p_site ELSE m.row_site END)
  ON CONFLICT (tbl, id, col) DO UPDATE SET hlc = EXCLUDED.hlc,
    site = EXCLUDED.site, val = EXCLUDED.val
   WHERE (EXCLUDED.hlc, EXCLUDED.site) > (p.hlc, p.site);
  -- A newer tombstone leaves older parked values nothing to wait for.
  DELETE FROM outpost.parked p USING outpost_m m
   WHERE p.tbl = t.name AND p.id = m.id AND m.rw AND m.rop = 'D'
     AND (p.hlc, p.site) <= (m.rh, p_site);
END
$fn$;

-- After the batch's inserts: a row an insert brought back takes, column by
-- column, the parked value where it is newer than the insert's; its
-- parked values are then used up. sets is push_rows' SET list, which
-- reads m.win.
CREATE OR REPLACE FUNCTION outpost.push_unpark(t outpost.catalog,
                                               p_site bytea, qt text,
                                               sets text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DROP TABLE IF EXISTS outpost_r;
  CREATE TEMP TABLE outpost_r ON COMMIT DROP AS
  SELECT m.id, jsonb_object_agg(p.col, p.val) AS win,
         jsonb_object_agg(p.col, jsonb_build_array(p.hlc::text,
                                                   encode(p.site, 'hex')))
           AS clk
    FROM outpost_m m JOIN outpost.parked p ON p.tbl = t.name AND p.id = m.id
   WHERE m.rw AND m.rop = 'I'
     AND (p.hlc, p.site) > (coalesce((m.nh->>p.col)::bigint, m.h1, m.rh),
                            p_site)
   GROUP BY m.id;
  IF sets <> '' THEN
    EXECUTE format('UPDATE %s x SET %s FROM outpost_r m WHERE x.%I = m.id',
                   qt, sets, t.pk);
  END IF;
  INSERT INTO outpost.clocks AS c (tbl, id, row_hlc, row_site, dead, cols)
  SELECT t.name, m.id, m.rh, p_site, false, r.clk
    FROM outpost_r r JOIN outpost_m m USING (id)
  ON CONFLICT ON CONSTRAINT clocks_pkey DO UPDATE SET
    cols = c.cols || EXCLUDED.cols;
  DELETE FROM outpost.parked p USING outpost_m m
   WHERE p.tbl = t.name AND p.id = m.id AND m.rw AND m.rop = 'I';
END
$fn$;

-- Merge the batch's entries of one table or node label.
CREATE OR REPLACE FUNCTION outpost.push_rows(t outpost.catalog, p_site bytea,
                                             p_device text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  qt text := format('public.%I', t.name);
  known text[];
  c_name text;
  c_type text;
  sets text := '';
  c_list text := format('%I', t.pk);
  c_vals text := 'm.id';
  bad record;
BEGIN
  PERFORM outpost.push_fold(t.name, p_site, qt, t.pk, t.scope_col, false);
  -- A column the table does not have refuses the whole batch.
  SELECT array_agg(k) INTO known FROM jsonb_object_keys(t.cols) k
   WHERE k <> t.pk;
  SELECT m.id, (SELECT min(k) FROM jsonb_object_keys(m.nv - known) k) AS key
    INTO bad FROM outpost_m m WHERE m.nv - known <> '{}' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: %.% (row %): no such column', t.name, bad.key,
      bad.id USING ERRCODE = '22023';
  END IF;
  -- Scopes: the row's scope value (new or stored) must be one of the
  -- device's, and nothing may move a row to another scope.
  IF t.scope_col IS NOT NULL THEN
    SELECT m.id, m.nv->>t.scope_col AS v, m.old_scope AS old INTO bad
      FROM outpost_m m
     WHERE m.present AND m.nv ? t.scope_col AND m.rop IS DISTINCT FROM 'I'
       AND (m.nv->>t.scope_col) IS DISTINCT FROM m.old_scope LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'outpost: %.% (row %): a scope column cannot change '
        '(from % to %)', t.name, t.scope_col, bad.id, bad.old, bad.v
        USING ERRCODE = '42501';
    END IF;
    SELECT m.id, m.scope_value AS v INTO bad FROM outpost_m m
     WHERE m.scope_value IS NOT NULL AND m.scope_value NOT IN
           (SELECT s.value FROM outpost.device_scopes s
             WHERE s.device = p_device AND s.name = t.scope_name)
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'outpost: % row % is in scope %=%, outside device %''s '
        'scopes', t.name, bad.id, t.scope_name, bad.v, p_device
        USING ERRCODE = '42501';
    END IF;
  END IF;
  INSERT INTO outpost_s SELECT t.name, m.id, m.scope_value FROM outpost_m m;

  IF t.policy = 'lww' THEN
    PERFORM outpost.push_park(t, p_site, qt);
  END IF;
  EXECUTE format('DELETE FROM %s x USING outpost_m m WHERE x.%I = m.id '
                 'AND m.rw AND m.rop = ''D''', qt, t.pk);
  FOR c_name, c_type IN SELECT key, value #>> '{}' FROM jsonb_each(t.cols)
                         WHERE key <> t.pk ORDER BY key LOOP
    sets := sets || format('%s%I = CASE WHEN m.win ? %L THEN %s ELSE x.%I END',
                           CASE WHEN sets = '' THEN '' ELSE ', ' END, c_name,
                           c_name, outpost.dec_expr(c_type,
                           format('m.win->>%L', c_name)), c_name);
    c_list := c_list || format(', %I', c_name);
    c_vals := c_vals || ', ' ||
              outpost.dec_expr(c_type, format('m.win->>%L', c_name));
  END LOOP;
  IF sets <> '' THEN
    EXECUTE format('UPDATE %s x SET %s FROM outpost_m m WHERE x.%I = m.id '
                   'AND m.alive AND m.present AND m.win <> ''{}''', qt, sets,
                   t.pk);
  END IF;
  EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM outpost_m m '
                 'WHERE m.alive AND NOT m.present', qt, c_list, c_vals);
  PERFORM outpost.push_clocks(t.name, p_site);
  IF t.policy = 'lww' THEN
    PERFORM outpost.push_unpark(t, p_site, qt, sets);
  END IF;
END
$fn$;

-- Merge the batch's entries of one relationship type: the edge is the
-- row, its fields (from, to, valid_from, valid_to, props) the columns.
CREATE OR REPLACE FUNCTION outpost.push_edges(t outpost.catalog, p_site bytea)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  bad record;
BEGIN
  PERFORM outpost.push_fold(t.name, p_site, 'outpost.edges', 'uuid', NULL,
                            true);
  SELECT m.id, k AS key INTO bad
    FROM outpost_m m, jsonb_object_keys(m.nv) k
   WHERE k NOT IN ('from', 'to', 'valid_from', 'valid_to') AND
         k NOT LIKE 'props.%'
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: % edge %: no field %', t.name, bad.id, bad.key
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO outpost_s SELECT t.name, m.id, NULL FROM outpost_m m;
  DELETE FROM outpost.edges x USING outpost_m m
   WHERE x.uuid = m.id AND m.rw AND m.rop = 'D';
  UPDATE outpost.edges x SET
    from_uuid = CASE WHEN m.win ? 'from' THEN (m.win->>'from')::uuid
                     ELSE x.from_uuid END,
    to_uuid = CASE WHEN m.win ? 'to' THEN (m.win->>'to')::uuid
                   ELSE x.to_uuid END,
    valid_from = CASE WHEN m.win ? 'valid_from'
                      THEN (m.win->>'valid_from')::timestamptz
                      ELSE x.valid_from END,
    valid_to = CASE WHEN m.win ? 'valid_to'
                    THEN (m.win->>'valid_to')::timestamptz ELSE x.valid_to END,
    props = CASE WHEN outpost.edge_props(m.win) = '{}' THEN x.props
                 ELSE outpost.props_merge(x.props, outpost.edge_props(m.win))
            END
    FROM outpost_m m
   WHERE x.uuid = m.id AND m.alive AND m.present AND m.win <> '{}';
  INSERT INTO outpost.edges (uuid, type, from_uuid, to_uuid, valid_from,
                             valid_to, props)
  SELECT m.id, t.name, (m.win->>'from')::uuid, (m.win->>'to')::uuid,
         (m.win->>'valid_from')::timestamptz,
         (m.win->>'valid_to')::timestamptz,
         outpost.props_merge(NULL, outpost.edge_props(m.win))
    FROM outpost_m m WHERE m.alive AND NOT m.present;
  PERFORM outpost.push_clocks(t.name, p_site);
END
$fn$;

-- The session's staging table for a batch, made by central's owner (so
-- the device can fill it but not change what it is) and kept for the
-- session; the device COPYs its batch into it, then calls push.
CREATE OR REPLACE FUNCTION outpost.push_stage()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
AS $fn$
BEGIN
  IF to_regclass('pg_temp.outpost_in') IS NULL THEN
    CREATE TEMP TABLE outpost_in (seq bigint, h bigint, tbl text, op text,
                                  uid uuid, vals jsonb)
      ON COMMIT DELETE ROWS;
    EXECUTE format('GRANT INSERT ON pg_temp.outpost_in TO %I', session_user);
  END IF;
END
$fn$;

-- The batch the device COPYed into pg_temp.outpost_in: checked whole,
-- merged table by table, logged in the device's order, recorded.
CREATE OR REPLACE FUNCTION outpost.push(p_batch uuid, p_site bytea,
                                        p_from bigint, p_to bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
AS $fn$
DECLARE
  d outpost.devices;
  t outpost.catalog;
  bad record;
  bound bigint;
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  n bigint;
BEGIN
  -- The device is the role that logged in; its row is locked, so two
  -- pushes of one device are applied one after the other.
  SELECT * INTO d FROM outpost.devices WHERE role = session_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'outpost: role % is not a registered outpost device '
      '(outpost central add-device)', session_user USING ERRCODE = '42501';
  END IF;
  IF p_site IS NULL OR length(p_site) <> 16 THEN
    RAISE EXCEPTION 'outpost: a site id is 16 bytes' USING ERRCODE = '22023';
  END IF;
  IF d.site IS NULL THEN
    UPDATE outpost.devices SET site = p_site WHERE name = d.name;
  ELSIF d.site <> p_site THEN
    RAISE EXCEPTION 'outpost: device % belongs to the store with site %, '
      'not %', d.name, encode(d.site, 'hex'), encode(p_site, 'hex')
      USING ERRCODE = '42501';
  END IF;
  IF EXISTS (SELECT 1 FROM outpost.batches WHERE batch = p_batch) THEN
    RETURN d.pushed_seq; -- a retry of a batch that is in
  END IF;

  -- The batch is in the staging table push_stage() made (it is central's
  -- owner's: a device's own table of that name, which could be a view
  -- calling its functions as the owner, is refused). Entries at or below
  -- the device's high-water mark are in already (a batch cut again after
  -- a crash).
  IF NOT EXISTS (SELECT 1 FROM pg_class c
                  WHERE c.oid = to_regclass('pg_temp.outpost_in')
                    AND c.relkind = 'r'
                    AND c.relowner = current_user::regrole) THEN
    RAISE EXCEPTION 'outpost: the batch is not in outpost.push_stage()''s '
      'table pg_temp.outpost_in (drop your own table of that name)'
      USING ERRCODE = '42501';
  END IF;
  DELETE FROM pg_temp.outpost_in WHERE seq <= d.pushed_seq;
  SELECT count(*) INTO n FROM pg_temp.outpost_in;
  DROP TABLE IF EXISTS outpost_s;
  CREATE TEMP TABLE outpost_s (tbl text, id uuid, scope_value text)
    ON COMMIT DROP;

  SELECT e.* INTO bad FROM pg_temp.outpost_in e
   WHERE e.seq IS NULL OR e.h IS NULL OR e.h < 0 OR e.op IS NULL
      OR e.op NOT IN ('I', 'U', 'D') OR e.uid IS NULL
      OR (e.op = 'D') <> (e.vals IS NULL OR jsonb_typeof(e.vals) = 'null')
      OR (e.op <> 'D' AND jsonb_typeof(e.vals) <> 'object')
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% % %): malformed (seq, hlc as '
      'decimal text, op I/U/D, a uuid id, vals an object, null for D)',
      bad.seq, bad.tbl, bad.op, bad.uid USING ERRCODE = '22023';
  END IF;
  SELECT e.seq, e.tbl INTO bad FROM pg_temp.outpost_in e
   WHERE NOT EXISTS (SELECT 1 FROM outpost.catalog c WHERE c.name = e.tbl)
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry %: no table, label or type % at central '
      '(is central''s schema older? outpost central migrate)', bad.seq,
      bad.tbl USING ERRCODE = '42P01';
  END IF;
  SELECT e.seq, e.tbl, e.op, e.uid, c.policy INTO bad
    FROM pg_temp.outpost_in e
    JOIN outpost.catalog c ON c.name = e.tbl
   WHERE c.policy = 'central_wins' OR (c.policy = 'append_only' AND e.op <> 'I')
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% % %): % is %: %', bad.seq, bad.tbl,
      bad.op, bad.uid, bad.tbl, bad.policy,
      CASE bad.policy WHEN 'central_wins' THEN 'devices cannot change it'
           ELSE 'insert-only' END USING ERRCODE = '42501';
  END IF;
  bound := coalesce((SELECT value::bigint FROM outpost.meta
                      WHERE key = 'hlc_bound_ms'), 86400000);
  SELECT e.seq, e.tbl, e.uid, e.h INTO bad FROM pg_temp.outpost_in e
   WHERE (e.h >> 16) > now_ms + bound ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% %): its clock % is more than % ms '
      'ahead of the server''s (is the device''s clock wrong?)', bad.seq,
      bad.tbl, bad.uid,
      to_char(to_timestamp((bad.h >> 16) / 1000.0) AT TIME ZONE 'UTC',
              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), bound USING ERRCODE = '22008';
  END IF;

  -- One writer of the central log at a time: sseq order is commit order.
  PERFORM pg_advisory_xact_lock(outpost.log_lock_key());
  PERFORM outpost.set_applying(true);
  FOR t IN SELECT c.* FROM outpost.catalog c
            WHERE c.name IN (SELECT DISTINCT tbl FROM pg_temp.outpost_in)
            ORDER BY c.name LOOP
    IF t.kind = 'type' THEN
      PERFORM outpost.push_edges(t, p_site);
    ELSE
      PERFORM outpost.push_rows(t, p_site, d.name);
    END IF;
  END LOOP;
  -- Logged in the device's order: a row's parent before the row.
  INSERT INTO outpost.changes (hlc, site, tbl, op, row_id, vals, scope_name,
                               scope_value, device)
  SELECT e.h, p_site, e.tbl, e.op, e.uid, e.vals, c.scope_name,
         s.scope_value, d.name
    FROM pg_temp.outpost_in e JOIN outpost.catalog c ON c.name = e.tbl
    LEFT JOIN outpost_s s ON s.tbl = e.tbl AND s.id = e.uid
   ORDER BY e.seq;
  -- The server's clock goes past every clock it has seen.
  UPDATE outpost.hlc_state SET last = greatest(last,
         coalesce((SELECT max(h) FROM pg_temp.outpost_in), 0));
  UPDATE outpost.devices SET pushed_seq = greatest(pushed_seq, p_to),
         last_push_at = now() WHERE name = d.name;
  INSERT INTO outpost.batches (batch, device, from_seq, to_seq, n, at)
  VALUES (p_batch, d.name, p_from, p_to, n, now());
  PERFORM outpost.set_applying(false);
  RETURN greatest(d.pushed_seq, p_to);
END
$fn$;

-- What a device needs to know before it syncs: who it is to central, its
-- high-water mark, and central's schema.
CREATE OR REPLACE FUNCTION outpost.hello()
RETURNS TABLE (device text, site text, pushed_seq bigint, format text,
               schema_name text, schema_version bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
  SELECT d.name, encode(d.site, 'hex'), d.pushed_seq,
         (SELECT value FROM outpost.meta WHERE key = 'format'),
         (SELECT value FROM outpost.meta WHERE key = 'schema_name'),
         (SELECT value::bigint FROM outpost.meta WHERE key = 'schema_version')
    FROM outpost.devices d WHERE d.role = session_user
$$;

-- Nothing here is everyone's: outpost.grant_device gives each device
-- EXECUTE on push and hello; the parts run as central's owner.
REVOKE ALL ON FUNCTION outpost.log_lock_key(), outpost.dec_expr(text, text),
  outpost.win_cols(jsonb, jsonb, bigint, bytea, jsonb, bigint, bytea),
  outpost.win_clocks(jsonb, jsonb, bigint, bytea, bigint),
  outpost.push_fold(text, bytea, text, text, text, boolean),
  outpost.edge_fields(jsonb), outpost.edge_props(jsonb),
  outpost.props_merge(jsonb, jsonb),
  outpost.push_clocks(text, bytea),
  outpost.push_park(outpost.catalog, bytea, text),
  outpost.push_unpark(outpost.catalog, bytea, text, text),
  outpost.enc_expr(text, text),
  outpost.push_rows(outpost.catalog, bytea, text),
  outpost.push_edges(outpost.catalog, bytea),
  outpost.push(uuid, bytea, bigint, bigint), outpost.push_stage(),
  outpost.hello() FROM PUBLIC;
DROP FUNCTION IF EXISTS outpost.push(uuid, bytea, bigint, bigint, jsonb);
DROP FUNCTION IF EXISTS outpost.push_fold(text, bytea, text, text, text);
-- The capture triggers' WHEN asks outpost.applying() as whoever writes.
GRANT EXECUTE ON FUNCTION outpost.applying() TO PUBLIC;
