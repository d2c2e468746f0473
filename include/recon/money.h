/* Exact money: integers of minor units, never floating point. */
#ifndef RECON_MONEY_H
#define RECON_MONEY_H

#include "recon/common.h"

/* Amounts are int64 fen (scale 2). Channel fees are stated to 5 decimals
 * (FORMATS.md §1), kept as int64 in units of 1e-5 yuan (scale 5). */
#define RCN_SCALE_FEN	      2
#define RCN_SCALE_FEE	      5
#define RCN_FEE_UNITS_PER_FEN 1000

/* Parses a decimal such as "12.30", "-0.27000", "0" into an integer with
 * `scale` decimals. Rejects "", "12.3.4", "1e5", "+1", " 1", more decimals
 * than scale, and values that overflow int64. */
rcn_rc rcn_money_parse(int64_t *out, const char *s, size_t n, int scale, rcn_err *err);

/* Formats v (with `scale` decimals) into buf as "-12.34"; returns buf. */
const char *rcn_money_format(char *buf, size_t n, int64_t v, int scale);

/* Parses a rate like "0.60%" (at most 4 decimals) into parts per million (6000). */
rcn_rc rcn_rate_parse(int64_t *out_ppm, const char *s, size_t n, rcn_err *err);

/* amount_fen * ppm / 1e6 rounded half up (away from zero), in fen; the sign
 * follows amount, so a refund returns the fee it would have cost. */
int64_t rcn_fee_half_up(int64_t amount_fen, int64_t ppm);

#endif
