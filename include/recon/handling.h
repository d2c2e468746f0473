/* handling: what a clerk does about each finding and by when — the handling
 * rules of rules/handling.csv (one per kind, optionally per reason: the
 * deadline in working days on the China calendar, urgent or not, the action
 * in Chinese), applied to a night's findings after the matcher and the other
 * rules ran. */
#ifndef RECON_HANDLING_H
#define RECON_HANDLING_H

#include "recon/calendar.h"
#include "recon/common.h"
#include "recon/findings.h"

typedef struct rcn_handling rcn_handling;

/* Loads rules/handling.csv (header by name: kind, working_days, urgent,
 * action_cn, and optionally reason). Every kind but MATCHED needs a row whose
 * reason is * or empty; a second row for a kind and reason, an unknown kind,
 * placeholder or bad cell is refused. On success *out is new, owned by the
 * caller (rcn_handling_free); on failure *out is untouched and err
 * (RCN_EUSAGE) names file:line. */
rcn_rc rcn_handling_load(rcn_handling **out, const char *path, rcn_err *err);
void rcn_handling_free(rcn_handling *h);

/* Sets due_by, urgent and action_cn on every finding of the sink from its
 * kind's rule (its reason's when there is one). day is the business date the
 * deadline counts from: 0 working days is the day itself, N the Nth working
 * day after it on cal (no deadline when cal is NULL or ends before); a
 * pending item's "carry" deadline is first_seen + carry_days, the day it
 * becomes a discrepancy. action_cn points into h, which must outlive the
 * findings' readers (the reports). */
void rcn_rules_handle(rcn_handling *h, const rcn_calendar *cal, rcn_date day, int carry_days, rcn_findings *sink);
/* Forgets the filled-in actions made so far: their findings are written out
 * (a run of a night in parts) and nothing reads them from h any more. */
void rcn_handling_forget(rcn_handling *h);

/* The action for one finding, placeholders filled ({channel_txn_id},
 * {order_no}, {refund_no}, {merchant_id}, {channel}, {kept_txn_id}: for a
 * double charge the transaction the detail names as paid first), borrowed
 * from h; NULL when no rule applies. For tests. */
const char *rcn_handling_action(rcn_handling *h, const rcn_finding *f);

#endif
