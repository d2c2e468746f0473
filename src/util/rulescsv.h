/* The strict reader of the hand-kept rules files (FORMATS.md §6: rules/fees.csv,
 * rules/settlement.csv): one line at a time with a length cap, BOM and CRLF,
 * '#' comments, quoted fields, columns found by header name, UTF-8 only, and
 * file:line with the column for every mistake. Holds one line, never the file. */
#ifndef RECON_UTIL_RULESCSV_H
#define RECON_UTIL_RULESCSV_H

#include "recon/common.h"

#define RCN_RULESCSV_MAX_LINE	 4096 /* one line of a rules file */
#define RCN_RULESCSV_MAX_FIELDS	 32   /* cells on one line */
#define RCN_RULESCSV_MAX_COLUMNS 16   /* named columns a file kind may have */

typedef struct {
	const char *what;	    /* "fee rules", as in "cannot read fee rules: ..." */
	const char *const *columns; /* header names, the required ones first */
	int ncolumns;		    /* at most RCN_RULESCSV_MAX_COLUMNS */
	int nrequired;		    /* columns[0..nrequired) must be in the header */
	size_t max_rules;	    /* data lines accepted */
	size_t rule_size;	    /* of one rule in the caller's array */
} rcn_rulescsv_spec;

typedef struct {
	const rcn_rulescsv_spec *spec;
	const char *path;
	rcn_err *err;
	long line;			   /* of the line being read; set it to report a later check */
	int col[RCN_RULESCSV_MAX_COLUMNS]; /* field index of each column, -1 when the header lacks it */
	size_t header_fields;
} rcn_rulescsv;

/* Called once per data line, after the header, with that line's fields (there
 * are at least as many as in the header, and every field beyond the named
 * columns is empty; they are valid only during the call) and the new rule to
 * fill in. */
typedef rcn_rc (*rcn_rulescsv_rule_fn)(rcn_rulescsv *c, char **fields, void *rule);

/* Reads path (spec and path borrowed, must outlive c): each data line becomes
 * rule *nrules of *rules, an array of spec->rule_size elements grown with
 * rcn_xreserve, that the caller owns and frees whatever the outcome; *nrules counts
 * the rules read_rule accepted. Stops at the first error, read_rule's own
 * included, with err set. c stays usable afterwards for rcn_rulescsv_bad on
 * checks across lines. */
rcn_rc rcn_rulescsv_read(rcn_rulescsv *c, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			 rcn_rulescsv_rule_fn read_rule, void **rules, size_t *nrules);

/* rcn_rulescsv_read, and on success *by_key: a new array (the caller frees it,
 * whatever the outcome) of pointers to the *nrules rules, sorted by cmp, which
 * compares two pointers to rules as qsort passes them. */
rcn_rc rcn_rulescsv_load(rcn_rulescsv *c, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			 rcn_rulescsv_rule_fn read_rule, int (*cmp)(const void *, const void *), void **rules,
			 size_t *nrules, const void ***by_key);

/* A rules file read whole: its rules in file order and an index of them
 * sorted by the file kind's key. */
typedef struct {
	void *rules; /* n rules of spec->rule_size each, in file order */
	size_t n;
	const void **by_key; /* the same rules, sorted by key */
} rcn_rule_table;
/* Reads path into t (rcn_rulescsv_load), then check(c, t) for what only the
 * whole file shows (overlaps, duplicates); on any failure t is left empty. */
rcn_rc rcn_rule_table_load(rcn_rule_table *t, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			   rcn_rulescsv_rule_fn read_rule, int (*cmp)(const void *, const void *),
			   rcn_rc (*check)(rcn_rulescsv *c, const rcn_rule_table *t));
void rcn_rule_table_free(rcn_rule_table *t);

/* Sets c->err to the message at path:c->line and returns RCN_EUSAGE. */
rcn_rc rcn_rulescsv_bad(rcn_rulescsv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The cell of column k on this line, "" when the header lacks the column. */
const char *rcn_rulescsv_cell(const rcn_rulescsv *c, char **fields, int k);

/* Length of s for quoting it back in a message, not splitting a UTF-8 sequence. */
int rcn_rulescsv_qlen(const char *s);

/* A 'channel' cell: a channel name (letters, digits, - and _), never "*",
 * copied to dst[cap]. */
rcn_rc rcn_rulescsv_channel(rcn_rulescsv *c, const char *v, char *dst, size_t cap);

/* A key cell of column k (merchant, product): "*" or a literal value with no
 * control character, copied to dst[cap]. */
rcn_rc rcn_rulescsv_key(rcn_rulescsv *c, int k, const char *v, char *dst, size_t cap);

#endif
