/* Strict reading of the hand-kept rules CSV files (FORMATS.md §6), shared by
 * the fee schedule and the settlement cycles: lines, fields, the header and
 * the checks every kind of rule line has in common. Owns one line buffer. */
#include "util/rulescsv.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recon/text.h"
#include "util/err.h"

rcn_rc rcn_rulescsv_bad(rcn_rulescsv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcn_rc rc = rcn_err_vset(c->err, NULL, RCN_EUSAGE, c->path, c->line, 512, fmt, ap);
	va_end(ap);
	return rc;
}

int rcn_rulescsv_qlen(const char *s)
{
	size_t n = strlen(s), max = 60;
	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return (int)max;
}

/* The column names joined by sep, for a message. */
static const char *column_list(const rcn_rulescsv_spec *spec, const char *sep, char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int k = 0; k < spec->ncolumns && o < cap; k++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", k ? sep : "", spec->columns[k]);
	return buf;
}

/* Splits one line into fields in place: comma separated, spaces around a
 * field dropped, a field may be quoted ("" is a quote inside it). A quoted
 * field cannot span lines: no rule cell needs a newline. Returns NULL or
 * what is wrong. */
static const char *split(char *s, char **fields, size_t *nf)
{
	size_t n = 0;
	char *p = s;
	for (;;) {
		if (n == RCN_RULESCSV_MAX_FIELDS)
			return "more than 32 fields";
		while (*p == ' ' || *p == '\t')
			p++;
		char *start = p, *end;
		if (*p == '"') {
			char *o = ++p;
			start = o;
			for (;;) {
				if (!*p)
					return "a quoted field has no closing quote (a field cannot span lines)";
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				*o++ = *p++;
			}
			end = o;
			p++; /* the closing quote */
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				return "text after the closing quote of a field";
		} else {
			while (*p && *p != ',') {
				if (*p == '"')
					return "a quote inside an unquoted field (quote the whole field)";
				p++;
			}
			end = p;
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
		}
		char sep = *p;
		*end = '\0';
		fields[n++] = start;
		if (!sep)
			break;
		p++;
	}
	*nf = n;
	return NULL;
}

static rcn_rc read_header(rcn_rulescsv *c, char **fields, size_t nf)
{
	const rcn_rulescsv_spec *spec = c->spec;
	char list[256];
	for (size_t i = 0; i < nf; i++) {
		if (!fields[i][0])
			continue; /* a trailing empty cell from a spreadsheet */
		int k = 0;
		while (k < spec->ncolumns && strcasecmp(fields[i], spec->columns[k]) != 0)
			k++;
		if (k == spec->ncolumns)
			return rcn_rulescsv_bad(c, "unknown column '%.*s' (expected %s)", rcn_rulescsv_qlen(fields[i]),
						fields[i], column_list(spec, ", ", list, sizeof(list)));
		if (c->col[k] >= 0)
			return rcn_rulescsv_bad(c, "column '%s' appears twice", spec->columns[k]);
		c->col[k] = (int)i;
	}
	for (int k = 0; k < spec->nrequired; k++)
		if (c->col[k] < 0)
			return rcn_rulescsv_bad(c, "no '%s' column in the header", spec->columns[k]);
	c->header_fields = nf;
	return RCN_OK;
}

/* A data line has the header's fields at least, and none of its own. */
static rcn_rc check_fields(rcn_rulescsv *c, char **fields, size_t nf)
{
	if (nf < c->header_fields)
		return rcn_rulescsv_bad(c, "expected %zu fields as in the header, found %zu", c->header_fields, nf);
	for (size_t i = 0; i < nf; i++) {
		bool named = false;
		for (int k = 0; k < c->spec->ncolumns; k++)
			named = named || c->col[k] == (int)i;
		if (!named && fields[i][0])
			return rcn_rulescsv_bad(c, "field %zu ('%.*s') has no column in the header", i + 1,
						rcn_rulescsv_qlen(fields[i]), fields[i]);
	}
	return RCN_OK;
}

rcn_rc rcn_rulescsv_read(rcn_rulescsv *c, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			 rcn_rulescsv_rule_fn read_rule, void **rules, size_t *nrules)
{
	rcn_rc rc = RCN_OK;
	char *line = NULL, list[256];
	size_t cap = 0, rules_cap = 0;
	ssize_t got;
	bool have_header = false;
	FILE *f;

	assert(spec->ncolumns <= RCN_RULESCSV_MAX_COLUMNS && spec->nrequired <= spec->ncolumns);
	memset(c, 0, sizeof(*c));
	c->spec = spec;
	c->path = path;
	c->err = err;
	for (int k = 0; k < RCN_RULESCSV_MAX_COLUMNS; k++)
		c->col[k] = -1;
	f = fopen(path, "r");
	if (!f) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read %s: %s", spec->what, strerror(errno));
		goto cleanup;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		c->line++;
		if ((size_t)got != strlen(line) || got > RCN_RULESCSV_MAX_LINE) {
			rc = rcn_rulescsv_bad(c, "line is longer than %d bytes or holds a NUL byte",
					      RCN_RULESCSV_MAX_LINE);
			goto cleanup;
		}
		char *s = line;
		if (c->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		if (rcn_utf8_check(s, n) != n) {
			/* a spreadsheet saving as GBK would make every Chinese name miss */
			rc = rcn_rulescsv_bad(c, "not UTF-8: save the file as CSV UTF-8");
			goto cleanup;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		char *fields[RCN_RULESCSV_MAX_FIELDS];
		size_t nf = 0;
		const char *why = split(s, fields, &nf);
		if (why) {
			rc = rcn_rulescsv_bad(c, "%s", why);
			goto cleanup;
		}
		bool blank = true;
		for (size_t i = 0; i < nf && blank; i++)
			blank = !fields[i][0];
		if (blank)
			continue; /* ",,,": an empty spreadsheet row */
		if (!have_header) {
			if ((rc = read_header(c, fields, nf)))
				goto cleanup;
			have_header = true;
			continue;
		}
		if (*nrules == spec->max_rules) {
			rc = rcn_rulescsv_bad(c, "more than %zu rules", spec->max_rules);
			goto cleanup;
		}
		if ((rc = check_fields(c, fields, nf)))
			goto cleanup;
		rcn_xreserve(rules, &rules_cap, *nrules + 1, spec->rule_size);
		if ((rc = read_rule(c, fields, (char *)*rules + *nrules * spec->rule_size)))
			goto cleanup;
		(*nrules)++;
	}
	if (ferror(f)) {
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read %s: %s", spec->what, strerror(errno));
		goto cleanup;
	}
	if (!have_header)
		rc = rcn_err_set(err, RCN_EUSAGE, path, 0, "no header line (%s)",
				 column_list(spec, ",", list, sizeof(list)));
cleanup:
	free(line);
	if (f)
		fclose(f);
	return rc;
}

rcn_rc rcn_rulescsv_load(rcn_rulescsv *c, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			 rcn_rulescsv_rule_fn read_rule, int (*cmp)(const void *, const void *), void **rules,
			 size_t *nrules, const void ***by_key)
{
	rcn_rc rc = rcn_rulescsv_read(c, spec, path, err, read_rule, rules, nrules);
	if (rc)
		return rc;
	const void **index = rcn_xmalloc((*nrules ? *nrules : 1) * sizeof(*index));
	for (size_t i = 0; i < *nrules; i++)
		index[i] = (const char *)*rules + i * spec->rule_size;
	qsort(index, *nrules, sizeof(*index), cmp);
	*by_key = index;
	return RCN_OK;
}

rcn_rc rcn_rule_table_load(rcn_rule_table *t, const rcn_rulescsv_spec *spec, const char *path, rcn_err *err,
			   rcn_rulescsv_rule_fn read_rule, int (*cmp)(const void *, const void *),
			   rcn_rc (*check)(rcn_rulescsv *c, const rcn_rule_table *t))
{
	rcn_rulescsv c;
	memset(t, 0, sizeof(*t));
	rcn_rc rc = rcn_rulescsv_load(&c, spec, path, err, read_rule, cmp, &t->rules, &t->n, &t->by_key);
	if (rc == RCN_OK)
		rc = check(&c, t);
	if (rc != RCN_OK)
		rcn_rule_table_free(t);
	return rc;
}

void rcn_rule_table_free(rcn_rule_table *t)
{
	free(t->rules);
	free(t->by_key);
	memset(t, 0, sizeof(*t));
}

const char *rcn_rulescsv_cell(const rcn_rulescsv *c, char **fields, int k)
{
	return c->col[k] >= 0 ? fields[c->col[k]] : "";
}

static bool is_channel_name(const char *s)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

rcn_rc rcn_rulescsv_channel(rcn_rulescsv *c, const char *v, char *dst, size_t cap)
{
	if (!*v)
		return rcn_rulescsv_bad(c, "bad value for 'channel': empty");
	if (strcmp(v, "*") == 0)
		return rcn_rulescsv_bad(c, "bad value for 'channel': '*' is not allowed: a rule names its channel");
	if (!is_channel_name(v) || strlen(v) >= cap)
		return rcn_rulescsv_bad(
			c, "bad value for 'channel': '%.*s' is not a channel name (letters, digits, - and _)",
			rcn_rulescsv_qlen(v), v);
	memcpy(dst, v, strlen(v) + 1);
	return RCN_OK;
}

rcn_rc rcn_rulescsv_key(rcn_rulescsv *c, int k, const char *v, char *dst, size_t cap)
{
	const char *name = c->spec->columns[k];
	if (!*v)
		return rcn_rulescsv_bad(c, "bad value for '%s': empty (write * for every %s)", name, name);
	if (strcmp(v, "*") != 0 && strchr(v, '*'))
		return rcn_rulescsv_bad(c, "bad value for '%s': '%.*s' mixes * with text: write * alone for every %s",
					name, rcn_rulescsv_qlen(v), v, name);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return rcn_rulescsv_bad(c, "bad value for '%s': a control character", name);
	if (strlen(v) >= cap)
		return rcn_rulescsv_bad(c, "bad value for '%s': longer than %zu bytes", name, cap - 1);
	memcpy(dst, v, strlen(v) + 1);
	return RCN_OK;
}
