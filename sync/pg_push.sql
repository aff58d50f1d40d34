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

-- A row's first insert writes no clock (PROTOCOL.md): when a second insert
-- of the same id arrives, the first one's clock is read from its log
-- entry. This index serves that lookup and nothing else.
CREATE INDEX IF NOT EXISTS changes_insert_idx ON outpost.changes (row_id)
  WHERE op = 'I';

-- The batch's entries of one table, label or type folded and set against
-- what central holds, into the temporary table outpost_m: per row the
-- winning row event (rw), whether it lives afterwards (alive), the values
-- that won (win) and their clocks (winclk), and its scope value. phys is
-- the table holding the rows, pk its key, scope_col NULL if unscoped.
-- p_pre: outpost_pre holds this table's scopes from before the batch;
-- p_fresh: rows in outpost_f went in by push_fresh, not folded.
CREATE OR REPLACE FUNCTION outpost.push_fold(p_tbl text, p_site bytea,
                                             p_phys text, p_pk text,
                                             p_scope_col text,
                                             p_edge boolean,
                                             p_pre boolean,
                                             p_fresh boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DROP TABLE IF EXISTS outpost_m;
  EXECUTE format($q$
    CREATE TEMP TABLE outpost_m ON COMMIT DROP AS
    WITH e AS (SELECT seq, h, op, uid AS id,
                      CASE WHEN $3 THEN outpost.edge_fields(vals)
                           ELSE vals END AS vals
                 FROM pg_temp.outpost_in WHERE tbl = $1 %7$s),
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
    -- A live row without a row clock is a first insert's: for an insert
    -- of the same id its clock is that insert's (found in the log).
    k AS (SELECT f.*, x.%2$I IS NOT NULL AS present, %3$s AS old_scope,
                 c.row_hlc AS c_hlc, c.row_site AS c_site,
                 coalesce(c.dead, false) AS dead,
                 coalesce(c.cols, '{}') AS cols, c.scope AS clock_scope,
                 %5$s AS pre_scope
            FROM f LEFT JOIN outpost.clocks c ON c.tbl = $1 AND c.id = f.id
            LEFT JOIN %1$s x ON x.%2$I = f.id %6$s),
    s AS (SELECT k.*, coalesce(k.c_hlc, ins.hlc) AS row_hlc,
                 coalesce(k.c_site, ins.site) AS row_site,
                 ins.hlc IS NOT NULL AS ins_clock,
                 k.rop IS NOT NULL AND (coalesce(k.c_hlc, ins.hlc) IS NULL OR
                   (k.rh, $2) > (coalesce(k.c_hlc, ins.hlc),
                                 coalesce(k.c_site, ins.site))) AS rw
            FROM k LEFT JOIN LATERAL
                 (SELECT ch.hlc, ch.site FROM outpost.changes ch
                   WHERE k.present AND k.c_hlc IS NULL AND k.rop = 'I'
                     AND ch.op = 'I' AND ch.row_id = k.id AND ch.tbl = $1
                   ORDER BY ch.sseq DESC LIMIT 1) ins ON true),
    a AS (SELECT s.*, CASE WHEN s.rw THEN s.rop = 'I' ELSE s.present END
                      AS alive FROM s),
    w AS (SELECT a.*,
                 CASE WHEN NOT a.alive THEN '{}'::jsonb
                      -- a new start: every value wins
                      WHEN a.rw AND NOT a.present THEN a.nv
                      -- an insert over a live row: not over a column
                      -- updated after it (the row clock it beats is in)
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
          -- or one a cascade took earlier in this batch: from before
          ELSE format('coalesce(a.nv->>%L, a.old_scope, a.pre_scope, '
                      'a.clock_scope)', p_scope_col) END,
     CASE WHEN p_pre THEN 'pre.scope' ELSE 'NULL::text' END,
     CASE WHEN p_pre THEN 'LEFT JOIN outpost_pre pre ON pre.tbl = $1 AND '
                          'pre.id = f.id' ELSE '' END,
     CASE WHEN p_fresh THEN 'AND uid NOT IN (SELECT id FROM outpost_f)'
          ELSE '' END)
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
              WHEN m.rw AND NOT m.present THEN m.winclk
              ELSE m.cols || m.winclk END,
         m.scope_value
    FROM outpost_m m
   -- A row's first insert writes no clock, as on devices: anything
   -- that can reach it later was made after it (PROTOCOL.md).
   WHERE (m.rw AND NOT (m.rop = 'I' AND NOT m.present AND
                        m.row_hlc IS NULL AND m.winclk = '{}'))
      OR m.winclk <> '{}'
      -- a second insert of a row: both sides keep the winner's clock
      OR m.ins_clock
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

-- The merged rows of table t in p_rows (outpost_f or outpost_m: id,
-- scope_value): each must be in one of the device's scopes (a row with no
-- scope value passes); then they are listed for the log (outpost_s).
CREATE OR REPLACE FUNCTION outpost.push_scoped(t outpost.catalog,
                                               p_device text, p_rows text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  bad record;
BEGIN
  IF t.scope_col IS NOT NULL THEN
    EXECUTE format('SELECT r.id, r.scope_value AS v FROM %I r '
                   'WHERE r.scope_value NOT IN (SELECT s.value FROM '
                   'outpost.device_scopes s WHERE s.device = $1 AND '
                   's.name = $2) LIMIT 1', p_rows)
      INTO bad USING p_device, t.scope_name;
    IF bad.id IS NOT NULL THEN
      PERFORM outpost.out_of_scope(t.name, bad.id, t.scope_name, bad.v,
                                   p_device);
    END IF;
  END IF;
  EXECUTE format('INSERT INTO outpost_s SELECT $1, r.id, r.scope_value '
                 'FROM %I r', p_rows) USING t.name;
END
$fn$;

-- The text of a row's scope value from its staged entry `alias` (the
-- column's value decoded as the table stores it, then as text, as
-- x.col::text reads it back), or NULL for an unscoped table.
CREATE OR REPLACE FUNCTION outpost.scope_expr(t outpost.catalog, alias text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t.scope_col IS NULL THEN NULL
              WHEN t.scope_col = t.pk THEN format('%I.uid::text', alias)
              ELSE format('(%s)::text', outpost.dec_expr(t.cols->>t.scope_col,
                          format('%I.vals->>%L', alias, t.scope_col))) END
$$;

-- Raised for a staged row outside the device's scopes (also from inside
-- a statement); returns nothing.
CREATE OR REPLACE FUNCTION outpost.out_of_scope(p_tbl text, p_id uuid,
                                                p_scope text, p_value text,
                                                p_device text)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  RAISE EXCEPTION 'outpost: % row % is in scope %=%, outside device %''s '
    'scopes', p_tbl, p_id, p_scope, p_value, p_device USING ERRCODE = '42501',
    HINT = format('nothing of the batch was applied, and it is sent again '
                  'at every sync; to let it in, central''s administrator '
                  'adds the scope: outpost central add-device %s --scope '
                  '%s=%s, with the device''s other scopes', p_device, p_scope,
                  p_value);
END
$fn$;

-- The fastest path of push_rows, for a table whose entries in the batch
-- are all inserts (p_n of them): a plain INSERT (no ON CONFLICT, whose
-- speculative insertion costs a third more) of every one whose id has
-- no clock. It is all or nothing: true if every entry went in (each is a
-- row's first insert, with nothing to fold); false, with nothing written,
-- if any did not (an id twice in the batch, a row or a unique value that
-- is there, an id with a clock), and push_fresh and the fold take the
-- table (that batch's rows of the table are then written twice, once
-- undone: the price of not looking first, paid only when a first insert
-- meets a row). The rows are not listed in outpost_s: push logs their
-- scope from the entry (scope_expr). Scopes are checked row by row.
CREATE OR REPLACE FUNCTION outpost.push_inserts(t outpost.catalog,
                                                p_device text, c_list text,
                                                f_vals text, p_n bigint)
RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint;
  sv text := outpost.scope_expr(t, 'm');
  scopes text[];
BEGIN
  -- The scope is read from the entries, so it must be what is stored: a
  -- table where something of central's own may change a row as it goes
  -- in (a BEFORE INSERT row trigger, a rule) takes the next path, which
  -- reads the stored rows back.
  IF EXISTS (SELECT 1 FROM pg_trigger g
              WHERE g.tgrelid = format('public.%I', t.name)::regclass
                AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                AND g.tgtype & 7 = 7)
     OR EXISTS (SELECT 1 FROM pg_rewrite r
                 WHERE r.ev_class = format('public.%I', t.name)::regclass
                   AND r.rulename <> '_RETURN') THEN
    RETURN false;
  END IF;
  IF sv IS NOT NULL THEN
    scopes := ARRAY(SELECT s.value FROM outpost.device_scopes s
                     WHERE s.device = p_device AND s.name = t.scope_name);
  END IF;
  BEGIN
    -- An id with a clock (a tombstone) is not a first insert. A table
    -- with no clock at all (insert-only: ledgers, events) needs no look
    -- per id: one look for any clock of the table does (under the log's
    -- lock: none can be written meanwhile).
    EXECUTE format($q$
      INSERT INTO public.%1$I (%2$s)
      SELECT %3$s FROM pg_temp.outpost_in m
       WHERE m.tbl = $1 AND m.op = 'I' %5$s
             %4$s
    $q$, t.name, c_list, f_vals,
       CASE WHEN sv IS NULL THEN ''
            ELSE format('AND CASE WHEN %1$s IS NULL OR %1$s = ANY ($2) '
                        'THEN true ELSE outpost.out_of_scope($1, m.uid, $3, '
                        '%1$s, $4) END', sv) END,
       CASE WHEN EXISTS (SELECT 1 FROM outpost.clocks k WHERE k.tbl = t.name)
            THEN 'AND NOT EXISTS (SELECT 1 FROM outpost.clocks k '
                 'WHERE k.tbl = $1 AND k.id = m.uid)'
            ELSE '' END)
      USING t.name, scopes, t.scope_name, p_device;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> p_n THEN
      RAISE SQLSTATE 'OPF01'; -- some ids have clocks: undo, fold them all
    END IF;
    RETURN true;
  EXCEPTION WHEN unique_violation OR SQLSTATE 'OPF01' THEN
    RETURN false;
  END;
END
$fn$;

-- The fast path of push_rows: most entries of a batch are a row's first
-- insert (its only entry in the batch, no clock, no row at central). They
-- go straight from the staging table into the table, as a device's
-- first insert writes no clock; what does not go in (a row of that id or
-- unique value is there) is folded with the rest. Fills outpost_f (id,
-- scope_value) and returns how many went in. c_list and f_vals: the
-- columns and their values decoded from the staged entry m.
CREATE OR REPLACE FUNCTION outpost.push_fresh(t outpost.catalog, p_device text,
                                              c_list text, f_vals text)
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint;
BEGIN
  DROP TABLE IF EXISTS outpost_f;
  EXECUTE format($q$
    CREATE TEMP TABLE outpost_f ON COMMIT DROP AS
    -- One scan with a window, not a join of the staging table with
    -- itself: it has no statistics, and a nested loop over it is n^2.
    WITH m AS (SELECT e.*, count(*) OVER (PARTITION BY e.uid) AS n
                 FROM pg_temp.outpost_in e WHERE e.tbl = $1),
    ins AS (INSERT INTO public.%1$I AS x (%2$s)
            SELECT %3$s FROM m
             WHERE m.n = 1 AND m.op = 'I' AND NOT EXISTS
                   (SELECT 1 FROM outpost.clocks k
                     WHERE k.tbl = $1 AND k.id = m.uid)
            ON CONFLICT DO NOTHING
            RETURNING x.%4$I AS id, %5$s AS scope_value)
    SELECT * FROM ins
  $q$, t.name, c_list, f_vals, t.pk,
     CASE WHEN t.scope_col IS NULL THEN 'NULL::text'
          ELSE format('x.%I::text', t.scope_col) END) USING t.name;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM outpost.push_scoped(t, p_device, 'outpost_f');
  RETURN n;
END
$fn$;

-- Merge the batch's entries of one table or node label (p_pre: its
-- scopes from before the batch are in outpost_pre; p_n entries, p_n_ins
-- of them inserts).
CREATE OR REPLACE FUNCTION outpost.push_rows(t outpost.catalog, p_site bytea,
                                             p_device text, p_pre boolean,
                                             p_n bigint, p_n_ins bigint)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  qt text := format('public.%I', t.name);
  known text[];
  c_name text;
  c_type text;
  sets text := '';
  c_list text := format('%I', t.pk);
  c_vals text := 'm.id';
  f_vals text := 'm.uid';
  bad record;
  n_fresh bigint := 0;
BEGIN
  -- A column the table does not have refuses the whole batch.
  SELECT coalesce(array_agg(k), '{}') INTO known
    FROM jsonb_object_keys(t.cols) k WHERE k <> t.pk;
  SELECT e.uid AS id, (SELECT min(k) FROM jsonb_object_keys(e.vals - known) k)
         AS key
    INTO bad FROM pg_temp.outpost_in e
   WHERE e.tbl = t.name AND e.op <> 'D' AND e.vals - known <> '{}'
   ORDER BY e.seq, e.sub LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: %.% (row %): no such column', t.name, bad.key,
      bad.id USING ERRCODE = '22023';
  END IF;
  FOR c_name, c_type IN SELECT key, value #>> '{}' FROM jsonb_each(t.cols)
                         WHERE key <> t.pk ORDER BY key LOOP
    sets := sets || format('%s%I = CASE WHEN m.win ? %L THEN %s ELSE x.%I END',
                           CASE WHEN sets = '' THEN '' ELSE ', ' END, c_name,
                           c_name, outpost.dec_expr(c_type,
                           format('m.win->>%L', c_name)), c_name);
    c_list := c_list || format(', %I', c_name);
    c_vals := c_vals || ', ' ||
              outpost.dec_expr(c_type, format('m.win->>%L', c_name));
    f_vals := f_vals || ', ' ||
              outpost.dec_expr(c_type, format('m.vals->>%L', c_name));
  END LOOP;
  IF p_n_ins = p_n AND
     outpost.push_inserts(t, p_device, c_list, f_vals, p_n) THEN
    RETURN; -- all of them were first inserts
  END IF;
  n_fresh := outpost.push_fresh(t, p_device, c_list, f_vals);
  IF n_fresh = p_n THEN
    RETURN; -- all of them were first inserts
  END IF;
  PERFORM outpost.push_fold(t.name, p_site, qt, t.pk, t.scope_col, false,
                            p_pre, n_fresh > 0);
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
  END IF;
  PERFORM outpost.push_scoped(t, p_device, 'outpost_m');

  IF t.policy = 'lww' THEN
    PERFORM outpost.push_park(t, p_site, qt);
  END IF;
  EXECUTE format('DELETE FROM %s x USING outpost_m m WHERE x.%I = m.id '
                 'AND m.rw AND m.rop = ''D''', qt, t.pk);
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
  fl outpost.catalog;
  tl outpost.catalog;
BEGIN
  SELECT * INTO fl FROM outpost.catalog WHERE name = t.from_label;
  SELECT * INTO tl FROM outpost.catalog WHERE name = t.to_label;
  PERFORM outpost.push_fold(t.name, p_site, 'outpost.edges', 'uuid', NULL,
                            true, false, false);
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
  -- An edge whose end is gone (deleted elsewhere; node rows are merged
  -- before edges) went with it, as on devices: not made.
  EXECUTE format($q$
    INSERT INTO outpost.edges (uuid, type, from_uuid, to_uuid, valid_from,
                               valid_to, props)
    SELECT m.id, $1, (m.win->>'from')::uuid, (m.win->>'to')::uuid,
           (m.win->>'valid_from')::timestamptz,
           (m.win->>'valid_to')::timestamptz,
           outpost.props_merge(NULL, outpost.edge_props(m.win))
      FROM outpost_m m WHERE m.alive AND NOT m.present
       AND EXISTS (SELECT 1 FROM public.%I a
                    WHERE a.%I = (m.win->>'from')::uuid)
       AND EXISTS (SELECT 1 FROM public.%I b
                    WHERE b.%I = (m.win->>'to')::uuid)
  $q$, fl.name, fl.pk, tl.name, tl.pk) USING t.name;
  PERFORM outpost.push_clocks(t.name, p_site);
END
$fn$;

-- Once the batch is merged, rows whose parent is gone: a child made on one
-- device while another deleted its parent (central had the delete first),
-- or a row central holds whose parent this batch deleted under a key that
-- does not cascade. As on devices (PROTOCOL.md "References"), such a row
-- gets what the delete's cascade gave it elsewhere: set null (a nullable
-- SET NULL reference), else it goes, unlogged. Its entries stay in the
-- log (a ledger keeps every transaction it was sent); devices that pull
-- them settle the orphan the same way. Each round settles what the last
-- one orphaned. The batch's rows are its entries' (staging) and
-- outpost_s's; the orphans that went are added to outpost_s, so their own
-- children are looked at next round. p_tables: the batch's tables.
CREATE OR REPLACE FUNCTION outpost.push_orphans(p_tables text[])
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  k record;
  gone uuid[];
  found_any boolean;
  rounds integer := 0;
  tables text[] := p_tables;
  oids oid[] := ARRAY(SELECT to_regclass(format('public.%I', x))::oid
                        FROM unnest(p_tables) x);
BEGIN
  -- Most batches touch no table with a reference: a look at
  -- pg_constraint alone (the query below costs milliseconds to plan).
  IF NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.contype = 'f' AND
                        (c.conrelid = ANY (oids) OR c.confrelid = ANY (oids)))
  THEN
    RETURN;
  END IF;
  LOOP
    found_any := false;
    FOR k IN
      SELECT ct.name AS child, ct.pk, a.attname AS col,
             a.attnotnull AS notnull, pt.name AS parent, fa.attname AS ref,
             fa.attname = pt.pk AS by_pk, c.confdeltype AS act
        FROM pg_constraint c
        JOIN pg_class cr ON cr.oid = c.conrelid
        JOIN pg_namespace ns ON ns.oid = cr.relnamespace
                            AND ns.nspname = 'public'
        JOIN pg_class pr ON pr.oid = c.confrelid
        JOIN outpost.catalog ct ON ct.name = cr.relname AND ct.kind <> 'type'
        JOIN outpost.catalog pt ON pt.name = pr.relname AND pt.kind <> 'type'
        JOIN pg_attribute a ON a.attrelid = c.conrelid
                           AND a.attnum = c.conkey[1]
        JOIN pg_attribute fa ON fa.attrelid = c.confrelid
                            AND fa.attnum = c.confkey[1]
       WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
         AND (ct.name = ANY (tables) OR pt.name = ANY (tables))
       ORDER BY ct.name, a.attname
    LOOP
      -- The batch's rows of the child table that name a parent, and the
      -- rows naming a parent the batch touched; of those, the ones whose
      -- parent is not there.
      EXECUTE format($q$
        SELECT array_agg(x.%1$I) FROM public.%2$I x
         WHERE x.%3$I IS NOT NULL
           AND (x.%1$I IN (SELECT s.id FROM outpost_s s WHERE s.tbl = %2$L
                           UNION ALL SELECT e.uid FROM pg_temp.outpost_in e
                            WHERE e.tbl = %2$L)
                %6$s)
           AND NOT EXISTS (SELECT 1 FROM public.%4$I p
                            WHERE p.%5$I = x.%3$I)
      $q$, k.pk, k.child, k.col, k.parent, k.ref,
           CASE WHEN k.by_pk THEN format('OR x.%I IN (SELECT s.id FROM '
                                         'outpost_s s WHERE s.tbl = %L '
                                         'UNION ALL SELECT e.uid FROM '
                                         'pg_temp.outpost_in e WHERE '
                                         'e.tbl = %L)', k.col, k.parent,
                                         k.parent)
                ELSE '' END) INTO gone;
      CONTINUE WHEN gone IS NULL;
      found_any := true;
      IF k.act = 'n' AND NOT k.notnull THEN
        EXECUTE format('UPDATE public.%I SET %I = NULL WHERE %I = ANY ($1)',
                       k.child, k.col, k.pk) USING gone;
      ELSE
        EXECUTE format('DELETE FROM public.%I WHERE %I = ANY ($1)', k.child,
                       k.pk) USING gone;
        UPDATE outpost.clocks SET cols = '{}'
         WHERE tbl = k.child AND id = ANY (gone) AND cols <> '{}';
        -- (a row with an entry is listed already: its scope is logged
        -- from its entry, not from here)
        INSERT INTO outpost_s SELECT k.child, g, NULL FROM unnest(gone) g
         WHERE NOT EXISTS (SELECT 1 FROM outpost_s s
                            WHERE s.tbl = k.child AND s.id = g)
           AND NOT EXISTS (SELECT 1 FROM pg_temp.outpost_in e
                            WHERE e.tbl = k.child AND e.uid = g);
        tables := array_append(tables, k.child);
      END IF;
    END LOOP;
    rounds := rounds + 1;
    EXIT WHEN NOT found_any OR rounds >= 64;
  END LOOP;
END
$fn$;

-- How far a device's push is: its entry pushed_seq, and of a bulk import
-- entry (one log entry, many changes) its change pushed_sub; 0 for any
-- other entry (PROTOCOL.md "Push").
ALTER TABLE outpost.devices ADD COLUMN IF NOT EXISTS pushed_sub bigint
  NOT NULL DEFAULT 0;

-- The session's staging table for a batch, made by central's owner (so
-- the device can fill it but not change what it is) and kept for the
-- session; the device COPYs its batch into it, then calls push. sub: the
-- change's place in a bulk import entry (0 otherwise).
CREATE OR REPLACE FUNCTION outpost.push_stage()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
AS $fn$
BEGIN
  IF to_regclass('pg_temp.outpost_in') IS NULL THEN
    CREATE TEMP TABLE outpost_in (seq bigint, h bigint, tbl text, op text,
                                  uid uuid, vals jsonb,
                                  sub bigint NOT NULL DEFAULT 0)
      ON COMMIT DELETE ROWS;
    EXECUTE format('GRANT INSERT ON pg_temp.outpost_in TO %I', session_user);
  END IF;
END
$fn$;

-- The batch the device COPYed into pg_temp.outpost_in: checked whole,
-- merged table by table, logged in the device's order, recorded. The
-- batch ends at change (p_to, p_to_sub).
DROP FUNCTION IF EXISTS outpost.push(uuid, bytea, bigint, bigint);
CREATE OR REPLACE FUNCTION outpost.push(p_batch uuid, p_site bytea,
                                        p_from bigint, p_to bigint,
                                        p_to_sub bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
AS $fn$
DECLARE
  d outpost.devices;
  t outpost.catalog;
  bad record;
  bound bigint;
  pre text[];
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  n bigint;
  tbls text[];
  ns bigint[];
  nis bigint[];
  malformed boolean;
  max_h bigint;
  g record;
  scope_case text;
  name_case text;
  joined boolean;
  stale boolean;
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
  DROP TABLE IF EXISTS outpost_s;
  CREATE TEMP TABLE outpost_s (tbl text, id uuid, scope_value text)
    ON COMMIT DROP;

  -- One pass over the batch: per table its entries and inserts, whether
  -- any entry is malformed, the newest clock, and whether any entry is
  -- one central has (it goes, and the pass is made again). Each check
  -- below looks for the first offending entry only when this pass saw
  -- one.
  LOOP
    SELECT coalesce(array_agg(a.tbl), '{}'), coalesce(array_agg(a.n), '{}'),
           coalesce(array_agg(a.ni), '{}'), coalesce(sum(a.n), 0),
           coalesce(bool_or(a.bad), false), max(a.mh),
           coalesce(bool_or(a.had), false)
      INTO tbls, ns, nis, n, malformed, max_h, stale
      FROM (SELECT e.tbl, count(*) AS n, count(*) FILTER (WHERE e.op = 'I')
                   AS ni, max(e.h) AS mh,
                   bool_or(e.seq IS NULL OR e.h IS NULL OR e.h < 0
                           OR e.op IS NULL OR e.sub < 0
                           OR e.op NOT IN ('I', 'U', 'D') OR e.uid IS NULL
                           OR (e.op = 'D') <> (e.vals IS NULL OR
                                               jsonb_typeof(e.vals) = 'null')
                           OR (e.op <> 'D' AND
                               jsonb_typeof(e.vals) <> 'object')) AS bad,
                   bool_or((e.seq, e.sub) <= (d.pushed_seq, d.pushed_sub))
                     AS had
              FROM pg_temp.outpost_in e GROUP BY e.tbl) a;
    EXIT WHEN NOT stale;
    DELETE FROM pg_temp.outpost_in
     WHERE (seq, sub) <= (d.pushed_seq, d.pushed_sub);
  END LOOP;
  IF malformed THEN
    SELECT e.* INTO bad FROM pg_temp.outpost_in e
     WHERE e.seq IS NULL OR e.h IS NULL OR e.h < 0 OR e.op IS NULL
        OR e.sub < 0
        OR e.op NOT IN ('I', 'U', 'D') OR e.uid IS NULL
        OR (e.op = 'D') <> (e.vals IS NULL OR jsonb_typeof(e.vals) = 'null')
        OR (e.op <> 'D' AND jsonb_typeof(e.vals) <> 'object')
     ORDER BY e.seq LIMIT 1;
    RAISE EXCEPTION 'outpost: entry % (% % %): malformed (seq, hlc as '
      'decimal text, op I/U/D, a uuid id, vals an object, null for D)',
      bad.seq, bad.tbl, bad.op, bad.uid USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(tbls) x WHERE NOT EXISTS
             (SELECT 1 FROM outpost.catalog c WHERE c.name = x)) THEN
    SELECT e.seq, e.tbl INTO bad FROM pg_temp.outpost_in e
     WHERE NOT EXISTS (SELECT 1 FROM outpost.catalog c WHERE c.name = e.tbl)
     ORDER BY e.seq LIMIT 1;
    RAISE EXCEPTION 'outpost: entry %: no table, label or type % at '
      'central (is central''s schema older? outpost central migrate)',
      bad.seq, bad.tbl USING ERRCODE = '42P01';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(tbls, ns, nis) AS b(tbl, n, ni)
               JOIN outpost.catalog c ON c.name = b.tbl
              WHERE c.policy = 'central_wins' OR
                    (c.policy = 'append_only' AND b.ni <> b.n)) THEN
    SELECT e.seq, e.tbl, e.op, e.uid, c.policy INTO bad
      FROM pg_temp.outpost_in e
      JOIN outpost.catalog c ON c.name = e.tbl
     WHERE c.policy = 'central_wins' OR
           (c.policy = 'append_only' AND e.op <> 'I')
     ORDER BY e.seq LIMIT 1;
    RAISE EXCEPTION 'outpost: entry % (% % %): % is %: %', bad.seq, bad.tbl,
      bad.op, bad.uid, bad.tbl, bad.policy,
      CASE bad.policy WHEN 'central_wins' THEN 'devices cannot change it'
           ELSE 'insert-only' END USING ERRCODE = '42501';
  END IF;
  bound := coalesce((SELECT value::bigint FROM outpost.meta
                      WHERE key = 'hlc_bound_ms'), 86400000);
  IF (max_h >> 16) > now_ms + bound THEN
    SELECT e.seq, e.tbl, e.uid, e.h INTO bad FROM pg_temp.outpost_in e
     WHERE (e.h >> 16) > now_ms + bound ORDER BY e.seq LIMIT 1;
    RAISE EXCEPTION 'outpost: entry % (% %): its clock % is more than % ms '
      'ahead of the server''s (is the device''s clock wrong?)', bad.seq,
      bad.tbl, bad.uid,
      to_char(to_timestamp((bad.h >> 16) / 1000.0) AT TIME ZONE 'UTC',
              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), bound USING ERRCODE = '22008';
  END IF;

  -- One writer of the central log at a time: sseq order is commit order.
  PERFORM pg_advisory_xact_lock(outpost.log_lock_key());
  PERFORM outpost.set_applying(true);
  -- The scopes of the rows the batch updates or deletes, from before any
  -- of it is merged: a row that an earlier table's delete cascades away
  -- still has its scope when its own entries are logged.
  pre := ARRAY(SELECT c.name FROM outpost.catalog c
                 JOIN unnest(tbls, ns, nis) AS b(tbl, n, ni)
                   ON b.tbl = c.name
                WHERE c.scope_col IS NOT NULL AND c.scope_col <> c.pk
                  AND b.ni < b.n);
  IF cardinality(pre) > 0 THEN
    DROP TABLE IF EXISTS outpost_pre;
    CREATE TEMP TABLE outpost_pre (tbl text, id uuid, scope text)
      ON COMMIT DROP;
    FOR t IN SELECT c.* FROM outpost.catalog c WHERE c.name = ANY (pre) LOOP
      EXECUTE format('INSERT INTO outpost_pre SELECT %L, x.%I, x.%I::text '
                     'FROM public.%I x WHERE x.%I IN (SELECT e.uid FROM '
                     'pg_temp.outpost_in e WHERE e.tbl = %L AND e.op <> '
                     '''I'')', t.name, t.pk, t.scope_col, t.name, t.pk,
                     t.name);
    END LOOP;
  END IF;
  -- Rows before edges: an edge is made only if its ends are there.
  FOR g IN SELECT c AS cat, b.n, b.ni FROM outpost.catalog c
             JOIN unnest(tbls, ns, nis) AS b(tbl, n, ni) ON b.tbl = c.name
            ORDER BY c.kind = 'type', c.name LOOP
    IF (g.cat).kind = 'type' THEN
      PERFORM outpost.push_edges(g.cat, p_site);
    ELSE
      PERFORM outpost.push_rows(g.cat, p_site, d.name,
                                (g.cat).name = ANY (pre), g.n, g.ni);
    END IF;
  END LOOP;
  PERFORM outpost.push_orphans(tbls);
  -- Logged in the device's order: a row's parent before the row. The scope
  -- of a row push_inserts made is read from its entry (it is not in
  -- outpost_s). Scope names come from the batch's tables as a CASE, and
  -- outpost_s is joined only when it has rows: a join costs this, the
  -- second largest statement of a batch, a quarter more.
  SELECT string_agg(format('WHEN %L THEN %s', c.name,
                           outpost.scope_expr(c, 'e')), ' ')
           FILTER (WHERE c.scope_col IS NOT NULL),
         string_agg(format('WHEN %L THEN %L', c.name, c.scope_name), ' ')
           FILTER (WHERE c.scope_name IS NOT NULL)
    INTO scope_case, name_case FROM outpost.catalog c
   WHERE c.name = ANY (tbls);
  joined := EXISTS (SELECT 1 FROM outpost_s);
  EXECUTE format($q$
    INSERT INTO outpost.changes (hlc, site, tbl, op, row_id, vals,
                                 scope_name, scope_value, device)
    SELECT e.h, $1, e.tbl, e.op, e.uid, e.vals, %s,
           CASE %s %s END, $2
      FROM pg_temp.outpost_in e %s
     ORDER BY e.seq, e.sub
  $q$, CASE WHEN name_case IS NULL THEN 'NULL::text'
            ELSE format('CASE e.tbl %s END', name_case) END,
       CASE WHEN joined THEN 'WHEN s.tbl IS NOT NULL THEN s.scope_value'
            ELSE '' END,
       CASE WHEN scope_case IS NULL THEN 'WHEN false THEN NULL::text'
            ELSE format('WHEN e.op = ''I'' THEN CASE e.tbl %s END',
                        scope_case) END,
       CASE WHEN joined THEN 'LEFT JOIN outpost_s s ON s.tbl = e.tbl AND '
                             's.id = e.uid'
            ELSE '' END) USING p_site, d.name;
  -- The server's clock goes past every clock it has seen.
  UPDATE outpost.hlc_state SET last = greatest(last, coalesce(max_h, 0));
  IF (p_to, p_to_sub) > (d.pushed_seq, d.pushed_sub) THEN
    UPDATE outpost.devices SET pushed_seq = p_to, pushed_sub = p_to_sub
     WHERE name = d.name;
  END IF;
  UPDATE outpost.devices SET last_push_at = now() WHERE name = d.name;
  INSERT INTO outpost.batches (batch, device, from_seq, to_seq, n, at)
  VALUES (p_batch, d.name, p_from, p_to, n, now());
  PERFORM outpost.set_applying(false);
  RETURN greatest(d.pushed_seq, p_to);
END
$fn$;

-- What a device needs to know before it syncs: who it is to central, its
-- high-water mark, and central's schema.
DO $do$ BEGIN
  -- hello() gained pushed_sub: its result type cannot be replaced.
  IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid =
             p.pronamespace WHERE n.nspname = 'outpost' AND p.proname =
             'hello' AND NOT 'pushed_sub' = ANY (p.proargnames)) THEN
    DROP FUNCTION outpost.hello();
  END IF;
END $do$;
CREATE OR REPLACE FUNCTION outpost.hello()
RETURNS TABLE (device text, site text, pushed_seq bigint, format text,
               schema_name text, schema_version bigint, pushed_sub bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
  SELECT d.name, encode(d.site, 'hex'), d.pushed_seq,
         (SELECT value FROM outpost.meta WHERE key = 'format'),
         (SELECT value FROM outpost.meta WHERE key = 'schema_name'),
         (SELECT value::bigint FROM outpost.meta WHERE key = 'schema_version'),
         d.pushed_sub
    FROM outpost.devices d WHERE d.role = session_user
$$;

-- The newest entry of the log, whoever's and in whatever scope. Entries
-- commit in sseq order (the commit-order lock), so in one snapshot every
-- entry at or below it is in: a device whose pull read everything after
-- its cursor moves the cursor here, and its next pull does not scan
-- again its own entries and those its scopes hide.
CREATE OR REPLACE FUNCTION outpost.log_head()
RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
  SELECT coalesce(max(sseq), 0) FROM outpost.changes
$$;

-- Nothing here is everyone's: outpost.grant_device gives each device
-- EXECUTE on push and hello; the parts run as central's owner.
REVOKE ALL ON FUNCTION outpost.log_lock_key(), outpost.dec_expr(text, text),
  outpost.win_cols(jsonb, jsonb, bigint, bytea, jsonb, bigint, bytea),
  outpost.win_clocks(jsonb, jsonb, bigint, bytea, bigint),
  outpost.push_fold(text, bytea, text, text, text, boolean, boolean, boolean),
  outpost.push_fresh(outpost.catalog, text, text, text),
  outpost.push_scoped(outpost.catalog, text, text),
  outpost.edge_fields(jsonb), outpost.edge_props(jsonb),
  outpost.props_merge(jsonb, jsonb),
  outpost.push_clocks(text, bytea),
  outpost.push_park(outpost.catalog, bytea, text),
  outpost.push_unpark(outpost.catalog, bytea, text, text),
  outpost.enc_expr(text, text),
  outpost.push_rows(outpost.catalog, bytea, text, boolean, bigint, bigint),
  outpost.push_inserts(outpost.catalog, text, text, text, bigint),
  outpost.scope_expr(outpost.catalog, text),
  outpost.out_of_scope(text, uuid, text, text, text),
  outpost.push_orphans(text[]),
  outpost.push_edges(outpost.catalog, bytea),
  outpost.push(uuid, bytea, bigint, bigint, bigint), outpost.push_stage(),
  outpost.hello(), outpost.log_head() FROM PUBLIC;
DROP FUNCTION IF EXISTS outpost.push(uuid, bytea, bigint, bigint, jsonb);
DROP FUNCTION IF EXISTS outpost.push_fold(text, bytea, text, text, text);
DROP FUNCTION IF EXISTS outpost.push_fold(text, bytea, text, text, text,
                                          boolean);
DROP FUNCTION IF EXISTS outpost.push_fold(text, bytea, text, text, text,
                                          boolean, boolean);
DROP FUNCTION IF EXISTS outpost.push_rows(outpost.catalog, bytea, text);
DROP FUNCTION IF EXISTS outpost.push_rows(outpost.catalog, bytea, text,
                                          boolean);
DROP FUNCTION IF EXISTS outpost.push_orphans();
-- The capture triggers' WHEN asks outpost.applying() as whoever writes.
GRANT EXECUTE ON FUNCTION outpost.applying() TO PUBLIC;
