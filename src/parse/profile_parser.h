/* The profile parser's state (FORMATS.md §4), behind profile.c and
 * profile_row.c. Data moves one way:
 *
 *   raw bytes --(profile.c: cut into physical lines in raw, converted to UTF-8
 *   in text, checked to be text)--> a line tried against the profile's
 *   patterns (ignore, header, footer, detail, period) --> a detail line
 *     csv:   --(profile_row.c: split into vals, quoted fields may span lines)
 *     fixed: --(profile_row.c: columns sliced from the raw bytes, converted)
 *   --> row_values --> one rcn_record to the sink and the sums; a footer line's
 *   stated totals are checked against the sums at finish (profile.c).
 *
 * Internal to src/parse: nothing outside the profile parser includes it. */
#ifndef RECON_PARSE_PROFILE_PARSER_H
#define RECON_PARSE_PROFILE_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/profile_internal.h"
#include "recon/charset.h"
#include "recon/parse.h"
#include "recon/text.h"

enum stage { ST_HEADER, ST_DETAIL, ST_AFTER_FOOTER };

/* CSV splitter states (RFC 4180 with a configurable delimiter and quote). */
enum csv_state { CS_FIELD_START, CS_UNQUOTED, CS_QUOTED, CS_QUOTE_IN_QUOTED, CS_AFTER_QUOTED };

typedef struct {
	const rcn_parser_spec *spec;
	const rcn_profile *prof;
	rcn_charset *cs;
	pcre2_match_data *md;
	pcre2_match_context *mctx;

	/* byte level */
	rcn_buf raw;  /* current physical line as stored, without its '\n' */
	long line;    /* line of the bytes being collected */
	rcn_buf text; /* UTF-8 of the physical line */

	/* current CSV row: fields NUL-terminated in vals, possibly over several lines */
	bool cont; /* a quoted field goes on on the next line */
	long row_line;
	size_t row_bytes;
	enum csv_state cstate;
	rcn_buf vals;
	size_t field_off[RCN_MAX_FIELDS];
	size_t nfields;
	bool too_many_fields;
	bool bad_quote;

	/* file level */
	enum stage stage;
	int col[PF__COUNT]; /* csv: header index of each mapped field */
	size_t ncols;
	rcn_buf hdr; /* csv: the header's names, trimmed and NUL-terminated, to name a column in messages */
	size_t hdr_off[RCN_MAX_FIELDS];
	size_t nhdr;
	int64_t raw_sums[PT__COUNT]; /* what the detail rows add up to, per total */
	bool stated_set[PT__COUNT];
	int64_t stated[PT__COUNT];
	long stated_line[PT__COUNT];
	bool has_footer;
	rcn_stmt_result res;
	bool fatal;
	rcn_err fatal_err;
	bool footer_bad; /* a footer value could not be read: footer_err */
	rcn_err footer_err;
	bool trailing; /* a line after the footer: trailing_err */
	rcn_err trailing_err;
	bool period_seen; /* the period line was read (and checked) */
	bool finished;
} parser;

/* Values of one row, trimmed, NUL-terminated; "" for unmapped fields. */
typedef struct {
	const char *v[PF__COUNT];
	size_t n[PF__COUNT];
} row_values;

/* The file is unusable from this line on (the first error wins). */
void rcn_profile_fatal(parser *p, rcn_rc code, long line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A detail row that cannot be used: counted, quarantined, and the file will be rejected. */
void rcn_profile_quarantine(parser *p, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static inline const char *trim(const char *s, size_t *n)
{
	while (*n > 0 && (s[0] == ' ' || s[0] == '\t'))
		s++, (*n)--;
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* profile_row.c: an amount in the profile's unit, at `scale` decimals of a
 * yuan: yuan as a decimal ("-12.30", at most `yuan_decimals`), fen strictly as
 * digits. On failure why holds the reason. */
rcn_rc rcn_profile_parse_amount(const rcn_profile *prof, int64_t *out, const char *s, size_t n, int scale,
				int yuan_decimals, char *why, size_t why_n);

/* profile_row.c: starts a new CSV row in vals. */
void rcn_profile_csv_reset(parser *p);

/* profile_row.c: splits s[0..n) into vals, going on with the row under way;
 * false when a quoted field goes on on the next line. */
bool rcn_profile_csv_split(parser *p, const char *s, size_t n);

/* profile_row.c: the CSV header line s[0..n): where each mapped column is. */
void rcn_profile_csv_header(parser *p, const char *s, size_t n, long line);

/* profile_row.c: a CSV detail row, complete in p->vals. */
void rcn_profile_csv_row(parser *p);

/* profile_row.c: a fixed-width detail row, in p->raw. */
void rcn_profile_fixed_row(parser *p, long line);

#endif
