/* Passwords kept as PBKDF2-HMAC-SHA256 hashes (recon/auth.h): OpenSSL's
 * PKCS5_PBKDF2_HMAC and RAND_bytes, the stored form self-describing (its
 * iterations and salt in it) so that the count can be raised later without
 * locking anyone out. */
#include "recon/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/text.h"

enum { SALT = 16, HASH = 32 };
/* A stored form claiming more iterations than this is not ours (and would
 * make every login attempt against it cost minutes). */
#define ITERATIONS_MAX 10000000u
#define PREFIX	       "pbkdf2-sha256$"

bool rcn_pbkdf2_sha256(const char *password, size_t len, const unsigned char *salt, size_t salt_len,
		       unsigned iterations, unsigned char out[32])
{
	if (len > RCN_PASSWORD_MAX || salt_len > 64 || iterations == 0 || iterations > ITERATIONS_MAX)
		return false;
	return PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)salt_len, (int)iterations, EVP_sha256(), HASH, out) ==
	       1;
}

/* n bytes from exactly 2n lowercase hex digits at s, up to end. */
static bool unhex(unsigned char *out, size_t n, const char *s, const char *end)
{
	if ((size_t)(end - s) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return true;
}

rcn_rc rcn_password_hash(const char *password, char out[RCN_PASSWORD_HASH_MAX], rcn_err *err)
{
	size_t len = strlen(password);
	out[0] = '\0';
	if (len < RCN_PASSWORD_MIN)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "the password is too short: at least %d characters",
				   RCN_PASSWORD_MIN);
	if (len > RCN_PASSWORD_MAX)
		return rcn_err_set(err, RCN_EUSAGE, NULL, 0, "the password is too long: at most %d characters",
				   RCN_PASSWORD_MAX);
	unsigned char salt[SALT], hash[HASH];
	if (RAND_bytes(salt, SALT) != 1)
		return rcn_err_set(err, RCN_EIO, NULL, 0, "no random salt could be had from OpenSSL");
	if (!rcn_pbkdf2_sha256(password, len, salt, SALT, RCN_PASSWORD_ITERATIONS, hash))
		return rcn_err_set(err, RCN_EIO, NULL, 0, "OpenSSL could not hash the password");
	char salt_hex[2 * SALT + 1], hash_hex[2 * HASH + 1];
	rcn_hex(salt_hex, salt, SALT);
	rcn_hex(hash_hex, hash, HASH);
	OPENSSL_cleanse(hash, sizeof hash);
	snprintf(out, RCN_PASSWORD_HASH_MAX, PREFIX "%u$%s$%s", (unsigned)RCN_PASSWORD_ITERATIONS, salt_hex, hash_hex);
	return RCN_OK;
}

bool rcn_password_verify(const char *password, const char *stored)
{
	if (!password || !stored || strncmp(stored, PREFIX, strlen(PREFIX)) != 0)
		return false;
	const char *p = stored + strlen(PREFIX), *d1 = strchr(p, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
	if (!d1 || !d2 || d1 == p || d1 - p > 8)
		return false;
	unsigned iterations = 0;
	for (const char *q = p; q < d1; q++) {
		if (*q < '0' || *q > '9')
			return false;
		iterations = iterations * 10 + (unsigned)(*q - '0');
	}
	unsigned char salt[SALT], want[HASH], got[HASH];
	if (!unhex(salt, SALT, d1 + 1, d2) || !unhex(want, HASH, d2 + 1, d2 + 1 + strlen(d2 + 1)))
		return false;
	if (!rcn_pbkdf2_sha256(password, strlen(password), salt, SALT, iterations, got))
		return false;
	bool same = CRYPTO_memcmp(got, want, HASH) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return same;
}
