/* decode: character set conversion to UTF-8 (GBK/GB18030 statements), as a
 * stream that keeps a multibyte sequence split across chunks for the next call. */
#ifndef RECON_CHARSET_H
#define RECON_CHARSET_H

#include "recon/common.h"

typedef struct rcn_charset rcn_charset;

/* from: "GBK", "GB18030" (GBK is read as GB18030, its superset) or "UTF-8"
 * (validated, passed through). On success *out is owned by the caller. */
rcn_rc rcn_charset_open(rcn_charset **out, const char *from, rcn_err *err);
/* Appends the UTF-8 of in[0..n) to out (respecting out->limit: RCN_ELIMIT).
 * An invalid byte sequence is RCN_EFORMAT "invalid GBK byte sequence at byte N"
 * (N counted from the start of the stream); the text before it is appended. */
rcn_rc rcn_charset_convert(rcn_charset *c, const char *in, size_t n, rcn_buf *out, rcn_err *err);
/* End of input: an incomplete trailing sequence is RCN_EFORMAT. */
rcn_rc rcn_charset_finish(rcn_charset *c, rcn_buf *out, rcn_err *err);
void rcn_charset_close(rcn_charset *c);

/* One-shot conversion of a short field (fixed-width files): GB18030 s[0..n)
 * to NUL-terminated UTF-8 in out[cap]. Trailing spaces are kept. */
rcn_rc rcn_charset_field(char *out, size_t cap, const char *s, size_t n, const char *from, rcn_err *err);

/* True if s[0..n) is valid UTF-8. */
bool rcn_utf8_valid(const char *s, size_t n);

#endif
