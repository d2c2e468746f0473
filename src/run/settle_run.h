/* run: the settlement stage of a date (issue "Money rules" item 3). */
#ifndef RECON_RUN_SETTLE_H
#define RECON_RUN_SETTLE_H

#include "recon/calendar.h"
#include "recon/db.h"
#include "recon/match.h"
#include "recon/settle.h"
#include "run/sources.h"

typedef struct {
	rcn_settlement *v; /* today's, then earlier ones whose status changed today */
	size_t n, cap;
	rcn_arena arena;
	/* today's settlements whose T+N walk reached a day the calendar does not
	 * cover: their due dates are unknown until that year's holidays are added */
	long beyond_calendar;
	int missing_year;	  /* the year of the first day not covered */
	rcn_date calendar_end;	  /* the calendar's last day (when one is loaded) */
	char beyond_example[160]; /* the first of them: "wechat 1900000109 T+1" */
} rcn_settle_set;

void rcn_settle_set_free(rcn_settle_set *s);

/* Builds today's expected settlements from the channel tallies (rules and
 * calendar may be NULL: T+1, and due dates unknown without a calendar), checks
 * them and the open ones of earlier dates against today's fund movements and
 * UnionPay's 清算净额, and adds a SETTLEMENT_MISMATCH finding to the matcher
 * for each that came late, short or not at all. */
rcn_rc rcn_run_settle(rcn_db *db, const rcn_config *cfg, rcn_date day, rcn_match *m, rcn_findings *sink,
		      const rcn_source_job *jobs, size_t n_jobs, const rcn_settle_rules *rules, const rcn_calendar *cal,
		      rcn_settle_set *out, rcn_err *err);

#endif
