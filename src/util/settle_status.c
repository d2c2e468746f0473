/* The settlement statuses' names (see recon/settlement.h), shared by the
 * settlement check, the results store and the reports. Owns nothing. */
#include <string.h>

#include "recon/settlement.h"

static const char *const status_names[] = {"due", "settled", "late", "amount", "missing", "unverified"};
/* the glossary's words (README "Glossary / 术语"), in the same order */
static const char *const status_cn[] = {"待到账", "已到账", "逾期到账", "金额不符", "未到账", "无法核对"};

const char *rcn_settle_status_name(rcn_settle_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

const char *rcn_settle_status_cn(rcn_settle_status s)
{
	return (unsigned)s < sizeof(status_cn) / sizeof(status_cn[0]) ? status_cn[s] : "?";
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
