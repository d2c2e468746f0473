/* The settlement statuses' names (see recon/settlement.h), shared by the
 * settlement check, the results store and the reports. Owns nothing. */
#include <string.h>

#include "recon/settlement.h"

static const char *const status_names[] = {"due", "settled", "late", "amount", "missing", "unverified"};

const char *rcn_settle_status_name(rcn_settle_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

bool rcn_settle_status_parse(const char *s, rcn_settle_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (rcn_settle_status)i;
			return true;
		}
	return false;
}
