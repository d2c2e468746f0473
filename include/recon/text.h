/* Untrusted text in messages: quoting bytes from a statement (or any input)
 * so that what reaches a terminal, a CSV cell, a page or the database is
 * valid UTF-8 with no control character in it, and UTF-8 checks for the
 * parsers' hot paths. */
#ifndef RECON_TEXT_H
#define RECON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "recon/common.h"

/* How many input bytes a message quotes, and a buffer that always holds them. */
#define RCN_QUOTE_MAX 60
#define RCN_QUOTE_BUF (4 * RCN_QUOTE_MAX + 16)

/* s[0..n) for a message, into out[cap] (NUL-terminated; returns out): at
 * most max input bytes, cut on a character boundary with "..." after it;
 * control characters (C0, DEL, C1), Unicode line separators and bidi
 * overrides and a backslash are escaped (\x1b, \u202e, \\), and bytes that
 * are not UTF-8 are shown as \xNN. Every message that quotes input uses it. */
const char *rcn_quote(char *out, size_t cap, const char *s, size_t n, size_t max);
/* rcn_quote of s[0..n) into a buffer that lives to the end of the enclosing
 * block, for a printf argument: "bad value \"%s\"", RCN_QUOTE(s, n). */
#define RCN_QUOTE(s, n) rcn_quote((char[RCN_QUOTE_BUF]){0}, RCN_QUOTE_BUF, (s), (n), RCN_QUOTE_MAX)

/* The offset of the first byte of s[0..n) that does not belong to a valid
 * UTF-8 character (an incomplete one at the end counts), or n: ASCII is
 * skipped eight bytes at a time. */
size_t rcn_utf8_check(const char *s, size_t n);

/* Why rcn_text_check stopped. */
typedef enum {
	RCN_TEXT_OK,
	RCN_TEXT_NUL,	  /* a NUL byte */
	RCN_TEXT_CONTROL, /* a control character: C0 but TAB, CR and LF; DEL; C1 (U+0080-U+009F) */
	RCN_TEXT_INVALID  /* bytes that are not UTF-8 */
} rcn_text_fault;

/* The offset of the first byte of s[0..n) that is not statement text, or n
 * (*fault RCN_TEXT_OK): valid UTF-8 without NUL or control characters (TAB,
 * CR and LF pass: padding and quoted line breaks). Terminal escapes (ESC,
 * BEL, CSI) are never a channel's data; reports and Excel must not carry
 * them. ASCII is skipped eight bytes at a time. */
size_t rcn_text_check(const char *s, size_t n, rcn_text_fault *fault);
/* "a NUL byte", "a control character", "invalid UTF-8" (for messages). */
const char *rcn_text_fault_name(rcn_text_fault fault);

/* s as a JSON string, quotes included, appended to b: '"' and '\\' escaped,
 * LF, CR and TAB by name, other control characters (C0, DEL) as \u00XX,
 * bytes that are not UTF-8 as \ufffd, so the text is always valid JSON;
 * NULL as null. Returns rcn_buf_append's first failure (the buffer's limit). */
rcn_rc rcn_json_put(rcn_buf *b, const char *s);

/* Cuts a NUL-terminated string before an incomplete UTF-8 sequence at its
 * end (what a snprintf into a fixed buffer can leave behind). */
void rcn_utf8_trim_tail(char *s);

/* The n bytes at p as 2n lowercase hex digits and a NUL (out: 2n + 1). */
void rcn_hex(char *out, const void *p, size_t n);

#endif
