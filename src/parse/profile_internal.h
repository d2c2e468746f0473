/* A loaded channel profile (FORMATS.md §4, rules/channels/README.md): what
 * profile_load.c builds from rules/channels/<name>.conf and profile.c reads
 * while parsing. Immutable once loaded, so parsers may share one. */
#ifndef RECON_PROFILE_INTERNAL_H
#define RECON_PROFILE_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "recon/parse.h"

/* Normalized fields a profile maps to source columns ([columns]). */
enum rcn_pfield {
	PF_ORDER_NO,
	PF_CHANNEL_TXN_ID,
	PF_AMOUNT,
	PF_SETTLE,
	PF_FEE,
	PF_RATE,
	PF_TRADE_TIME,
	PF_TRADE_DATE,
	PF_TRADE_CLOCK,
	PF_STATUS,
	PF_TYPE,
	PF_REFUND_NO,
	PF_CHANNEL_REFUND_ID,
	PF_MERCHANT_ID,
	PF_PROVIDER_ID,
	PF_CURRENCY,
	PF_TRADE_TYPE,
	PF__COUNT
};

/* Control totals a footer may state, as named groups of the footer pattern. */
enum rcn_ptotal {
	PT_COUNT,	  /* detail rows, payments and refunds */
	PT_PAYMENT_COUNT, /* payment rows */
	PT_AMOUNT,	  /* sum of payment amounts */
	PT_REFUND_COUNT,  /* refund rows */
	PT_REFUND_AMOUNT, /* sum of refund amounts (the footer may write it negative) */
	PT_FEE,		  /* sum of fees, refund rows' returned fees negative */
	PT_NET,		  /* amount - refund_amount - fee */
	PT__COUNT
};

/* Patterns, in the order a line is tried against them. */
enum rcn_ppattern { PP_IGNORE, PP_HEADER, PP_FOOTER, PP_DETAIL, PP_PERIOD, PP__COUNT };

extern const char *const rcn_pfield_names[PF__COUNT];
extern const char *const rcn_ptotal_names[PT__COUNT];
extern const char *const rcn_ppattern_names[PP__COUNT];

#define RCN_PROFILE_NAME_MAX 23 /* "profile:<name>" fits rcn_stmt_result.format */

typedef struct {
	char *value; /* channel's text, trimmed */
	int to;	     /* rcn_rec_type for [type], index into rcn_profile_statuses for [status] */
} rcn_pmap;

extern const char *const rcn_profile_statuses[]; /* NULL-terminated: SUCCESS, FAIL, ... */

struct rcn_profile {
	char *path;
	char name[RCN_PROFILE_NAME_MAX + 1];
	bool fixed;	/* layout = fixed; else csv */
	char delimiter; /* csv */
	char quote;	/* csv; '\0' for none */
	char encoding[8];
	long skip_lines;
	pcre2_code *pattern[PP__COUNT];	 /* NULL when not set */
	uint32_t total_group[PT__COUNT]; /* footer capture group per total, 0 when not stated */
	uint32_t footer_groups;		 /* capture groups of the footer pattern */
	uint32_t period_from, period_to; /* the period pattern's (?<from>) and (?<to>) groups; to 0 if none */
	bool unit_fen;			 /* amount_unit = fen; else yuan */
	char time_format[64];
	char timezone[64];
	char currency[16];
	int default_type;   /* rcn_rec_type, -1 when unset */
	int default_status; /* index into rcn_profile_statuses, -1 when unset */
	struct {
		bool set;
		char *name;	     /* csv: header name */
		size_t start, width; /* fixed: 0-based byte offset and width */
	} col[PF__COUNT];
	rcn_pmap *types;
	size_t ntypes;
	rcn_pmap *statuses;
	size_t nstatuses;
};

/* Checks a time_format ("%Y-%m-%d %H:%M:%S"): NULL when valid, else why not. */
const char *rcn_profile_check_time_format(const char *fmt);

#endif
