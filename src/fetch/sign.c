/* Keys, signatures, digests and base64 for the channel APIs (OpenSSL EVP).
 * Owns the key objects; never logs or returns key material in messages. */
#include "fetch/sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

struct rcn_key {
	EVP_PKEY *pkey;
};

/* Secrets live in files only their owner can read: opens path (*f) once
 * that holds. */
static rcn_rc open_private(FILE **f, const char *path, const char *what, rcn_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read %s: %s", what, strerror(errno));
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return rcn_err_set(err, RCN_EUSAGE, path, 0,
				   "%s is readable by group or others (mode %04o): chmod 600 it", what,
				   (unsigned)(st.st_mode & 07777));
	*f = fopen(path, "r");
	if (!*f)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read %s: %s", what, strerror(errno));
	return RCN_OK;
}

/* A key read from path (OpenSSL's error queue cleared), or the message when none was read. */
static rcn_rc key_of(rcn_key **out, EVP_PKEY *pkey, const char *path, const char *none, rcn_err *err)
{
	ERR_clear_error();
	if (!pkey)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "%s", none);
	*out = rcn_xcalloc(1, sizeof(**out));
	(*out)->pkey = pkey;
	return RCN_OK;
}

rcn_rc rcn_key_load_private(rcn_key **out, const char *path, rcn_err *err)
{
	FILE *f;
	rcn_rc rc = open_private(&f, path, "private key", err);
	if (rc)
		return rc;
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return key_of(out, pkey, path, "not a PEM private key", err);
}

rcn_rc rcn_key_load_public_serial(rcn_key **out, char *serial, size_t n, const char *path, rcn_err *err)
{
	if (n)
		serial[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "cannot read certificate: %s", strerror(errno));
	EVP_PKEY *pkey = NULL;
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (cert) {
		pkey = X509_get_pubkey(cert);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		if (hex && n)
			snprintf(serial, n, "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
		X509_free(cert);
	} else {
		rewind(f);
		pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	}
	fclose(f);
	return key_of(out, pkey, path, "not a PEM certificate or public key", err);
}

rcn_rc rcn_key_load_public(rcn_key **out, const char *path, rcn_err *err)
{
	char serial[1];
	return rcn_key_load_public_serial(out, serial, sizeof(serial), path, err);
}

void rcn_key_free(rcn_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

rcn_rc rcn_secret_load(char *out, size_t n, const char *path, rcn_err *err)
{
	FILE *f;
	rcn_rc rc = open_private(&f, path, "API key file", err);
	if (rc)
		return rc;
	bool ok = fgets(out, (int)n, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	if (!ok || !out[0])
		return rcn_err_set(err, RCN_EUSAGE, path, 0, "API key file is empty");
	return RCN_OK;
}

rcn_rc rcn_sign_rsa_sha256(char *out, size_t n, const rcn_key *key, const void *data, size_t len, rcn_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	rcn_rc rc = RCN_OK;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, data, len) != 1) {
		ERR_clear_error();
		rc = rcn_err_set(err, RCN_EUSAGE, "", 0, "cannot sign with the private key (is it an RSA key?)");
	}
	EVP_MD_CTX_free(md);
	if (rc)
		return rc;
	rcn_buf b;
	rcn_buf_init(&b, n ? n - 1 : 0);
	rc = rcn_base64_encode(&b, sig, siglen);
	if (rc == RCN_OK)
		memcpy(out, b.data, b.len + 1);
	else
		rc = rcn_err_set(err, RCN_ELIMIT, "", 0, "signature does not fit its buffer");
	rcn_buf_free(&b);
	return rc;
}

rcn_rc rcn_verify_rsa_sha256(const rcn_key *key, const void *data, size_t len, const char *sig_b64, rcn_err *err)
{
	rcn_buf sig;
	rcn_buf_init(&sig, 4096);
	rcn_rc rc = rcn_base64_decode(&sig, sig_b64, strlen(sig_b64), err);
	if (rc == RCN_OK) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
			 EVP_DigestVerify(md, (const unsigned char *)sig.data, sig.len, data, len) == 1;
		EVP_MD_CTX_free(md);
		ERR_clear_error();
		if (!ok)
			rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "signature does not verify");
	}
	rcn_buf_free(&sig);
	return rc;
}

static void hex(char *out, const unsigned char *d, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void digest_hex(char *out, const EVP_MD *type, const void *data, size_t len, bool upper)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data, len, d, &n, type, NULL);
	hex(out, d, n, upper);
}

struct rcn_sha1 {
	EVP_MD_CTX *md;
};

rcn_sha1 *rcn_sha1_new(void)
{
	rcn_sha1 *c = rcn_xcalloc(1, sizeof(*c));
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha1(), NULL) != 1)
		abort(); /* the digest is in every OpenSSL: only memory can fail here */
	return c;
}

void rcn_sha1_update(rcn_sha1 *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->md, data, len);
}

void rcn_sha1_final_hex(rcn_sha1 *c, char out[41])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(c->md, d, &n);
	hex(out, d, n, false);
	EVP_MD_CTX_free(c->md);
	free(c);
}

void rcn_sha256_hex(char out[65], const void *data, size_t len)
{
	digest_hex(out, EVP_sha256(), data, len, false);
}

void rcn_md5_upper_hex(char out[33], const void *data, size_t len)
{
	digest_hex(out, EVP_md5(), data, len, true);
}

void rcn_hmac_sha256_upper_hex(char out[65], const char *key, const void *data, size_t len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), data, len, d, &n);
	hex(out, d, n, true);
}

rcn_rc rcn_base64_encode(rcn_buf *out, const void *data, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	char *tmp = rcn_xmalloc(need + 1);
	int n = EVP_EncodeBlock((unsigned char *)tmp, data, (int)len);
	rcn_rc rc = rcn_buf_append(out, tmp, (size_t)n);
	free(tmp);
	return rc;
}

rcn_rc rcn_base64_decode(rcn_buf *out, const char *b64, size_t len, rcn_err *err)
{
	/* EVP_DecodeBlock wants no whitespace and a multiple of 4; strip line breaks first */
	char *clean = rcn_xmalloc(len + 1);
	size_t m = 0;
	for (size_t i = 0; i < len; i++)
		if (b64[i] != '\n' && b64[i] != '\r' && b64[i] != ' ')
			clean[m++] = b64[i];
	rcn_rc rc = RCN_OK;
	if (m % 4 != 0) {
		rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "invalid base64 (length %zu)", m);
	} else if (m) {
		unsigned char *bin = rcn_xmalloc(m);
		int n = EVP_DecodeBlock(bin, (unsigned char *)clean, (int)m);
		if (n < 0) {
			rc = rcn_err_set(err, RCN_EFORMAT, "", 0, "invalid base64");
		} else {
			size_t pad = (size_t)(clean[m - 1] == '=') + (size_t)(m > 1 && clean[m - 2] == '=');
			if (rcn_buf_append(out, bin, (size_t)n - pad))
				rc = rcn_err_set(err, RCN_ELIMIT, "", 0, "decoded base64 exceeds %zu bytes",
						 out->limit);
		}
		free(bin);
	}
	free(clean);
	return rc;
}

void rcn_nonce(char *out, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[64];
	if (!n)
		return;
	size_t want = n - 1 < sizeof(r) ? n - 1 : sizeof(r);
	if (RAND_bytes(r, (int)want) != 1)
		abort(); /* no randomness: nothing safe to sign with */
	for (size_t i = 0; i < want; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[want] = '\0';
}
