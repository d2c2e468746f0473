/* perf: the matcher's sizing hints, internal to the modules (not part of
 * librecon's API in include/recon/): they change nothing but when memory is
 * taken. Defined in src/match/match.c. */
#ifndef RECON_MATCH_PERF_H
#define RECON_MATCH_PERF_H

#include <stddef.h>

#include "recon/match.h"

/* Sizes the batch for about n rows at once instead of growing it a
 * doubling at a time: a hint, capped (a quarter of the machine's memory). */
void rcn_batch_expect(rcn_batch *b, size_t n);
/* Sizes the orders and their index for about n window orders at once,
 * instead of growing them (and rehashing the index) a doubling at a time as
 * they come: a hint, capped, that changes nothing but when memory is taken. */
void rcn_match_expect_orders(rcn_match *m, size_t n);

#endif
