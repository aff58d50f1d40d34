/* sync_sim_central.c - the convergence simulator's central side
 * (sync_sim.h): central, its fourth family and the devices set up, the
 * administrator's random writes with psql, and the devices' random
 * order. */
#include <stdlib.h>

#include "api_remote_int.h"
#include "sync_batch.h"
#include "sync_sim.h"

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

/* The administrator writes on central with psql: captured there, with
 * central's clock and site zeros. RETURNING gives what to remember. */
int sim_central_write(struct sim *s)
{
	const char *c = sim_any_kid(s), *lp = sim_pick(s, SIM_POINT);
	const char *lp2 = sim_pick(s, SIM_POINT);
	const char *ed = sim_pick(s, SIM_EDGE), *v = sim_pick(s, SIM_VERIF);
	char sql[1024], *out = NULL;
	enum sim_kind k = SIM_KINDS;
	unsigned n = ++s->serial;
	int rc;

	sql[0] = '\0';
	switch (sim_below(s, 10)) {
	case 0:
		if (c)
			snprintf(sql, sizeof(sql), "UPDATE children SET name = "
				 "'adm%u' WHERE id = '%s'", n, c);
		break;
	case 1:
		if (lp)
			snprintf(sql, sizeof(sql), "UPDATE \"LearningPoint\" "
				 "SET definition = 'adm%u', difficulty = %u "
				 "WHERE id = '%s'", n, n % 5, lp);
		break;
	case 2:
		k = SIM_POINT;
		snprintf(sql, sizeof(sql), "INSERT INTO \"LearningPoint\"("
			 "learning_point_id, word) VALUES ('clp%u', 'cw%u') "
			 "RETURNING id", n, n);
		break;
	case 3:
		k = SIM_LEDGER;
		if (c)
			snprintf(sql, sizeof(sql), "INSERT INTO "
				 "points_transactions(child_id, amount, kind) "
				 "SELECT id, %u, 'bonus' FROM children WHERE "
				 "id = '%s' RETURNING id || ' ' || child_id",
				 n % 7, c);
		break;
	case 4:
	case 5:
		k = SIM_EDGE;
		if (lp && lp2)
			snprintf(sql, sizeof(sql), "INSERT INTO outpost.edges("
				 "uuid, type, from_uuid, to_uuid, props) "
				 "SELECT outpost.uuid_v7(), '%s', a.id, b.id, "
				 "%s FROM \"LearningPoint\" a, "
				 "\"LearningPoint\" b WHERE a.id = '%s' AND "
				 "b.id = '%s' RETURNING uuid",
				 strcmp(lp, lp2) < 0 ? "PREREQUISITE_OF"
						     : "RELATED_TO",
				 strcmp(lp, lp2) < 0 ? "NULL"
						     : "'{\"note\": \"adm\"}'",
				 lp, lp2); /* PREREQUISITE_OF is acyclic */
		break;
	case 6:
		if (ed)
			snprintf(sql, sizeof(sql), "UPDATE outpost.edges SET "
				 "props = coalesce(props, '{}') || "
				 "'{\"strength\": %u.75}' WHERE uuid = '%s' "
				 "AND type = 'RELATED_TO'",
				 n % 9, ed);
		break;
	case 7:
		if (v)
			snprintf(sql, sizeof(sql), "DELETE FROM "
				 "verification_schedule WHERE id = '%.36s'", v);
		break;
	case 8:
		if (c)
			snprintf(sql, sizeof(sql), "UPDATE points_accounts SET "
				 "balance = balance + 10 WHERE child_id = '%s'",
				 c);
		break;
	case 9: /* as on a device: not while its ledger holds anything */
		if (c)
			snprintf(sql, sizeof(sql), "DELETE FROM children c "
				 "WHERE id = '%s' AND NOT EXISTS (SELECT 1 "
				 "FROM points_transactions WHERE child_id = "
				 "c.id)",
				 c);
		break;
	}
	if (!sql[0])
		return 0;
	rc = t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql);
	if (rc != 0)
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: central write "
		       "%s: %s", s->seed, sql, out ? out : "");
	else if (k != SIM_KINDS && out && strlen(out) >= 36) {
		out[strcspn(out, "\n")] = '\0';
		sim_remember(s, k, out);
	}
	free(out);
	return rc == 0 ? 0 : -1;
}

void sim_seed(struct sim *s, struct t *t)
{
	const char *env = getenv("OUTPOST_TEST_SEED");

	s->t = t;
	s->seed = env ? strtoull(env, NULL, 10) : op_hlc_wall_ms();
	s->rng = s->seed;
}

/* A uuid drawn from the seed, so a replay makes the same ones. */
static void seeded_id(struct sim *s, char out[37])
{
	uint64_t a = t_rng_next(&s->rng), b = t_rng_next(&s->rng);

	snprintf(out, 37, "%08x-%04x-7%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a & 0xffff), (unsigned)((a >> 16) & 0xfff),
		 (unsigned)(0x8000 | (b & 0x3fff)),
		 (unsigned long long)(b >> 16) & 0xffffffffffffull);
}

int sim_setup(struct t *t, struct sim *s)
{
	struct sim_text sc = {0};
	char sql[1024], name[16], *out = NULL;
	int i, rc = 0;

	for (i = 0; i < SIM_NU; i++)
		seeded_id(s, s->user[i]);
	for (i = 0; i < SIM_NK; i++) {
		seeded_id(s, s->kid[i]);
		seeded_id(s, s->acct[i]);
	}
	seeded_id(s, s->out_user);
	seeded_id(s, s->out_kid);
	if (t_pg_testdb(t, s->c.db) != 0)
		return -1;
	t_pg_conninfo(s->c.pg, s->c.db, T_PG_ADMIN);
	if (ts_lexicraft_lww(t, s->c.schema) != 0 ||
	    t_sh(&out, "'%s' central init --pg '%s' --schema '%s'", t_bin(),
		 s->c.pg, s->c.schema) != 0) {
		t_fail(t, __FILE__, __LINE__, "central init: %s", out);
		free(out);
		return -1;
	}
	free(out);
	sim_addf(&sc, "--scope");
	for (i = 0; i < SIM_NU; i++)
		sim_addf(&sc, " parent=%s", s->user[i]);
	for (i = 0; i < SIM_NK; i++)
		sim_addf(&sc, " child=%s", s->kid[i]);
	for (i = 0; rc == 0 && i < SIM_ND; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		rc = device_up(t, &s->c, &s->dev[i], name, sc.p);
		if (rc == 0 && outpost_open(&s->db[i], s->dev[i].dir, NULL) !=
				       OUTPOST_OK)
			rc = -1;
	}
	free(sc.p);
	snprintf(sql, sizeof(sql), "INSERT INTO users(id, email, "
		 "password_hash) VALUES ('%s', 'out@example.org', '" HASH "'); "
		 "INSERT INTO children(id, parent_id, name) VALUES ('%s', "
		 "'%s', 'outside'); INSERT INTO points_accounts(child_id) "
		 "VALUES ('%s'); INSERT INTO points_transactions(child_id, "
		 "amount, kind) VALUES ('%s', 5, 'earn'), ('%s', 7, 'earn')",
		 s->out_user, s->out_kid, s->out_user, s->out_kid, s->out_kid,
		 s->out_kid);
	if (rc == 0 && t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql) != 0) {
		t_fail(t, __FILE__, __LINE__, "the fourth family: %s", out);
		rc = -1;
	}
	free(out);
	return rc;
}

void sim_shuffle(struct sim *s, int order[SIM_ND])
{
	int i, k, m;

	for (i = 0; i < SIM_ND; i++)
		order[i] = i;
	for (i = SIM_ND - 1; i > 0; i--) {
		k = (int)sim_below(s, (unsigned)i + 1);
		m = order[i];
		order[i] = order[k];
		order[k] = m;
	}
}
