/* The night's read of the unworked items (recon_item_unworked): every part's
 * json parsed here rather than by the server, whose json reader costs several
 * microseconds an item — the register read of a night carrying fifty
 * thousand items. Parts arrive one row at a time (single-row mode): memory
 * holds one part's text, not the register's.
 *
 * A part is a json array of flat objects (recon_unworked_entry's short keys:
 * store.c writes them, recon_items_take rewrites them through PostgreSQL's
 * json_agg, the benchmark builds them with json_build_object): strings,
 * integers, true, false, null, any whitespace between. Anything else is a
 * damaged part: RCN_EDB naming its date, part and byte. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "items/night_int.h"

/* The part's text, copied once into the night's arena: strings are cut out
 * of it in place (a NUL over the closing quote; escapes undone in place,
 * never longer than their source). */
typedef struct {
	char *p;
	const char *start, *end;
} cursor;

static void ws(cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool eat(cursor *c, char ch)
{
	ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

/* Four hex digits after \u. */
static bool hex4(cursor *c, unsigned *out)
{
	if (c->end - c->p < 4)
		return false;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(c->p[i]);
		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	c->p += 4;
	*out = v;
	return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A json string, unescaped in place (NULL: not a string). */
static const char *string(cursor *c)
{
	if (!eat(c, '"'))
		return NULL;
	char *out = c->p, *o = out, *q = c->p;
	while (q < c->end && *q != '"' && *q != '\\') /* short texts: a plain loop beats two memchr calls */
		q++;
	if (q < c->end && *q == '"') { /* the common case: nothing escaped */
		*q = '\0';
		c->p = q + 1;
		return out;
	}
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;
		if ((unsigned char)ch < 0x20)
			return NULL;
		if (ch != '\\') {
			*o++ = ch;
			continue;
		}
		if (c->p >= c->end)
			return NULL;
		ch = *c->p++;
		const char *simple = strchr("\"\\/bfnrt", ch);
		if (ch && simple) {
			*o++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
			continue;
		}
		unsigned cp, lo;
		if (ch != 'u' || !hex4(c, &cp))
			return NULL;
		if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
			if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
				return NULL;
			c->p += 2;
			if (!hex4(c, &lo) || lo < 0xDC00 || lo >= 0xE000)
				return NULL;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		} else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
			return NULL;
		}
		o += put_utf8(o, cp);
	}
	if (c->p >= c->end)
		return NULL;
	*o = '\0'; /* o <= c->p: the closing quote is still there to be eaten */
	c->p++;
	return out;
}

/* A value: its kind, and a string or an integer. */
typedef enum { V_BAD, V_NULL, V_TRUE, V_FALSE, V_STR, V_INT } vkind;
typedef struct {
	vkind kind;
	const char *s;
	int64_t i;
} value;

static bool literal(cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static value read_value(cursor *c)
{
	value v = {V_BAD, NULL, 0};
	ws(c);
	if (c->p >= c->end)
		return v;
	if (*c->p == '"') {
		v.s = string(c);
		v.kind = v.s ? V_STR : V_BAD;
	} else if (literal(c, "null")) {
		v.kind = V_NULL;
	} else if (literal(c, "true")) {
		v.kind = V_TRUE;
	} else if (literal(c, "false")) {
		v.kind = V_FALSE;
	} else {
		bool neg = *c->p == '-';
		c->p += neg;
		uint64_t u = 0;
		const char *digits = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - digits < 19)
			u = u * 10 + (uint64_t)(*c->p++ - '0');
		if (c->p == digits || (c->p < c->end && strchr("0123456789.eE", *c->p)))
			return v; /* no digits, too many, or not an integer */
		if (u > (uint64_t)INT64_MAX)
			return v; /* out of bigint's range */
		v.kind = V_INT;
		v.i = neg ? -(int64_t)u : (int64_t)u;
	}
	return v;
}

static rcn_kind kind_named(const char *name)
{
	static _Thread_local rcn_kind last = RCN_K__COUNT; /* a part is mostly runs of one kind */
	if (last != RCN_K__COUNT && strcmp(rcn_kind_name(last), name) == 0)
		return last;
	for (int k = 0; k < RCN_K__COUNT; k++)
		if (strcmp(rcn_kind_name((rcn_kind)k), name) == 0)
			return last = (rcn_kind)k;
	return RCN_K__COUNT;
}

/* The fields of one entry, by key. */
typedef struct {
	rcn_open_item it;
	const char *key, *at;
	bool has_la, has_ca, has_d, has_df, has_kind;
	int64_t la, ca, d, df;
} entry;

static const char *text_of(const value *v)
{
	return v->kind == V_STR ? v->s : "";
}

/* The entry's fields by their short keys (recon_unworked_entry). */
typedef enum {
	F_SKIP, /* "kc" (from the kind), and keys this version does not know */
	F_I,
	F_K,
	F_KD,
	F_R,
	F_RT,
	F_CH,
	F_M,
	F_O,
	F_RF,
	F_T,
	F_CR,
	F_LS,
	F_CS,
	F_LA,
	F_CA,
	F_D,
	F_DF,
	F_S,
	F_DT,
	F_DUE,
	F_U,
	F_AT
} field;

static field field_of(const char *k)
{
	static const struct {
		char key[4];
		field f;
	} keys[] = {{"i", F_I},	  {"k", F_K},	  {"kd", F_KD}, {"r", F_R},  {"rt", F_RT}, {"ch", F_CH},
		    {"m", F_M},	  {"o", F_O},	  {"rf", F_RF}, {"t", F_T},  {"cr", F_CR}, {"ls", F_LS},
		    {"cs", F_CS}, {"la", F_LA},	  {"ca", F_CA}, {"d", F_D},  {"df", F_DF}, {"s", F_S},
		    {"dt", F_DT}, {"due", F_DUE}, {"u", F_U},	{"at", F_AT}};
	if (!k[0] || (k[1] && k[2] && k[3]))
		return F_SKIP;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].key[0] == k[0] && keys[i].key[1] == k[1] && (!k[1] || keys[i].key[2] == k[2]))
			return keys[i].f;
	return F_SKIP;
}

static bool take_field(entry *e, const char *k, const value *v)
{
	field f = field_of(k);
	const char **text = NULL;
	bool *has = NULL;
	int64_t *num = NULL;
	switch (f) {
	case F_R:
		text = &e->it.reason;
		break;
	case F_CH:
		text = &e->it.channel;
		break;
	case F_M:
		text = &e->it.merchant_id;
		break;
	case F_O:
		text = &e->it.order_no;
		break;
	case F_RF:
		text = &e->it.refund_no;
		break;
	case F_T:
		text = &e->it.channel_txn_id;
		break;
	case F_CR:
		text = &e->it.channel_refund_id;
		break;
	case F_LS:
		text = &e->it.ledger_status;
		break;
	case F_CS:
		text = &e->it.channel_status;
		break;
	case F_S:
		text = &e->it.source;
		break;
	case F_DT:
		text = &e->it.detail;
		break;
	case F_LA:
		has = &e->has_la, num = &e->la;
		break;
	case F_CA:
		has = &e->has_ca, num = &e->ca;
		break;
	case F_D:
		has = &e->has_d, num = &e->d;
		break;
	case F_DF:
		has = &e->has_df, num = &e->df;
		break;
	case F_I:
		if (v->kind != V_STR || strlen(v->s) >= RCN_ITEM_ID_MAX)
			return false;
		snprintf(e->it.id, sizeof e->it.id, "%s", v->s);
		return true;
	case F_K:
		e->key = v->kind == V_STR ? v->s : NULL;
		return v->kind == V_STR;
	case F_KD:
		e->it.kind = v->kind == V_STR ? kind_named(v->s) : RCN_K__COUNT;
		e->has_kind = e->it.kind != RCN_K__COUNT;
		return true;
	case F_RT:
		e->it.rec_type = strcmp(text_of(v), "refund") == 0 ? RCN_REC_REFUND : RCN_REC_PAYMENT;
		return true;
	case F_DUE: {
		rcn_err ignore;
		e->it.due_by = 0;
		return v->kind != V_STR || rcn_date_parse(&e->it.due_by, v->s, strlen(v->s), &ignore) == RCN_OK;
	}
	case F_U:
		e->it.urgent = v->kind == V_TRUE;
		return true;
	case F_AT:
		e->at = text_of(v);
		return true;
	case F_SKIP:
		return true;
	}
	if (text) {
		*text = text_of(v);
		return v->kind == V_STR || v->kind == V_NULL;
	}
	*has = v->kind == V_INT;
	*num = v->i;
	return v->kind == V_INT || v->kind == V_NULL;
}

bool rcn_items_key_is_plain(const char *key, const char *kind, const char *refund_no, const char *order_no)
{
	const char *no = *refund_no ? refund_no : order_no;
	size_t k = strlen(kind);
	return *no && strncmp(key, kind, k) == 0 && key[k] == '|' && key[k + 1] == (*refund_no ? 'r' : 'o') &&
	       key[k + 2] == ':' && strcmp(key + k + 3, no) == 0;
}

/* The key an entry left out (rcn_items_key_is_plain), in the arena. */
static const char *plain_key(rcn_arena *a, const rcn_open_item *it)
{
	const char *kind = rcn_kind_name(it->kind), *no = *it->refund_no ? it->refund_no : it->order_no;
	size_t k = strlen(kind), len = strlen(no);
	char *key = rcn_arena_alloc(a, k + 3 + len + 1);
	memcpy(key, kind, k);
	memcpy(key + k, *it->refund_no ? "|r:" : "|o:", 3);
	memcpy(key + k + 3, no, len + 1);
	return key;
}

/* One part: each entry, complete, to fn. */
static rcn_rc read_part(rcn_arena *arena, rcn_age_memo *ages, rcn_date as_of, rcn_date night, const char *actor,
			const char *part, const char *opened_at, const char *data, size_t len, rcn_unworked_fn fn,
			void *ctx, rcn_err *err)
{
	char *copy = rcn_arena_alloc(arena, len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	cursor c = {copy, copy, copy + len};
	if (!eat(&c, '['))
		goto damaged;
	if (eat(&c, ']'))
		goto done;
	do {
		entry e = {.it = {.reason = "",
				  .channel = "",
				  .merchant_id = "",
				  .order_no = "",
				  .refund_no = "",
				  .channel_txn_id = "",
				  .channel_refund_id = "",
				  .ledger_status = "",
				  .channel_status = "",
				  .source = "",
				  .detail = ""}};
		if (!eat(&c, '{'))
			goto damaged;
		if (!eat(&c, '}')) {
			do {
				const char *k = string(&c);
				if (!k || !eat(&c, ':'))
					goto damaged;
				value v = read_value(&c);
				if (v.kind == V_BAD || !take_field(&e, k, &v))
					goto damaged;
			} while (eat(&c, ','));
			if (!eat(&c, '}'))
				goto damaged;
		}
		if (!e.it.id[0] || !e.has_kind || (!e.key && !*e.it.refund_no && !*e.it.order_no))
			goto damaged;
		rcn_unworked u = {.it = e.it,
				  .key = e.key ? e.key : plain_key(arena, &e.it),
				  .opened_at = e.at && *e.at ? e.at : opened_at,
				  .has_ledger_amount = e.has_la,
				  .ledger_amount = e.la,
				  .has_channel_amount = e.has_ca,
				  .channel_amount = e.ca};
		rcn_open_item *it = &u.it;
		it->has_difference = e.has_d;
		it->difference = e.d;
		it->difference_fen = e.has_df ? e.df : e.has_d ? e.d : 0;
		it->first_seen = it->last_seen = night;
		it->status = RCN_IS_OPEN;
		it->owner = it->note = it->evidence = it->approval_by = "";
		it->changed_by = actor;
		it->last_change = actor + 10; /* a night's change is dated by its business date */
		it->age_days = rcn_age_memo_get(ages, night);
		it->overdue = it->due_by && it->due_by < as_of;
		fn(ctx, &u);
	} while (eat(&c, ','));
	if (!eat(&c, ']'))
		goto damaged;
done:
	ws(&c);
	if (c.p == c.end)
		return RCN_OK;
damaged:
	return rcn_err_set(err, RCN_EDB, "", 0,
			   "recon_item_unworked: the part %s of %s is damaged at byte %zu: restore it from a backup",
			   part, actor + 10, (size_t)(c.p - c.start));
}

/* The parts (all, or the one of generation *gen), part after part. */
static rcn_rc read_parts(rcn_db *db, const int64_t *gen, rcn_arena *arena, const rcn_calendar *cal, rcn_date as_of,
			 rcn_unworked_fn fn, void *ctx, bool *found, rcn_err *err)
{
	PGconn *conn = rcn_db_conn(db);
	char g[24];
	const char *param[1] = {gen ? g : NULL};
	if (gen)
		snprintf(g, sizeof g, "%lld", (long long)*gen);
	if (!PQsendQueryParams(conn,
			       "SELECT business_date - DATE '1970-01-01', part, to_char(opened_at AT TIME ZONE 'UTC', "
			       "'YYYY-MM-DD HH24:MI:SS.US') || '+00', data FROM recon_item_unworked "
			       "WHERE $1::bigint IS NULL OR gen = $1 ORDER BY business_date, part",
			       1, NULL, param, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(conn))
		return rcn_pq_fail(db, NULL, err, "reading the unworked items");
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, cal, as_of);
	rcn_rc rc = RCN_OK;
	PGresult *res;
	while ((res = PQgetResult(conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && rc == RCN_OK) {
			rcn_date night = (rcn_date)strtol(PQgetvalue(res, 0, 0), NULL, 10);
			char d[11], actor[40];
			snprintf(actor, sizeof actor, "recon run %s", rcn_date_format(d, night));
			if (found)
				*found = true;
			rc = read_part(arena, ages, as_of, night, rcn_arena_strdup(arena, actor), PQgetvalue(res, 0, 1),
				       rcn_arena_strdup(arena, PQgetvalue(res, 0, 2)), PQgetvalue(res, 0, 3),
				       (size_t)PQgetlength(res, 0, 3), fn, ctx, err);
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == RCN_OK) {
			rc = rcn_pq_fail(db, res, err, "reading the unworked items");
		}
		PQclear(res);
	}
	free(ages);
	return rc;
}

rcn_rc rcn_items_unworked_read(rcn_db *db, rcn_arena *arena, const rcn_calendar *cal, rcn_date as_of,
			       rcn_unworked_fn fn, void *ctx, rcn_err *err)
{
	return read_parts(db, NULL, arena, cal, as_of, fn, ctx, NULL, err);
}

rcn_rc rcn_items_unworked_read_gen(rcn_db *db, int64_t gen, rcn_arena *arena, const rcn_calendar *cal, rcn_date as_of,
				   rcn_unworked_fn fn, void *ctx, bool *found, rcn_err *err)
{
	*found = false;
	return read_parts(db, &gen, arena, cal, as_of, fn, ctx, found, err);
}

/* The night's sink: the item beside its night state. */
static void night_item(void *ctx, const rcn_unworked *u)
{
	rcn_items_night *n = ctx;
	nstate *s = rcn_items_night_state(n, &u->it, u->key);
	s->linked_today = u->it.first_seen == n->day;
	s->unworked = true;
	s->unworked_on = u->it.first_seen;
	s->opened_at = u->opened_at;
	s->has_ledger_amount = u->has_ledger_amount;
	s->ledger_amount = u->ledger_amount;
	s->has_channel_amount = u->has_channel_amount;
	s->channel_amount = u->channel_amount;
	rcn_xreserve((void **)&n->list.v, &n->list.cap, n->list.n + 1, sizeof(*n->list.v));
	n->list.v[n->list.n++] = u->it;
}

rcn_rc rcn_items_parts_parse(rcn_items_night *n, rcn_date night, const char *part, const char *opened_at,
			     const char *data, size_t len, rcn_err *err)
{
	rcn_age_memo *ages = rcn_xmalloc(sizeof(*ages));
	rcn_age_memo_init(ages, n->cal, n->day);
	char d[11], actor[40];
	snprintf(actor, sizeof actor, "recon run %s", rcn_date_format(d, night));
	rcn_rc rc = read_part(&n->list.arena, ages, n->day, night, rcn_arena_strdup(&n->list.arena, actor), part,
			      rcn_arena_strdup(&n->list.arena, opened_at), data, len, night_item, n, err);
	free(ages);
	return rc;
}

rcn_rc rcn_items_parts_read(rcn_items_night *n, rcn_db *db, rcn_err *err)
{
	return rcn_items_unworked_read(db, &n->list.arena, n->cal, n->day, night_item, n, err);
}
