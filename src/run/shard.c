/* What a sharded night's processes must agree on (recon run --shard,
 * recon merge): the digests of their inputs and configuration, and the
 * packing of a shard's outcome (zlib, with its length in front). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "run/night.h"

static void hex(const unsigned char *d, unsigned n, char out[65])
{
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void hash_file(EVP_MD_CTX *md, const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t got;
	(void)EVP_DigestUpdate(md, path, strlen(path) + 1);
	if (!f) {
		(void)EVP_DigestUpdate(md, "-", 1);
		return;
	}
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		(void)EVP_DigestUpdate(md, buf, got);
	fclose(f);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir and its subdirectories, in name order. */
static void hash_dir(EVP_MD_CTX *md, const char *dir, int depth)
{
	DIR *d = depth < 4 ? opendir(dir) : NULL;
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		rcn_xreserve((void **)&names, &cap, n + 1, sizeof(*names));
		names[n++] = rcn_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			hash_dir(md, path, depth + 1);
		else if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			hash_file(md, path);
		free(names[i]);
	}
	free(names);
}

void rcn_run_config_digest(const rcn_config *cfg, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char rules[4096];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	out[0] = '\0';
	if (!md)
		return;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		hash_file(md, cfg->path);
		rcn_config_resolve(rules, sizeof(rules), cfg->rules_dir, cfg->dir);
		hash_dir(md, rules, 0);
		if (EVP_DigestFinal_ex(md, d, &len) == 1)
			hex(d, len, out);
	}
	EVP_MD_CTX_free(md);
}

void rcn_run_inputs_digest(const rcn_run_input *in, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	out[0] = '\0';
	if (!md)
		return;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		for (size_t i = 0; i < n; i++) {
			const char *name = in[i].source ? in[i].source : "";
			(void)EVP_DigestUpdate(md, name, strlen(name) + 1);
			(void)EVP_DigestUpdate(md, in[i].sha256, strlen(in[i].sha256) + 1);
		}
		if (EVP_DigestFinal_ex(md, d, &len) == 1)
			hex(d, len, out);
	}
	EVP_MD_CTX_free(md);
}

unsigned char *rcn_run_pack(const rcn_buf *b, size_t *n)
{
	uLongf bound = compressBound((uLong)b->len);
	unsigned char *out = rcn_xmalloc(8 + bound);
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)((uint64_t)b->len >> (8 * i));
	if (compress2(out + 8, &bound, (const Bytef *)(b->data ? b->data : ""), (uLong)b->len, 1) != Z_OK) {
		free(out);
		return NULL;
	}
	*n = 8 + bound;
	return out;
}

unsigned char *rcn_run_unpack(const unsigned char *p, size_t n, size_t *out_n)
{
	if (!p || n < 8)
		return NULL;
	uint64_t len = 0;
	for (int i = 0; i < 8; i++)
		len |= (uint64_t)p[i] << (8 * i);
	/* deflate packs at most 1032 to 1: a length past that is a damaged header, not a reason to allocate it */
	if (len > ((uint64_t)1 << 34) || len > (uint64_t)(n - 8) * 1032 + 64)
		return NULL;
	unsigned char *out = rcn_xmalloc((size_t)len + 1);
	uLongf got = (uLongf)len;
	if (uncompress(out, &got, p + 8, (uLong)(n - 8)) != Z_OK || got != len) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	*out_n = (size_t)len;
	return out;
}
