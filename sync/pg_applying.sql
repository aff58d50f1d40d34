-- pg_applying.sql - the guard that keeps central's capture triggers
-- silent inside outpost's own merges (push, migrate) and only there.
-- Installed first by `outpost central init` and `migrate`: the capture
-- triggers name outpost.applying_guard().

-- Is this transaction one of outpost's own merges (push, migrate)? Then
-- the capture triggers stay silent: the merge logs what it applies. The
-- setting outpost.applying is a quick filter; the row in applying_xact,
-- which only central's owner can write, is the proof, so a device that
-- sets outpost.applying itself still has its writes captured.
CREATE TABLE IF NOT EXISTS outpost.applying_xact (xid xid8 PRIMARY KEY);
REVOKE ALL ON outpost.applying_xact FROM PUBLIC;

CREATE OR REPLACE FUNCTION outpost.applying()
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog AS $$
  SELECT coalesce(current_setting('outpost.applying', true), '') = 'on'
     AND EXISTS (SELECT 1 FROM outpost.applying_xact
                  WHERE xid = pg_current_xact_id_if_assigned())
$$;

CREATE OR REPLACE FUNCTION outpost.set_applying(p_on boolean)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF p_on THEN
    INSERT INTO outpost.applying_xact VALUES (pg_current_xact_id())
      ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM outpost.applying_xact WHERE xid = pg_current_xact_id();
  END IF;
  PERFORM set_config('outpost.applying', CASE WHEN p_on THEN 'on' ELSE 'off'
                                         END, true);
END
$$;

-- The capture triggers skip their rows while outpost.applying is 'on' (a
-- test per row that costs next to nothing); this statement trigger fires
-- only then, once per statement, and refuses the statement unless the
-- transaction is one of outpost's own merges. A device that sets
-- outpost.applying itself gets an error, not silence.
CREATE OR REPLACE FUNCTION outpost.applying_guard()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS $$
BEGIN
  IF NOT outpost.applying() THEN
    RAISE EXCEPTION 'outpost: outpost.applying is set only inside outpost''s '
      'own merges; writing %.% with it set is refused (reset it)',
      TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '42501';
  END IF;
  RETURN NULL;
END
$$;

-- Central's owner alone may mark a transaction. Anyone may ask (the
-- triggers ask as whoever writes); sync/pg_push.sql grants that last,
-- after the blanket REVOKE of outpost's functions.
REVOKE ALL ON FUNCTION outpost.set_applying(boolean) FROM PUBLIC;
