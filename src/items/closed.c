/* A set of items' closed ones in brief (items_int.h, rcn_closed_set): what
 * a page of a night's items needs to filter, count and order them, read
 * once while the register is unchanged; the page's own rows are read by
 * id. Closed items are in recon_items only (an unworked item is open). */
#include <stdlib.h>
#include <string.h>

#include "items/items_int.h"

/* Two 64-bit hashes of one id (FNV-1a, and a mix of it): summed over a
 * set, they do not depend on the ids' order. */
static void id_hash(const char *s, uint64_t h[2])
{
	uint64_t a = 0xcbf29ce484222325u;
	for (; *s; s++)
		a = (a ^ (unsigned char)*s) * 0x100000001b3u;
	uint64_t b = a ^ (a >> 33);
	b *= 0xff51afd7ed558ccdu;
	b ^= b >> 33;
	b *= 0xc4ceb9fe1a85ec53u;
	b ^= b >> 33;
	h[0] = a;
	h[1] = b;
}

void rcn_closed_ids_key(const char *const *ids, size_t n, uint64_t key[3])
{
	key[0] = key[1] = 0;
	key[2] = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t h[2];
		id_hash(ids[i], h);
		key[0] += h[0];
		key[1] += h[1];
	}
}

/* A text's offset in the set's text; with seen (its keys in keys, which
 * stay where they are while the text grows), each distinct text kept once. */
static uint32_t intern(rcn_closed_set *s, rcn_strmap *seen, rcn_arena *keys, const char *t)
{
	size_t len = strlen(t);
	uint32_t at;
	if (seen && rcn_strmap_get(seen, t, len, &at))
		return at;
	rcn_xreserve((void **)&s->text, &s->text_cap, s->text_len + len + 1, 1);
	at = (uint32_t)s->text_len;
	memcpy(s->text + at, t, len + 1);
	s->text_len += len + 1;
	if (seen)
		(void)rcn_strmap_put(seen, rcn_arena_strdup(keys, t), len, at, NULL);
	return at;
}

typedef struct {
	rcn_closed_set *s;
	rcn_strmap want;  /* the ids asked for -> their index */
	bool *got;	  /* [index]: its row came */
	rcn_strmap words; /* channels, merchants, owners: a few each */
	rcn_arena keys;	  /* words' keys */
} read_ctx;

static rcn_rc closed_row(void *p, const PGresult *res, int row, rcn_err *err)
{
	read_ctx *c = p;
	rcn_closed_set *s = c->s;
	const char *id = PQgetvalue(res, row, 0);
	uint32_t at;
	if (!rcn_strmap_get(&c->want, id, strlen(id), &at) || c->got[at]) /* (a range's neighbour) */
		return RCN_OK;
	c->got[at] = true;
	rcn_item_status st;
	rcn_kind kind = rcn_items_kind_of(PQgetvalue(res, row, 2));
	if (!rcn_item_status_parse(PQgetvalue(res, row, 1), &st) || kind == RCN_K__COUNT)
		return rcn_err_set(err, RCN_EDB, "", 0, "closed item %s: unknown status %s or kind %s", id,
				   PQgetvalue(res, row, 1), PQgetvalue(res, row, 2));
	int64_t d = PQgetisnull(res, row, 6) ? 0 : strtoll(PQgetvalue(res, row, 6), NULL, 10);
	rcn_date due = PQgetisnull(res, row, 7) ? 0 : (rcn_date)strtol(PQgetvalue(res, row, 7), NULL, 10);
	rcn_date first = (rcn_date)strtol(PQgetvalue(res, row, 8), NULL, 10);
	rcn_xreserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = (rcn_closed_brief){
		.key = rcn_items_book_key(false, due, first), /* (closed: never overdue) */
		.id8 = rcn_items_book_id8(id),
		.fen = d == INT64_MIN ? INT64_MAX : llabs(d),
		.id = intern(s, NULL, NULL, id),
		.channel = intern(s, &c->words, &c->keys, PQgetvalue(res, row, 3)),
		.merchant = intern(s, &c->words, &c->keys, PQgetvalue(res, row, 4)),
		.owner = intern(s, &c->words, &c->keys, PQgetvalue(res, row, 5)),
		.status = (uint8_t)st,
		.kind = (uint8_t)kind,
	};
	return RCN_OK;
}

/* A canonical id's number (its body in Crockford base32, without the check
 * symbol); -1 when it is not one. */
static int64_t id_number(const char *id)
{
	static const char B32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	size_t len = strlen(id);
	int64_t v = 0;
	if (len < 2 || len > 13)
		return -1;
	for (size_t i = 0; i + 1 < len; i++) {
		const char *at = memchr(B32, id[i], 32);
		if (!at || !id[i])
			return -1;
		v = v * 32 + (at - B32);
	}
	return v;
}

typedef struct {
	const char *id;
	size_t len;
	int64_t number;
} numbered;

static int by_number(const void *pa, const void *pb)
{
	const numbered *a = pa, *b = pb;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->number > b->number) - (a->number < b->number);
}

/* A night's ids are mostly consecutive numbers (its new items): read as
 * ranges of the primary key, one descent each, rather than an index probe
 * per id. A run of at least RUN_MIN ids whose numbers step by at most
 * RUN_STEP is a range; at most RANGES_MAX of them, the other ids probed. */
enum { RUN_MIN = 16, RUN_STEP = 2, RANGES_MAX = 32 };

#define CLOSED_COLUMNS                                                                                                 \
	"SELECT id, status, kind, channel, merchant_id, owner, difference_fen, due_by - DATE '1970-01-01', "           \
	"first_seen - DATE '1970-01-01' FROM recon_items WHERE status NOT IN ('open', 'acknowledged') AND "

/* The closed rows among ids (n), ranges where they run: into c. */
static rcn_rc read_rows(rcn_db *db, read_ctx *c, const char *const *ids, size_t n, bool ranges, rcn_err *err)
{
	numbered *v = rcn_xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = (numbered){ids[i], strlen(ids[i]), id_number(ids[i])};
	if (ranges)
		qsort(v, n, sizeof(*v), by_number);
	const char **probe = rcn_xcalloc(n + 1, sizeof(*probe));
	const char *p[1 + 2 * RANGES_MAX];
	size_t n_probe = 0;
	int n_p = 1;
	rcn_buf q, arr;
	rcn_buf_init(&q, (size_t)1 << 20);
	rcn_buf_init(&arr, (size_t)64 << 20);
	rcn_buf_append(&q, CLOSED_COLUMNS "(id = ANY($1::text[])", strlen(CLOSED_COLUMNS "(id = ANY($1::text[])"));
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; ranges && j < n && v[j].len == v[i].len && v[i].number >= 0 &&
				v[j].number - v[j - 1].number <= RUN_STEP;
		     j++)
			;
		if (j - i >= RUN_MIN && n_p < 1 + 2 * RANGES_MAX) {
			char cond[48];
			snprintf(cond, sizeof cond, " OR id BETWEEN $%d AND $%d", n_p + 1, n_p + 2);
			rcn_buf_append(&q, cond, strlen(cond));
			p[n_p++] = v[i].id;
			p[n_p++] = v[j - 1].id;
		} else {
			for (size_t k = i; k < j; k++)
				probe[n_probe++] = v[k].id;
		}
	}
	rcn_buf_append(&q, ")", 1);
	rcn_items_text_array(&arr, probe, n_probe);
	p[0] = arr.data;
	rcn_rc rc = rcn_pq_each_row(db, q.data, n_p, p, 9, "reading a night's closed items", closed_row, c, err);
	rcn_buf_free(&arr);
	rcn_buf_free(&q);
	free(probe);
	free(v);
	return rc;
}

rcn_rc rcn_closed_set_read(rcn_db *db, const char *const *ids, size_t n, bool (*is_open)(void *, const char *),
			   void *ctx, rcn_closed_set **out, rcn_err *err)
{
	rcn_closed_set *s = *out = rcn_xcalloc(1, sizeof(*s));
	rcn_closed_ids_key(ids, n, s->ids_key);
	read_ctx c = {.s = s, .got = rcn_xcalloc(n + 1, sizeof(*c.got))};
	rcn_strmap_init(&c.words, 64);
	rcn_strmap_init(&c.want, n + 1);
	for (size_t i = 0; i < n; i++)
		(void)rcn_strmap_put(&c.want, ids[i], strlen(ids[i]), (uint32_t)i, NULL);
	rcn_rc rc = read_rows(db, &c, ids, n, true, err);
	/* a range is in the key's collation, not strcmp's: an id neither read nor open is probed
	 * (in a C-like collation there is none) */
	const char **missed = rcn_xcalloc(n + 1, sizeof(*missed));
	size_t n_missed = 0;
	for (size_t i = 0; rc == RCN_OK && i < n; i++) {
		uint32_t at;
		if (rcn_strmap_get(&c.want, ids[i], strlen(ids[i]), &at) && !c.got[at] && !is_open(ctx, ids[i]))
			missed[n_missed++] = ids[i];
	}
	if (rc == RCN_OK && n_missed)
		rc = read_rows(db, &c, missed, n_missed, false, err);
	free(missed);
	free(c.got);
	rcn_strmap_free(&c.want);
	rcn_strmap_free(&c.words);
	rcn_arena_free(&c.keys);
	s->bytes = sizeof(*s) + s->cap * sizeof(*s->v) + s->text_cap;
	if (rc != RCN_OK) {
		rcn_closed_set_free(s);
		*out = NULL;
	}
	return rc;
}

bool rcn_closed_keeps(const rcn_closed_set *s, const rcn_closed_brief *b, const rcn_items_filter *f)
{
	if (!(f->statuses & (1u << b->status)) || (f->kinds && !(f->kinds & (1u << b->kind))) || f->overdue_only)
		return false;
	if (f->channel && f->channel[0] && strcmp(f->channel, s->text + b->channel) != 0)
		return false;
	if (f->merchant_id && f->merchant_id[0] && strcmp(f->merchant_id, s->text + b->merchant) != 0)
		return false;
	return !f->owner || strcmp(f->owner, s->text + b->owner) == 0;
}

void rcn_closed_set_free(rcn_closed_set *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->text);
	free(s);
}
