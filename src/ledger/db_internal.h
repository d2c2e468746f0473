/* Private to src/ledger: the connection handle and the helpers every file of
 * the module uses to run SQL and turn libpq failures into one-line errors. */
#ifndef RECON_LEDGER_DB_INTERNAL_H
#define RECON_LEDGER_DB_INTERNAL_H

#include <libpq-fe.h>

#include "recon/db.h"
#include "recon/pq.h"

struct rcn_db {
	PGconn *conn;
};

/* Advisory lock keys (two-int form): a namespace that is "recn" in ASCII,
 * then 0 for migrations or the day number for one business date's run. */
#define RCN_LOCK_NS_MIGRATE 0x7265636e
#define RCN_LOCK_NS_DATE    0x7265636f

/* results.c's transaction: writes the settlements (settlements.c). */
rcn_rc rcn_db_store_settlements(rcn_db *db, const char *date, const rcn_settlement *s, size_t n, rcn_err *err);

#endif
