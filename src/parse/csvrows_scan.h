/* The blocks of plain_line (csvrows.c), written once for every instruction
 * set: csvrows.c includes this file once per set, after defining
 *   SCAN_NAME     the function's name           SCAN_ATTR   its target attribute (or nothing)
 *   SCAN_BYTES    bytes per block (16, 32)      SCAN_VEC    the vector type
 *   SCAN_LOAD(p)  an unaligned load             SCAN_SET1(c) c in every byte
 *   SCAN_EQ(a, b) bytewise ==                   SCAN_MAXU(a, b) bytewise unsigned max
 *   SCAN_OR(a, b), SCAN_ANDNOT(a, b) (~a & b)   SCAN_MASK(v) the high bit of every byte
 * (this file undefines them at its end). Returns 1 at the line's end, -1 when the line is
 * not plain, 0 when the blocks ran out (*at past them). */
SCAN_ATTR static int SCAN_NAME(const char *s, size_t len, size_t *at, uint32_t *cut, size_t *k, size_t *end,
			       size_t *body, hi_span *hi)
{
	const SCAN_VEC comma = SCAN_SET1(','), quote = SCAN_SET1('"'), c1f = SCAN_SET1(0x1F), tab = SCAN_SET1('\t'),
		       del = SCAN_SET1(0x7F);
	size_t i = *at;
	for (; i + SCAN_BYTES <= len; i += SCAN_BYTES) {
		SCAN_VEC v = SCAN_LOAD(s + i);
		/* a quote, a C0 byte but TAB (CR and LF among them), or DEL */
		SCAN_VEC c0 = SCAN_ANDNOT(SCAN_EQ(v, tab), SCAN_EQ(SCAN_MAXU(v, c1f), c1f));
		unsigned odd = (unsigned)SCAN_MASK(SCAN_OR(SCAN_OR(SCAN_EQ(v, quote), c0), SCAN_EQ(v, del)));
		unsigned commas = (unsigned)SCAN_MASK(SCAN_EQ(v, comma));
		unsigned high = (unsigned)SCAN_MASK(v);
		if (odd) {
			unsigned p = (unsigned)__builtin_ctz(odd);
			note_high(hi, i, high & ((1u << p) - 1));
			if (!add_cuts(cut, k, i, commas & ((1u << p) - 1)))
				return -1;
			return plain_end(s, i + p, len, end, body) ? 1 : -1;
		}
		note_high(hi, i, high);
		if (!add_cuts(cut, k, i, commas))
			return -1;
	}
	*at = i;
	return 0;
}

#undef SCAN_NAME
#undef SCAN_ATTR
#undef SCAN_BYTES
#undef SCAN_VEC
#undef SCAN_LOAD
#undef SCAN_SET1
#undef SCAN_EQ
#undef SCAN_MAXU
#undef SCAN_OR
#undef SCAN_ANDNOT
#undef SCAN_MASK
