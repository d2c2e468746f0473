/* libFuzzer target for the GBK and UTF-8 stream converters: the input is
 * converted in two chunks split at a point chosen by its first byte, and the
 * result must equal the one-chunk conversion and be valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rcn_rc convert(const char *from, const char *s, size_t n, size_t split, rcn_buf *out)
{
	rcn_charset *c;
	rcn_err err;
	rcn_rc rc = rcn_charset_open(&c, from, &err);
	if (rc != RCN_OK)
		__builtin_trap();
	rc = rcn_charset_convert(c, s, split, out, &err);
	if (rc == RCN_OK)
		rc = rcn_charset_convert(c, s + split, n - split, out, &err);
	if (rc == RCN_OK)
		rc = rcn_charset_finish(c, out, &err);
	if (rc != RCN_OK && err.msg[0] == '\0')
		__builtin_trap();
	rcn_charset_close(c);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *from = data[0] & 0x80 ? "UTF-8" : "GBK";
	const char *s = (const char *)data + 1;
	size_t n = size - 1, split = n ? data[0] % (n + 1) : 0;
	rcn_buf two, one;
	rcn_buf_init(&two, 1 << 20);
	rcn_buf_init(&one, 1 << 20);
	rcn_rc rc2 = convert(from, s, n, split, &two);
	rcn_rc rc1 = convert(from, s, n, 0, &one);
	/* Where the input is cut must not change the outcome. */
	if (rc1 != rc2)
		__builtin_trap();
	if (rc1 == RCN_OK && (one.len != two.len || (one.len && memcmp(one.data, two.data, one.len) != 0) ||
			      !rcn_utf8_valid(one.data ? one.data : "", one.len)))
		__builtin_trap();
	char field[64];
	rcn_err err;
	if (rcn_charset_field(field, sizeof(field), s, n, from, &err) == RCN_OK && strlen(field) >= sizeof(field))
		__builtin_trap();
	rcn_buf_free(&two);
	rcn_buf_free(&one);
	return 0;
}
