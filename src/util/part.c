/* The partition key's hash (recon/part.h): the algorithm PostgreSQL's
 * hash_bytes_extended uses (lookup3, Bob Jenkins, public domain), written
 * here from its description so the client computes what the server's
 * hashtextextended(text, 0) does; tests/db/test_part.c compares the two.
 * Words are read as little-endian, as the server does on the machines recon
 * runs on (x86-64, arm64). */
#include "recon/part.h"

#include <string.h>

#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

#define MIX(a, b, c)                                                                                                   \
	do {                                                                                                           \
		a -= c;                                                                                                \
		a ^= ROT(c, 4);                                                                                        \
		c += b;                                                                                                \
		b -= a;                                                                                                \
		b ^= ROT(a, 6);                                                                                        \
		a += c;                                                                                                \
		c -= b;                                                                                                \
		c ^= ROT(b, 8);                                                                                        \
		b += a;                                                                                                \
		a -= c;                                                                                                \
		a ^= ROT(c, 16);                                                                                       \
		c += b;                                                                                                \
		b -= a;                                                                                                \
		b ^= ROT(a, 19);                                                                                       \
		a += c;                                                                                                \
		c -= b;                                                                                                \
		c ^= ROT(b, 4);                                                                                        \
		b += a;                                                                                                \
	} while (0)

#define FINAL(a, b, c)                                                                                                 \
	do {                                                                                                           \
		c ^= b;                                                                                                \
		c -= ROT(b, 14);                                                                                       \
		a ^= c;                                                                                                \
		a -= ROT(c, 11);                                                                                       \
		b ^= a;                                                                                                \
		b -= ROT(a, 25);                                                                                       \
		c ^= b;                                                                                                \
		c -= ROT(b, 16);                                                                                       \
		a ^= c;                                                                                                \
		a -= ROT(c, 4);                                                                                        \
		b ^= a;                                                                                                \
		b -= ROT(a, 14);                                                                                       \
		c ^= b;                                                                                                \
		c -= ROT(b, 24);                                                                                       \
	} while (0)

/* Bytes p[0..n-1] (n <= 4) as the low bytes of a little-endian word. */
static uint32_t le(const unsigned char *p, size_t n)
{
	uint32_t w = 0;
	for (size_t i = n; i-- > 0;)
		w = w << 8 | p[i];
	return w;
}

int64_t rcn_part_hash(const void *s, size_t n, uint64_t seed)
{
	const unsigned char *k = s;
	uint32_t a, b, c;
	a = b = c = 0x9e3779b9u + (uint32_t)n + 3923095u;
	if (seed) {
		a += (uint32_t)(seed >> 32);
		b += (uint32_t)seed;
		MIX(a, b, c);
	}
	while (n >= 12) {
		a += le(k, 4);
		b += le(k + 4, 4);
		c += le(k + 8, 4);
		MIX(a, b, c);
		k += 12;
		n -= 12;
	}
	/* the last 11 bytes at most; c's lowest byte stays for the length */
	if (n > 8)
		c += le(k + 8, n - 8) << 8;
	if (n > 4)
		b += le(k + 4, n > 8 ? 4 : n - 4);
	if (n > 0)
		a += le(k, n > 4 ? 4 : n);
	FINAL(a, b, c);
	return (int64_t)((uint64_t)b << 32 | c);
}

uint32_t rcn_part_of(const void *key, size_t n, uint32_t parts)
{
	uint64_t h = (uint64_t)rcn_part_hash(key, n, 0) & 0x7fffffffffffffffu;
	return parts ? (uint32_t)(h % parts) : 0;
}

void rcn_part_plan_init(rcn_part_plan *p, uint32_t parts, int32_t part)
{
	memset(p, 0, sizeof(*p));
	p->parts = parts;
	p->part = part;
	rcn_strmap_init(&p->contracts, 64);
	rcn_arena_init(&p->arena);
}

void rcn_part_plan_free(rcn_part_plan *p)
{
	rcn_strmap_free(&p->contracts);
	rcn_arena_free(&p->arena);
}

void rcn_part_plan_contract(rcn_part_plan *p, const char *order_no, const char *contract_id)
{
	if (!p->parts || !order_no || !*order_no || !contract_id || !*contract_id)
		return;
	const char *key = rcn_arena_strdup(&p->arena, order_no);
	(void)rcn_strmap_put(&p->contracts, key, strlen(key), rcn_part_of(contract_id, strlen(contract_id), p->parts),
			     NULL);
}

uint32_t rcn_part_plan_part(const rcn_part_plan *p, const char *order_no, const char *fallback)
{
	uint32_t part;
	if (order_no && *order_no) {
		size_t n = strlen(order_no);
		if (!p->contracts.count || !rcn_strmap_get(&p->contracts, order_no, n, &part))
			part = rcn_part_of(order_no, n, p->parts);
	} else {
		const char *k = fallback ? fallback : "";
		part = rcn_part_of(k, strlen(k), p->parts);
	}
	return part;
}

bool rcn_part_plan_keeps(const rcn_part_plan *p, const char *order_no, const char *fallback)
{
	if (!p || !p->parts)
		return true;
	if (p->part < 0)
		return false;
	return rcn_part_plan_part(p, order_no, fallback) == (uint32_t)p->part;
}

uint32_t rcn_part_plan_row_part(const rcn_part_plan *p, const char *order_no, const char *refund_no, const char *txn,
				bool refund)
{
	return rcn_part_plan_part(p, order_no, refund && refund_no && *refund_no ? refund_no : txn);
}

bool rcn_part_plan_keeps_row(const rcn_part_plan *p, const char *order_no, const char *refund_no, const char *txn,
			     bool refund)
{
	return rcn_part_plan_keeps(p, order_no, refund && refund_no && *refund_no ? refund_no : txn);
}
