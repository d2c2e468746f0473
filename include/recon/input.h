/* decode: opens a statement file, detects gzip by its magic bytes, inflates
 * it as a stream with a cap on the inflated size, and digests the raw bytes. */
#ifndef RECON_INPUT_H
#define RECON_INPUT_H

#include <stdio.h>

#include "recon/common.h"

typedef struct rcn_input rcn_input;

#define RCN_INPUT_DEFAULT_MAX ((uint64_t)16 << 30) /* 16 GiB inflated */
/* Past RCN_INPUT_BOMB_FLOOR inflated bytes, more than RCN_INPUT_BOMB_RATIO bytes out per
 * compressed byte in is a gzip bomb (RCN_ELIMIT). */
#define RCN_INPUT_BOMB_FLOOR ((uint64_t)1 << 20)
#define RCN_INPUT_BOMB_RATIO 1000

/* Opens path for reading only when it is a regular file (a symlink to one
 * is one): the open does not block (O_NONBLOCK: a FIFO's open would wait for
 * a writer, a device's read forever), then fstat says what it is and
 * anything else is refused at once, "not a regular file: a FIFO". Every
 * statement file is opened so. Returns NULL with err set (naming `label`). */
FILE *rcn_input_fopen(const char *path, const char *label, rcn_err *err);

/* On success *out is a new reader owned by the caller (rcn_input_close()).
 * max_bytes caps the decoded (inflated) size; 0 means RCN_INPUT_DEFAULT_MAX.
 * path is opened with rcn_input_fopen. */
rcn_rc rcn_input_open(rcn_input **out, const char *path, uint64_t max_bytes, rcn_err *err);
/* The same over data[0..n), which is borrowed and must outlive the reader; label
 * names it in errors ("input" when NULL). */
rcn_rc rcn_input_open_mem(rcn_input **out, const void *data, size_t n, const char *label, uint64_t max_bytes,
			  rcn_err *err);
/* Reads up to n decoded bytes into buf; *got == 0 means end of input.
 * A truncated or corrupt gzip stream, passing max_bytes, or a gzip bomb is an error naming the file. */
rcn_rc rcn_input_read(rcn_input *in, char *buf, size_t n, size_t *got, rcn_err *err);
bool rcn_input_is_gzip(const rcn_input *in);
/* Lower-case hex SHA-256 of the raw (stored) bytes read so far; complete once
 * rcn_input_read has returned end of input. */
void rcn_input_sha256_hex(const rcn_input *in, char out[65]);
uint64_t rcn_input_raw_bytes(const rcn_input *in);
void rcn_input_close(rcn_input *in);

/* Reads `in` ahead on a thread of its own, in chunks of `chunk` bytes, so the
 * caller parses one chunk while the next is inflated. NULL if no thread could
 * be started (read the input directly then). `in` belongs to the reader until
 * rcn_readahead_stop. */
typedef struct rcn_readahead rcn_readahead;
rcn_readahead *rcn_readahead_start(rcn_input *in, size_t chunk);
/* The next chunk in order: *data is valid until the next call; *got == 0 at
 * the end. An input error comes back where rcn_input_read would have given it,
 * and again on every later call. */
rcn_rc rcn_readahead_next(rcn_readahead *ra, const char **data, size_t *got, rcn_err *err);
/* Stops the thread (at once if the end was not reached) and frees the reader. */
void rcn_readahead_stop(rcn_readahead *ra);

#endif
