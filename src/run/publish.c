/* Finishing an earlier run's publish: the run committed its results but its
 * reports were never swapped into reports/<date> (it was killed in between, or
 * the swap failed). recon_runs says where the staged reports are. */
#include <stdio.h>
#include <string.h>

#include "recon/report.h"
#include "recon/run.h"

typedef struct {
	rcn_db *db;
	void (*say)(void *ctx, rcn_date day, bool error, const char *msg);
	void *ctx;
} finisher;

static void finish_one(void *p, const rcn_unpublished *u)
{
	finisher *f = p;
	rcn_err err;
	char msg[1600], why[1200], date[11];
	rcn_date_format(date, u->day);
	/* a run of that date in progress publishes its own reports or supersedes these */
	if (rcn_db_lock_date(f->db, u->day, 0, NULL, NULL, &err) != RCN_OK)
		return;
	rcn_publish_outcome outcome;
	if (rcn_report_publish_staged(u->reports_dir, u->staged_dir, u->staged_id, &outcome, &err) != RCN_OK) {
		snprintf(msg, sizeof msg,
			 "the reports of the run committed for %s are still not published (%s); they wait in %s", date,
			 rcn_err_format(&err, why, sizeof why), u->staged_dir);
		f->say(f->ctx, u->day, true, msg);
	} else if (outcome == RCN_PUBLISH_LOST) {
		snprintf(msg, sizeof msg,
			 "the reports of the run committed for %s were never published and %s is gone: re-run %s", date,
			 u->staged_dir, date);
		if (rcn_db_set_publish_state(f->db, u->run_id, "lost", &err) != RCN_OK)
			snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (%s)",
				 rcn_err_format(&err, why, sizeof why));
		f->say(f->ctx, u->day, true, msg);
	} else {
		snprintf(msg, sizeof msg,
			 "published the reports of %s that an earlier run committed but did not swap into place: %s",
			 date, u->reports_dir);
		if (rcn_db_set_publish_state(f->db, u->run_id, "published", &err) != RCN_OK)
			snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (recording it failed: %s)",
				 rcn_err_format(&err, why, sizeof why));
		f->say(f->ctx, u->day, false, msg);
	}
	rcn_db_unlock_date(f->db, u->day);
}

void rcn_run_finish_publishes(rcn_db *db, void (*say)(void *ctx, rcn_date day, bool error, const char *msg), void *ctx)
{
	finisher f = {db, say, ctx};
	rcn_err err;
	char why[1200];
	if (rcn_db_unpublished(db, finish_one, &f, &err) != RCN_OK)
		say(ctx, -1, true, rcn_err_format(&err, why, sizeof why));
}
