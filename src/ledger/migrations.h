/* recon's own schema migrations, embedded from sql/recon_*.sql at build time
 * by cmake/embed_sql.cmake (generated/migrations.c), in version order. */
#ifndef RECON_LEDGER_MIGRATIONS_H
#define RECON_LEDGER_MIGRATIONS_H

#include <stddef.h>

struct rcn_migration {
	const char *name; /* file name, e.g. "recon_001_init.sql": the key in recon_schema_migrations */
	const char *sql;  /* the whole file, run in one transaction */
};

extern const struct rcn_migration rcn_migrations[];
extern const size_t rcn_migrations_count;

#endif
