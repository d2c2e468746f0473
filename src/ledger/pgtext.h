/* Text encodings recon speaks to PostgreSQL without libpq's help: COPY FROM
 * text format fields, text[] array literals and JSON strings (the rows
 * recon reads come in the binary format: pgbin.h).
 * Pure functions over caller-owned buffers, so they are unit-testable. */
#ifndef RECON_LEDGER_PGTEXT_H
#define RECON_LEDGER_PGTEXT_H

#include "recon/common.h"

/* Appends s as one COPY FROM text-format field (NULL writes \N). */
rcn_rc rcn_pgtext_put_field(rcn_buf *b, const char *s);

/* Appends a text[] literal {"a","b"} with " and \ escaped. */
rcn_rc rcn_pgtext_put_array(rcn_buf *b, const char *const *v, size_t n);

/* Strict decimal int64: optional '-', digits only, no overflow. */
bool rcn_pgtext_int64(const char *s, int64_t *out);

#endif
