/* libFuzzer target for the gzip/plain input reader over a buffer: reads
 * everything with a read size chosen by the first byte, under a small cap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536];
	static const size_t steps[] = {1, 7, 4096, 65536};
	size_t step = steps[size ? data[size - 1] % 4 : 0];
	uint64_t cap = (uint64_t)8 << 20, total = 0;
	rcn_input *in;
	rcn_err err;
	char sha[65];
	if (rcn_input_open_mem(&in, data, size, "fuzz.gz", cap, &err) != RCN_OK)
		__builtin_trap(); /* opening a buffer cannot fail */
	for (;;) {
		size_t got;
		rcn_rc rc = rcn_input_read(in, buf, step, &got, &err);
		if (rc != RCN_OK) {
			if (err.msg[0] == '\0' || strcmp(err.file, "fuzz.gz") != 0)
				__builtin_trap();
			break;
		}
		if (got == 0)
			break;
		total += got;
		if (got > step || total > cap)
			__builtin_trap();
	}
	rcn_input_sha256_hex(in, sha);
	if (rcn_input_raw_bytes(in) > size || strlen(sha) != 64)
		__builtin_trap();
	rcn_input_close(in);
	return 0;
}
