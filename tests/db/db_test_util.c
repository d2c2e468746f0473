/* Shared scaffolding of the database tests: see db_test_util.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "db_test_util.h"

PGconn *raw;
rcn_db *db;

void sql(const char *q)
{
	PGresult *res = PQexec(raw, q);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", q, PQresultErrorMessage(res));
	PQclear(res);
}

char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int db_test_open(const char *dbname)
{
	char conninfo[200] = "";
	if (dbname) {
		PGconn *admin = PQconnectdb("");
		if (PQstatus(admin) != CONNECTION_OK) {
			fprintf(stderr, "cannot connect (run under tests/db/pg.sh exec): %s", PQerrorMessage(admin));
			PQfinish(admin);
			return -1;
		}
		char q[300];
		PQclear(PQexec(admin, "SET client_min_messages = warning"));
		snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s", dbname);
		PQclear(PQexec(admin, q));
		snprintf(q, sizeof(q), "CREATE DATABASE %s", dbname);
		PQclear(PQexec(admin, q));
		PQfinish(admin);
		snprintf(conninfo, sizeof(conninfo), "dbname=%s", dbname);
	}
	raw = PQconnectdb(conninfo);
	if (PQstatus(raw) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect (run under tests/db/pg.sh exec): %s", PQerrorMessage(raw));
		return -1;
	}
	PQclear(PQexec(raw, "SET client_min_messages = warning"));
	rcn_err err;
	if (rcn_db_connect(&db, dbname ? conninfo : NULL, &err) != RCN_OK) {
		fprintf(stderr, "setup failed: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int db_test_close(void **state)
{
	(void)state;
	rcn_db_close(db);
	PQfinish(raw);
	return 0;
}
