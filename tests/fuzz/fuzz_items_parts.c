/* libFuzzer target for the night's reader of the unworked items' parts
 * (src/items/parts.c): the input as one part's json. A damaged part is
 * refused on one line; every item read has an id, a key and a known kind,
 * and is open as of its night. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "items/night_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rcn_date night = 20514; /* 2026-03-02 */
	rcn_items_night *n = rcn_items_night_new(night + 1, NULL);
	rcn_err err;
	if (rcn_items_parts_parse(n, night, "0", "2026-03-02 10:00:00+00", (const char *)data, size, &err) != RCN_OK) {
		if (err.msg[0] == '\0' || strchr(err.msg, '\n'))
			__builtin_trap(); /* a refusal always says why, on one line */
	}
	for (size_t i = 0; i < n->list.n; i++) {
		const rcn_open_item *it = &n->list.v[i];
		if (!it->id[0] || !n->st[i].key || it->kind >= RCN_K__COUNT || it->status != RCN_IS_OPEN ||
		    it->first_seen != night || !n->st[i].unworked || it->age_days != 1)
			__builtin_trap();
	}
	rcn_items_night_free(n);
	return 0;
}
