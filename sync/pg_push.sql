-- pg_push.sql - outpost.push(): a device's batch of changes applied
-- centrally in one transaction (sync/PROTOCOL.md "Push" and "LWW merge").
--
-- Set-based: the batch is unpacked into a temporary table once, then each
-- table it touches is merged with a handful of statements built from the
-- catalog (format(%I) for every identifier; values never enter SQL text),
-- so the cost grows with the tables a batch touches, not with one
-- statement per change. Installed by `outpost central init` / `migrate`.

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

-- Is clock (h, s) later than the stored clock [hlc_text, site_hex]
-- (NULL: no clock, older than everything)?
CREATE OR REPLACE FUNCTION outpost.clock_after(h bigint, s bytea, c jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT c IS NULL OR jsonb_typeof(c) <> 'array'
      OR (h, s) > ((c->>0)::bigint, decode(c->>1, 'hex'))
$$;

-- Merge the batch's entries of one table or node label (kind <> 'type').
CREATE OR REPLACE FUNCTION outpost.push_rows(t outpost.catalog, p_site bytea,
                                             p_device text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  qt text := format('public.%I', t.name);
  qpk text := format('%I', t.pk);
  c_name text;
  c_type text;
  sets text := '';
  c_list text;
  c_vals text := 'm.id';
  bad record;
BEGIN
  c_list := qpk;
  -- Fold the batch per row: its last insert/delete, and per column the
  -- last value given (a device's entries are in causal order).
  DROP TABLE IF EXISTS outpost_m;
  EXECUTE format($q$
    CREATE TEMP TABLE outpost_m ON COMMIT DROP AS
    WITH e AS (SELECT seq, hlc::bigint AS h, op, id::uuid AS id, vals
                 FROM outpost_e WHERE tbl = $1),
    r AS (SELECT DISTINCT ON (id) id, op AS rop, h AS rh FROM e
           WHERE op IN ('I', 'D') ORDER BY id, seq DESC),
    v AS (SELECT DISTINCT ON (e.id, kv.key) e.id, kv.key, kv.value, e.h
            FROM e, jsonb_each(e.vals) kv
           WHERE e.op IN ('I', 'U') ORDER BY e.id, kv.key, e.seq DESC),
    va AS (SELECT id, jsonb_object_agg(key, value) AS nv,
                  jsonb_object_agg(key, h) AS nh FROM v GROUP BY id),
    ids AS (SELECT DISTINCT id FROM e)
    SELECT ids.id, r.rop, r.rh, coalesce(va.nv, '{}') AS nv,
           coalesce(va.nh, '{}') AS nh, c.row_hlc, c.row_site,
           coalesce(c.dead, false) AS dead, coalesce(c.cols, '{}') AS cols,
           EXISTS (SELECT 1 FROM %s x WHERE x.%s = ids.id) AS present,
           false AS rw, false AS alive, '{}'::jsonb AS win,
           '{}'::jsonb AS winclk, NULL::text AS scope_value
      FROM ids LEFT JOIN r USING (id) LEFT JOIN va USING (id)
      LEFT JOIN outpost.clocks c ON c.tbl = $1 AND c.id = ids.id
  $q$, qt, qpk) USING t.name;

  -- A column the table does not have: the whole batch is refused.
  SELECT m.id, k.key INTO bad FROM outpost_m m, jsonb_object_keys(m.nv) k(key)
   WHERE NOT t.cols ? k.key OR k.key = t.pk LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: %.% (row %): no such column', t.name, bad.key,
      bad.id USING ERRCODE = '22023';
  END IF;

  -- The row event wins over the stored row clock, or not; the row is
  -- alive afterwards if its winning event is an insert, or it was there.
  UPDATE outpost_m SET
    rw = rop IS NOT NULL AND (row_hlc IS NULL OR (rh, p_site) > (row_hlc, row_site)),
    alive = CASE WHEN rop IS NOT NULL AND (row_hlc IS NULL OR
                      (rh, p_site) > (row_hlc, row_site))
                 THEN rop = 'I' ELSE present END;
  -- Winning columns: later than their effective clock (their own, or the
  -- row clock after this batch, whichever is later). A row event that
  -- won starts the row afresh: its old column clocks no longer count.
  UPDATE outpost_m m SET
    win = coalesce((SELECT jsonb_object_agg(k.key, m.nv->k.key)
                      FROM jsonb_object_keys(m.nv) k(key)
                     WHERE outpost.clock_after((m.nh->>k.key)::bigint, p_site,
                             CASE WHEN m.rw THEN NULL ELSE m.cols->k.key END)
                       AND (m.rw OR m.row_hlc IS NULL OR
                            ((m.nh->>k.key)::bigint, p_site) > (m.row_hlc, m.row_site))),
                   '{}')
   WHERE m.alive;
  -- Column clocks only where they say more than the row clock.
  UPDATE outpost_m m SET winclk = coalesce((SELECT jsonb_object_agg(k.key,
             jsonb_build_array(m.nh->>k.key, encode(p_site, 'hex')))
        FROM jsonb_object_keys(m.win) k(key)
       WHERE NOT m.rw OR (m.nh->>k.key)::bigint > m.rh), '{}')
   WHERE m.alive;

  -- Scopes: the row's scope value (new or stored) must be one of the
  -- device's, and an update may not move a row to another scope.
  IF t.scope_col IS NOT NULL THEN
    EXECUTE format($q$
      UPDATE outpost_m m SET scope_value = coalesce(m.nv->>%L,
             (SELECT x.%I::text FROM %s x WHERE x.%s = m.id))
    $q$, t.scope_col, t.scope_col, qt, qpk);
    EXECUTE format($q$
      SELECT m.id, m.nv->>%L AS v, x.%I::text AS old FROM outpost_m m
        JOIN %s x ON x.%s = m.id
       WHERE m.nv ? %L AND m.rop IS DISTINCT FROM 'I'
         AND (m.nv->>%L) IS DISTINCT FROM x.%I::text LIMIT 1
    $q$, t.scope_col, t.scope_col, qt, qpk, t.scope_col, t.scope_col,
       t.scope_col) INTO bad;
    IF bad.id IS NOT NULL THEN
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
    UPDATE outpost_e e SET scope_value = m.scope_value FROM outpost_m m
     WHERE e.tbl = t.name AND e.id::uuid = m.id;
  END IF;

  -- Deletes that won.
  EXECUTE format('DELETE FROM %s x USING outpost_m m WHERE x.%s = m.id '
                 'AND m.rw AND m.rop = ''D''', qt, qpk);
  -- Updates of rows that stay: each column only if it won.
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
    EXECUTE format('UPDATE %s x SET %s FROM outpost_m m WHERE x.%s = m.id '
                   'AND m.alive AND m.present AND m.win <> ''{}''', qt, sets,
                   qpk);
  END IF;
  -- Rows that are new, or come back.
  EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM outpost_m m '
                 'WHERE m.alive AND NOT m.present', qt, c_list, c_vals);

  -- The clocks after the merge.
  INSERT INTO outpost.clocks AS c (tbl, id, row_hlc, row_site, dead, cols)
  SELECT t.name, m.id,
         CASE WHEN m.rw THEN m.rh ELSE m.row_hlc END,
         CASE WHEN m.rw THEN p_site ELSE m.row_site END,
         CASE WHEN m.rw THEN m.rop = 'D' ELSE m.dead END,
         CASE WHEN m.rw AND m.rop = 'D' THEN '{}'::jsonb
              WHEN m.rw THEN m.winclk
              ELSE m.cols || m.winclk END
    FROM outpost_m m
   WHERE m.rw OR m.winclk <> '{}'
  ON CONFLICT ON CONSTRAINT clocks_pkey DO UPDATE SET row_hlc = EXCLUDED.row_hlc,
    row_site = EXCLUDED.row_site, dead = EXCLUDED.dead, cols = EXCLUDED.cols;
END
$fn$;

-- Merge the batch's entries of one relationship type: the edge is the
-- row, its fields (from, to, valid_from, valid_to, props) the columns.
CREATE OR REPLACE FUNCTION outpost.push_edges(t outpost.catalog, p_site bytea)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  bad record;
BEGIN
  DROP TABLE IF EXISTS outpost_m;
  CREATE TEMP TABLE outpost_m ON COMMIT DROP AS
  WITH e AS (SELECT seq, hlc::bigint AS h, op, id::uuid AS id, vals
               FROM outpost_e WHERE tbl = t.name),
  r AS (SELECT DISTINCT ON (id) id, op AS rop, h AS rh FROM e
         WHERE op IN ('I', 'D') ORDER BY id, seq DESC),
  v AS (SELECT DISTINCT ON (e.id, kv.key) e.id, kv.key, kv.value, e.h
          FROM e, jsonb_each(e.vals) kv
         WHERE e.op IN ('I', 'U') ORDER BY e.id, kv.key, e.seq DESC),
  va AS (SELECT id, jsonb_object_agg(key, value) AS nv,
                jsonb_object_agg(key, h) AS nh FROM v GROUP BY id),
  ids AS (SELECT DISTINCT id FROM e)
  SELECT ids.id, r.rop, r.rh, coalesce(va.nv, '{}') AS nv,
         coalesce(va.nh, '{}') AS nh, c.row_hlc, c.row_site,
         coalesce(c.dead, false) AS dead, coalesce(c.cols, '{}') AS cols,
         EXISTS (SELECT 1 FROM outpost.edges x WHERE x.uuid = ids.id) AS present,
         false AS rw, false AS alive, '{}'::jsonb AS win, '{}'::jsonb AS winclk
    FROM ids LEFT JOIN r USING (id) LEFT JOIN va USING (id)
    LEFT JOIN outpost.clocks c ON c.tbl = t.name AND c.id = ids.id;

  SELECT m.id, k.key INTO bad FROM outpost_m m, jsonb_object_keys(m.nv) k(key)
   WHERE k.key NOT IN ('from', 'to', 'valid_from', 'valid_to', 'props') LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: % edge %: no field %', t.name, bad.id, bad.key
      USING ERRCODE = '22023';
  END IF;
  -- The same rules as rows (outpost.push_rows), fields for columns.
  UPDATE outpost_m SET
    rw = rop IS NOT NULL AND (row_hlc IS NULL OR (rh, p_site) > (row_hlc, row_site)),
    alive = CASE WHEN rop IS NOT NULL AND (row_hlc IS NULL OR
                      (rh, p_site) > (row_hlc, row_site))
                 THEN rop = 'I' ELSE present END;
  UPDATE outpost_m m SET
    win = coalesce((SELECT jsonb_object_agg(k.key, m.nv->k.key)
                      FROM jsonb_object_keys(m.nv) k(key)
                     WHERE outpost.clock_after((m.nh->>k.key)::bigint, p_site,
                             CASE WHEN m.rw THEN NULL ELSE m.cols->k.key END)
                       AND (m.rw OR m.row_hlc IS NULL OR
                            ((m.nh->>k.key)::bigint, p_site) > (m.row_hlc, m.row_site))),
                   '{}')
   WHERE m.alive;
  UPDATE outpost_m m SET winclk = coalesce((SELECT jsonb_object_agg(k.key,
             jsonb_build_array(m.nh->>k.key, encode(p_site, 'hex')))
        FROM jsonb_object_keys(m.win) k(key)
       WHERE NOT m.rw OR (m.nh->>k.key)::bigint > m.rh), '{}')
   WHERE m.alive;

  DELETE FROM outpost.edges x USING outpost_m m
   WHERE x.uuid = m.id AND m.rw AND m.rop = 'D';
  UPDATE outpost.edges x SET
    from_uuid = CASE WHEN m.win ? 'from' THEN (m.win->>'from')::uuid ELSE x.from_uuid END,
    to_uuid = CASE WHEN m.win ? 'to' THEN (m.win->>'to')::uuid ELSE x.to_uuid END,
    valid_from = CASE WHEN m.win ? 'valid_from' THEN (m.win->>'valid_from')::timestamptz
                      ELSE x.valid_from END,
    valid_to = CASE WHEN m.win ? 'valid_to' THEN (m.win->>'valid_to')::timestamptz
                    ELSE x.valid_to END,
    props = CASE WHEN m.win ? 'props' THEN m.win->'props' ELSE x.props END
    FROM outpost_m m
   WHERE x.uuid = m.id AND m.alive AND m.present AND m.win <> '{}';
  INSERT INTO outpost.edges (uuid, type, from_uuid, to_uuid, valid_from,
                             valid_to, props)
  SELECT m.id, t.name, (m.win->>'from')::uuid, (m.win->>'to')::uuid,
         (m.win->>'valid_from')::timestamptz, (m.win->>'valid_to')::timestamptz,
         CASE WHEN jsonb_typeof(m.win->'props') = 'object' THEN m.win->'props' END
    FROM outpost_m m WHERE m.alive AND NOT m.present;

  INSERT INTO outpost.clocks AS c (tbl, id, row_hlc, row_site, dead, cols)
  SELECT t.name, m.id,
         CASE WHEN m.rw THEN m.rh ELSE m.row_hlc END,
         CASE WHEN m.rw THEN p_site ELSE m.row_site END,
         CASE WHEN m.rw THEN m.rop = 'D' ELSE m.dead END,
         CASE WHEN m.rw AND m.rop = 'D' THEN '{}'::jsonb
              WHEN m.rw THEN m.winclk
              ELSE m.cols || m.winclk END
    FROM outpost_m m
   WHERE m.rw OR m.winclk <> '{}'
  ON CONFLICT ON CONSTRAINT clocks_pkey DO UPDATE SET row_hlc = EXCLUDED.row_hlc,
    row_site = EXCLUDED.row_site, dead = EXCLUDED.dead, cols = EXCLUDED.cols;
END
$fn$;

-- The batch: checked whole, merged table by table, logged, recorded.
CREATE OR REPLACE FUNCTION outpost.push(p_batch uuid, p_site bytea,
                                        p_from bigint, p_to bigint,
                                        p_entries jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET client_min_messages = warning
AS $fn$
DECLARE
  d outpost.devices;
  t outpost.catalog;
  bad record;
  bound bigint;
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
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
  IF jsonb_typeof(p_entries) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'outpost: a batch is a JSON array' USING ERRCODE = '22023';
  END IF;

  -- Entries at or below the device's high-water mark are in already (a
  -- batch cut again after a crash).
  DROP TABLE IF EXISTS outpost_e;
  CREATE TEMP TABLE outpost_e ON COMMIT DROP AS
  SELECT x.seq, x.hlc, x.tbl, x.op, x.id, x.vals, NULL::text AS scope_value
    FROM jsonb_to_recordset(p_entries) AS x(seq bigint, hlc text, tbl text,
                                            op text, id text, vals jsonb)
   WHERE x.seq > d.pushed_seq;

  SELECT e.* INTO bad FROM outpost_e e
   WHERE e.seq IS NULL OR e.hlc IS NULL OR e.hlc !~ '^[0-9]{1,19}$'
      OR e.hlc::numeric > 9223372036854775807 OR e.op IS NULL
      OR e.op NOT IN ('I', 'U', 'D') OR e.id IS NULL
      OR e.id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      OR (e.op = 'D') <> (e.vals IS NULL OR jsonb_typeof(e.vals) = 'null')
      OR (e.op <> 'D' AND jsonb_typeof(e.vals) <> 'object')
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% % %): malformed (seq, hlc as '
      'decimal text, op I/U/D, a uuid id, vals an object, null for D)',
      bad.seq, bad.tbl, bad.op, bad.id USING ERRCODE = '22023';
  END IF;
  SELECT e.seq, e.tbl INTO bad FROM outpost_e e
   WHERE NOT EXISTS (SELECT 1 FROM outpost.catalog c WHERE c.name = e.tbl)
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry %: no table, label or type % at central '
      '(is central''s schema older? outpost central migrate)', bad.seq,
      bad.tbl USING ERRCODE = '42P01';
  END IF;
  SELECT e.seq, e.tbl, e.op, e.id, c.policy INTO bad FROM outpost_e e
    JOIN outpost.catalog c ON c.name = e.tbl
   WHERE c.policy = 'central_wins' OR (c.policy = 'append_only' AND e.op <> 'I')
   ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% % %): % is %: %', bad.seq, bad.tbl,
      bad.op, bad.id, bad.tbl, bad.policy,
      CASE bad.policy WHEN 'central_wins' THEN 'devices cannot change it'
           ELSE 'insert-only' END USING ERRCODE = '42501';
  END IF;
  bound := coalesce((SELECT value::bigint FROM outpost.meta
                      WHERE key = 'hlc_bound_ms'), 86400000);
  SELECT e.seq, e.tbl, e.id, e.hlc INTO bad FROM outpost_e e
   WHERE (e.hlc::bigint >> 16) > now_ms + bound ORDER BY e.seq LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outpost: entry % (% %): its clock % is more than % ms '
      'ahead of the server''s (is the device''s clock wrong?)', bad.seq,
      bad.tbl, bad.id,
      to_char(to_timestamp((bad.hlc::bigint >> 16) / 1000.0) AT TIME ZONE 'UTC',
              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), bound USING ERRCODE = '22008';
  END IF;

  -- One writer of the central log at a time: sseq order is commit order.
  PERFORM pg_advisory_xact_lock(outpost.log_lock_key());
  PERFORM set_config('outpost.applying', 'on', true);
  FOR t IN SELECT c.* FROM outpost.catalog c
            WHERE c.name IN (SELECT DISTINCT tbl FROM outpost_e)
            ORDER BY c.name LOOP
    IF t.kind = 'type' THEN
      PERFORM outpost.push_edges(t, p_site);
    ELSE
      PERFORM outpost.push_rows(t, p_site, d.name);
    END IF;
  END LOOP;
  INSERT INTO outpost.changes (hlc, site, tbl, op, row_id, vals, scope_name,
                               scope_value, device)
  SELECT e.hlc::bigint, p_site, e.tbl, e.op, e.id::uuid, e.vals, c.scope_name,
         e.scope_value, d.name
    FROM outpost_e e JOIN outpost.catalog c ON c.name = e.tbl ORDER BY e.seq;
  -- The server's clock goes past every clock it has seen.
  UPDATE outpost.hlc_state SET last = greatest(last,
         coalesce((SELECT max(hlc::bigint) FROM outpost_e), 0));
  UPDATE outpost.devices SET pushed_seq = greatest(pushed_seq, p_to),
         last_push_at = now() WHERE name = d.name;
  INSERT INTO outpost.batches (batch, device, from_seq, to_seq, n, at)
  VALUES (p_batch, d.name, p_from, p_to, jsonb_array_length(p_entries), now());
  PERFORM set_config('outpost.applying', 'off', true);
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

-- Only push and hello are for devices; the parts run as the owner.
REVOKE ALL ON FUNCTION outpost.push_rows(outpost.catalog, bytea, text),
  outpost.push_edges(outpost.catalog, bytea) FROM PUBLIC;
