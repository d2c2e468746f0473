/* Pieces every handler of the fixture server needs (fixture_server.c and
 * handlers_<channel>.c): where the fixtures and keys are, reading a file,
 * a plain reply, query and form parameters (decoded as any web framework
 * does, and as the sorted "k=v&..." text the gateways sign). Written apart
 * from src/fetch so that a shared bug cannot agree with itself. */
#ifndef RECON_TESTS_FETCH_HANDLERS_UTIL_H
#define RECON_TESTS_FETCH_HANDLERS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture_server.h"
#include "recon/common.h"

/* fixtures/fetch/<rel> of the source tree: FIXTURES_DIR when the build says
 * where it is, else found from this file's own path. */
void fx_fixture_path(char *out, size_t n, const char *rel);
/* <state>/keys/<name>: the keys server.sh made. */
void fx_key_path(char *out, size_t n, const fx_ctx *ctx, const char *name);
/* The first line of keys/<name> without its line end, or "". */
void fx_key_line(char *out, size_t n, const fx_ctx *ctx, const char *name);
/* The whole file (at most 64 MiB), NUL-terminated, owned by the caller
 * (free()), *n its length; NULL when it cannot be opened. */
char *fx_read_file(const char *path, size_t *n);

/* Signs text (RSA-SHA256, base64) into sig with the private key keys/<key_file>;
 * false, with a 500 reply already made, when the key cannot sign. */
bool fx_sign_or_fail(char *sig, size_t n, fx_response *r, const fx_ctx *ctx, const char *key_file, const char *text);

/* A reply of status with Content-Type type and body text. */
void fx_reply_text(fx_response *r, int status, const char *type, const char *text);
/* In scenario "flaky" the gateways' first two requests fail with 500 "busy"
 * (a retry succeeds): true when this one was answered so. */
bool fx_reply_flaky(fx_response *r, const fx_ctx *ctx);
/* The send-then-misbehave body of the transport scenarios: 100 bytes
 * declared, 10 sent, then a stall of stall_s seconds (0: closed at once). */
void fx_reply_cut(fx_response *r, int stall_s);

/* The raw value of query parameter name (not decoded) and its length, or
 * NULL when the query has no such parameter. */
const char *fx_query_find(const char *query, const char *name, size_t *len);

#define FX_MAX_PARAMS 48

typedef struct {
	char *key, *value;
} fx_param;

/* A form: key=value pairs in the order sent, owned (fx_params_free). */
typedef struct {
	fx_param p[FX_MAX_PARAMS];
	size_t n;
} fx_params;

/* Decodes "k=v&..." ('+' is a space, %XX a byte); pairs past FX_MAX_PARAMS are dropped. */
void fx_params_parse(fx_params *ps, const char *s, size_t n);
void fx_params_add(fx_params *ps, const char *key, const char *value);
void fx_params_free(fx_params *ps);
/* The value of key, or NULL. */
const char *fx_params_get(const fx_params *ps, const char *key);
/* Appends "k=v&..." of every parameter with a value but skip, sorted by key:
 * the text Alipay (skip "sign") and UnionPay (skip "signature") sign. */
void fx_params_sorted_text(rcn_buf *out, const fx_params *ps, const char *skip);

#endif
