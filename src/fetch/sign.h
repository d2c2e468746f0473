/* fetch: keys and signatures (OpenSSL) for the channel APIs. */
#ifndef RECON_FETCH_SIGN_H
#define RECON_FETCH_SIGN_H

#include "recon/common.h"

typedef struct rcn_key rcn_key;

/* Loads a PEM private key. Refuses a file readable by group or others
 * ("private key FILE is readable by group or others (mode 0644): chmod 600 it"). */
rcn_rc rcn_key_load_private(rcn_key **out, const char *path, rcn_err *err);
/* Loads a PEM public key or X.509 certificate (its public key). */
rcn_rc rcn_key_load_public(rcn_key **out, const char *path, rcn_err *err);
/* The same, and serial[0..n) gets the certificate's serial number in
 * upper-case hex ("" when the file holds a bare public key). */
rcn_rc rcn_key_load_public_serial(rcn_key **out, char *serial, size_t n, const char *path, rcn_err *err);
void rcn_key_free(rcn_key *k);
/* Reads a one-line secret (API key) from a file, refusing group/other-readable files. */
rcn_rc rcn_secret_load(char *out, size_t n, const char *path, rcn_err *err);

/* RSA-SHA256 (PKCS#1 v1.5) signature of data, base64 into out. */
rcn_rc rcn_sign_rsa_sha256(char *out, size_t n, const rcn_key *key, const void *data, size_t len, rcn_err *err);
/* Verifies a base64 RSA-SHA256 signature; RCN_EFORMAT "signature does not verify" when wrong. */
rcn_rc rcn_verify_rsa_sha256(const rcn_key *key, const void *data, size_t len, const char *sig_b64, rcn_err *err);

/* SHA-1 over a stream: new, update..., final (which frees the context). */
typedef struct rcn_sha1 rcn_sha1;
rcn_sha1 *rcn_sha1_new(void);
void rcn_sha1_update(rcn_sha1 *c, const void *data, size_t len);
void rcn_sha1_final_hex(rcn_sha1 *c, char out[41]);
/* Digests as lower-case hex, HMAC-SHA256 and MD5 as upper-case hex (WeChat v2). */
void rcn_sha256_hex(char out[65], const void *data, size_t len);
void rcn_md5_upper_hex(char out[33], const void *data, size_t len);
void rcn_hmac_sha256_upper_hex(char out[65], const char *key, const void *data, size_t len);

/* Base64 (standard alphabet, padded). decode returns RCN_EFORMAT on bad input. */
rcn_rc rcn_base64_encode(rcn_buf *out, const void *data, size_t len);
rcn_rc rcn_base64_decode(rcn_buf *out, const char *b64, size_t len, rcn_err *err);
/* Random alphanumeric nonce of n-1 characters. */
void rcn_nonce(char *out, size_t n);

#endif
