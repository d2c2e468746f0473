/* libFuzzer target for `recon items import`'s readers: the input as an
 * edited open_items.csv (any charset) or a workbook (zip magic). A refusal
 * says why on one line; every change read has an id and a line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "recon/items.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rcn_item_changes c = {0};
	rcn_err err;
	if (rcn_items_read_mem("fuzz", (const char *)data, size, &c, &err) != RCN_OK) {
		if (err.msg[0] == '\0' || strchr(err.msg, '\n'))
			__builtin_trap(); /* a refusal always says why, on one line */
	} else {
		for (size_t i = 0; i < c.n; i++)
			if (!c.v[i].id || c.v[i].line <= 0 || strcmp(c.v[i].file, "fuzz") != 0)
				__builtin_trap();
	}
	rcn_item_changes_free(&c);
	return 0;
}
