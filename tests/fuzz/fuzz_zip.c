/* libFuzzer target for the zip reader: opens the input as an archive with
 * small limits and streams every entry to a sink that only counts, so every
 * refusal path and the inflate loop run without the cost of big outputs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rcn_rc count_sink(void *ctx, const char *buf, size_t n, rcn_err *err)
{
	(void)err;
	uint64_t *total = ctx;
	if (n == 0 || n > (size_t)64 * 1024 || buf == NULL)
		__builtin_trap(); /* chunks are never empty nor above 64 KiB */
	*total += (unsigned char)buf[0] + (unsigned char)buf[n - 1] + n;
	return RCN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const rcn_zip_limits lim = {16, (uint64_t)4 << 20, (uint64_t)8 << 20, 1000};
	rcn_zip *z;
	rcn_err err;
	if (rcn_zip_open_mem(&z, data, size, "fuzz.zip", &lim, &err) != RCN_OK) {
		if (err.msg[0] == '\0' || strchr(err.msg, '\n'))
			__builtin_trap(); /* a refusal always says why, on one line */
		return 0;
	}
	for (size_t i = 0; i < rcn_zip_count(z); i++) {
		const rcn_zip_entry *e = rcn_zip_entry_at(z, i);
		uint64_t total = 0;
		if (strlen(e->name) > 4 * 65535 || (e->method != 0 && e->method != 8))
			__builtin_trap();
		if (rcn_zip_read(z, i, count_sink, &total, &err) != RCN_OK && err.msg[0] == '\0')
			__builtin_trap();
	}
	rcn_zip_close(z);
	return 0;
}
