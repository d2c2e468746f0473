/* alert: after every run of a date (also a failed one), when [alert] webhook
 * is set, POST the night's summary to a chat robot or any HTTPS receiver.
 *
 * ## Configuration
 *
 *     [alert]
 *     webhook = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…   # https:// only
 *     kind    = wecom        # wecom | dingtalk | json (default json)
 *     ca_file = …            # optional extra CA (a test receiver)
 *
 * The webhook URL usually carries the robot's token in its query string: it is
 * never printed, logged or put in a report; messages name only the URL
 * without its user name, query string and fragment.
 *
 * ## Delivery
 *
 * One POST (Content-Type: application/json; charset=utf-8) through the
 * download transport: TLS peer and host always verified, connect timeout 5 s,
 * 15 s per attempt, 3 attempts with backoff on connection errors, timeouts and
 * HTTP 5xx. Any 2xx is delivered, except that WeCom and DingTalk robots answer
 * 200 with {"errcode":N,...}: a non-zero errcode is a failure. An alert never
 * fails or stops the run: a failure prints exactly one line on the run's log,
 *
 *     recon: 2026-03-02: alert not sent: <reason>
 *
 * and the run's exit code is unchanged. Nothing is printed on success.
 *
 * ## Bodies
 *
 * kind = wecom:    {"msgtype":"markdown","markdown":{"content":"…"}} (content at most 4096 bytes)
 * kind = dingtalk: {"msgtype":"markdown","markdown":{"title":"…","text":"…"}}
 * The markdown says the date, the outcome, the totals, the open items (when
 * the register gave a book: "> 未结差异 open items: 4, ¥2510.01; 逾期 overdue: 1,
 * ¥10.00"), per channel and
 * merchant the statement rows and each discrepancy kind's count and amount,
 * the files that failed, the warnings and the reports path; a too long text is cut at a
 * line boundary and ends with "…".
 *
 * kind = json: one document, UTF-8, formatted with one array element per line
 * (so that line tools can read it too):
 *
 *     {
 *       "schema": "recon.alert/1",
 *       "business_date": "2026-03-02",
 *       "exit_code": 1,
 *       "outcome": "discrepancies",      clean | discrepancies | usage_error | input_error | database_error
 *       "meaning": "reconciled, discrepancies found",     the README's exit-code table
 *       "dry_run": false,
 *       "totals": {"statement_rows": 18, "matched": 7, "discrepancies": 11, "pending": 4, "quarantined": 0,
 *                  "rejected_files": 0},
 *       "kinds": [                        every kind with a discrepancy, in discrepancies.csv order
 *         {"kind": "SHORT_PAYMENT", "kind_cn": "短款", "count": 2, "amount": "20.00"}
 *       ],
 *       "channels": [                     per channel and merchant account (statement side), sorted
 *         {"channel": "wechat", "merchant_id": "1900000109", "statement_rows": 18, "kinds": [
 *           {"kind": "SHORT_PAYMENT", "kind_cn": "短款", "count": 2, "amount": "20.00"}
 *         ]}
 *       ],
 *       "open_items": {"open": 4, "open_amount": "2510.01", "overdue": 1, "overdue_amount": "10.00",
 *                      "kinds": [        the open book as of the date, per kind (null: no register)
 *           {"kind": "SHORT_PAYMENT", "kind_cn": "短款", "open": 1, "open_amount": "10.00", "overdue": 1,
 *            "overdue_amount": "10.00"}
 *       ]},
 *       "failed_files": [                 statements rejected tonight, in configuration order
 *         {"source": "wx-main", "file": "wechat_1900000109_20260302.csv", "reason": "…"}
 *       ],
 *       "warnings": [                     files used although the operator must hear about them
 *         {"source": "ali-main", "warning": "bill downloaded over plain http (…) …"}
 *       ],
 *       "problems": [                     what the night could not check (the log's PROBLEM lines)
 *         "the business-day calendar ends 2026-12-31: 1 settlement(s) of this date fall due after it …"
 *       ],
 *       "reports": "/srv/recon/reports/2026-03-02"       null when no report was written
 *     }
 *
 * count is the number of rows of that kind in discrepancies.csv; amount (yuan,
 * a decimal string, never negative) is the sum of the absolute values of
 * their "difference" column (the extra charge for a double charge; nothing
 * for a duplicated listing). The open items' amounts are likewise sums of
 * |difference| (a fee's rounded to the fen), over every item open or
 * acknowledged as of the date, not just tonight's. Pending items are not discrepancies and are
 * only in totals. After exit 2 or 4 (configuration or database error) nothing was
 * committed: totals, kinds and channels are zero/empty and only the failed
 * files known by then are listed. The body never holds the database conninfo,
 * key material, tokens or the webhook URL. */
#ifndef RECON_ALERT_H
#define RECON_ALERT_H

#include <stdio.h>

#include "recon/common.h"
#include "recon/db.h"
#include "recon/finding.h"
#include "recon/findings.h"
#include "recon/openitem.h"
#include "recon/run.h"

/* What matching concluded: the tallies and the findings (a pass over them,
 * recon/findings.h). */
typedef struct {
	const rcn_tally *tallies;
	size_t n_tallies;
	rcn_findings *findings;
} rcn_alert_outcome;

/* What a run knows when it ends (all borrowed). outcome is NULL, or the
 * night's when exit_code is 0, 1, 3 or 5; inputs are the statement inputs
 * (verdict "ok" or the rejection message; entries with a NULL source were
 * never read). */
typedef struct {
	rcn_date day;
	bool dry_run;
	const rcn_run_result *result;
	const rcn_alert_outcome *outcome;
	const rcn_run_input *inputs;
	size_t n_inputs;
	const rcn_open_book *book; /* the open book as of day; NULL when the register gave none */
} rcn_alert_summary;

/* The body for kind "json", "wecom" or "dingtalk" (NULL = "json"); caller frees. */
char *rcn_alert_body(const rcn_alert_summary *s, const char *kind);

/* Posts the summary when cfg->alert_webhook is set; otherwise does nothing.
 * Never fails: a failure is one "alert not sent" line on log. */
void rcn_alert_send(const rcn_config *cfg, const rcn_alert_summary *s, FILE *log);

/* The call at the end of rcn_run_date: builds the summary and sends it
 * (book: the night's open book, or NULL). */
void rcn_alert_after_run(const rcn_run_opts *o, const rcn_run_result *r, const rcn_alert_outcome *outcome,
			 const rcn_open_book *book, const rcn_run_input *inputs, size_t n_inputs);

#endif
