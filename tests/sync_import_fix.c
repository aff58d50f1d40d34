/* sync_import_fix.c - the fixture of the import expansion tests: see
 * sync_import_fix.h. Labels: Person (every column type, a default),
 * City, Event (append_only), Region (central_wins), Scratch (local_only);
 * types: KNOWS (properties), LIVES (validity), IN_REGION (to a
 * central_wins label), NOTE (to a local_only label), CW (central_wins). */
#include "sync_import_fix.h"

static const char si_schema[] =
	"{\"schema\": \"si\", \"version\": 1, \"nodes\": {\n"
	" \"Person\": {\"columns\": {\n"
	"  \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"  \"name\": {\"type\": \"text\"}, \"age\": {\"type\": \"integer\"},\n"
	"  \"score\": {\"type\": \"real\"}, \"ok\": {\"type\": \"boolean\"},\n"
	"  \"born\": {\"type\": \"timestamp\"}, \"day\": {\"type\": \"date\"},\n"
	"  \"tags\": {\"type\": \"text[]\"}, \"meta\": {\"type\": \"json\"},\n"
	"  \"level\": {\"type\": \"integer\", \"default\": 3}}},\n"
	" \"City\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"name\": {\"type\": \"text\", "
	"\"not_null\": true}}},\n"
	" \"Event\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"name\": {\"type\": \"text\"}}, "
	"\"sync\": {\"conflict\": \"append_only\"}},\n"
	" \"Region\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"name\": {\"type\": \"text\"}}, "
	"\"sync\": {\"conflict\": \"central_wins\"}},\n"
	" \"Scratch\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"name\": {\"type\": \"text\"}}, "
	"\"sync\": {\"local_only\": true}}},\n"
	" \"relationships\": {\n"
	" \"KNOWS\": {\"from\": \"Person\", \"to\": \"Person\", \"properties\": "
	"{\"w\": {\"type\": \"real\"}, \"since\": {\"type\": \"integer\"}, "
	"\"tags\": {\"type\": \"text[]\"}, \"note\": {\"type\": \"text\"}}},\n"
	" \"LIVES\": {\"from\": \"Person\", \"to\": \"City\", \"validity\": "
	"true},\n"
	" \"IN_REGION\": {\"from\": \"City\", \"to\": \"Region\"},\n"
	" \"NOTE\": {\"from\": \"Person\", \"to\": \"Scratch\"},\n"
	" \"CW\": {\"from\": \"Person\", \"to\": \"Person\", \"sync\": "
	"{\"conflict\": \"central_wins\"}}}}\n";

/* Node files: subs 0-4, then 5-9 (Region 6 and Scratch 8 not pushed). */
static const char persons_csv[] =
	"uuid:ID,name,age:int,score:float,ok:boolean,born,day,tags:string[],"
	"meta,:LABEL\n" U("001") ",Ann,42,2.5,true,2024-05-06T07:08:09.010Z,"
	"2024-01-02,a;b c,\"{\"\"k\"\":[1,2]}\",Person\n" U("002") ",\"Bob "
	"\"\"B\"\", jr\",-7,0.1,false,,,solo,,Person\n" U("003") ",,,,,,,,,"
	"Person\n" U("004") ",Dee,9223372036854775807,1e300,TRUE,,,,,Person\n"
	U("005") ",Eve,5,-0.125,false,2023-01-01T00:00:00.000Z,,,,Person\n";
static const char others_csv[] =
	"uuid:ID,name,:LABEL\n" U("101") ",Paris,City\n" U("301") ",North,"
	"Region\n" U("201") ",launch,Event\n" U("401") ",tmp,Scratch\n"
	U("102") ",Oslo,City\n";
/* Edges: subs 10-16 (CW, 14, not pushed), then 17-21. */
static const char knows_csv[] =
	":START_ID,:END_ID,:TYPE,note,since:int,w:float,tags:string[]\n"
	U("001") "," U("002") ",KNOWS,\"hi, \"\"there\"\"\",2019,0.1,x;y\n"
	U("002") "," U("003") ",KNOWS,,,,\n"
	U("001") "," U("002") ",KNOWS,again,,1.5,\n"
	U("003") "," U("000") ",KNOWS,,7,,\n"
	U("001") "," U("003") ",CW,,,,\n"
	U("005") "," U("001") ",KNOWS,,,2,\n"
	U("001") "," U("401") ",NOTE,,,,\n";
static const char lives_csv[] =
	":START_ID,:END_ID,:TYPE,valid_from,valid_to\n"
	U("001") "," U("101") ",LIVES,2020-01-01T00:00:00.000Z,"
	"2021-06-30T12:00:00.000Z\n"
	U("002") "," U("102") ",LIVES,2021-01-01T00:00:00Z,\n"
	U("004") "," U("101") ",LIVES,,\n"
	U("101") "," U("301") ",IN_REGION,,\n"
	U("005") "," U("102") ",LIVES,,\n";
/* Not pushed: Region (6), Scratch (8), the CW edge (14). */
const unsigned si_emitted_subs[NEMITTED] = {0,	1,  2,	3,  4,	5,  7,
					    9,	10, 11, 12, 13, 15, 16,
					    17, 18, 19, 20, 21};

/* The store `name` with the schema and one Person made before the
 * import (an edge of the import ends at it). */
outpost *si_store(struct t *t, const char *name)
{
	char path[512];
	outpost *db;

	t_path(path, t, "si.json");
	if (t_write(path, si_schema) != 0 || !(db = ts_store(t, name, path)))
		return NULL;
	if (ts_sql(db, "INSERT INTO Person (id, name) VALUES ('" U("000")
		       "', 'Zed')") != OUTPOST_OK) {
		outpost_close(db);
		return NULL;
	}
	return db;
}

int si_import(struct t *t, outpost *db)
{
	char p[4][512];
	const char *nf[2] = {p[0], p[1]}, *rf[2] = {p[2], p[3]};
	int rc;

	t_path(p[0], t, "persons.csv");
	t_path(p[1], t, "others.csv");
	t_path(p[2], t, "knows.csv");
	t_path(p[3], t, "lives.csv");
	if (t_write(p[0], persons_csv) || t_write(p[1], others_csv) ||
	    t_write(p[2], knows_csv) || t_write(p[3], lives_csv))
		return -1;
	rc = outpost_import(db, nf, 2, rf, 2, NULL);
	if (rc != OUTPOST_OK)
		fprintf(stderr, "import: %s\n", outpost_errmsg(db));
	return rc;
}

/* The newest import entry of db's log, copied into e (ts_batch_free). */
int si_entry(outpost *db, struct ts_batch *e)
{
	struct ts_batch all = {0};
	size_t i, at = SIZE_MAX;

	if (ts_collect(&all, db, 0, NULL, NULL) != OUTPOST_OK)
		return -1;
	for (i = 0; i < all.n; i++)
		if (strcmp(all.c[i].table, "_outpost_import") == 0)
			at = i;
	if (at != SIZE_MAX)
		ts_push(e, &all.c[at]);
	ts_batch_free(&all);
	return at == SIZE_MAX ? -1 : 0;
}

