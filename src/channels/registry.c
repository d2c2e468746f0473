/* The registry of built-in channels: one row per channel. Adding a channel is
 * its parser (src/parse/), its download API (src/fetch/) and a row here; see
 * README "Adding a built-in channel". test_channels checks every row. */
#include <stdio.h>
#include <string.h>

#include "recon/channel.h"

/* <PID>0156_<yyyyMMdd>_业务明细.csv and _业务明细(汇总).csv (FORMATS.md §2) */
static const rcn_archive_layout alipay_trade_zip = {
	"..._业务明细.csv and ..._业务明细(汇总).csv at its top level",
	NULL,
	{{"业务明细", "汇总", NULL, ".csv", RCN_ENTRY_SUMMARY, RCN_FMT_ALIPAY_SUMMARY},
	 {"业务明细", NULL, NULL, ".csv", RCN_ENTRY_DETAIL, RCN_FMT_ALIPAY_TRADE}},
};

/* the same of 账务明细; its 汇总 states no totals recon checks */
static const rcn_archive_layout alipay_account_zip = {
	"..._账务明细.csv and ..._账务明细(汇总).csv at its top level",
	NULL,
	{{"账务明细", "汇总", NULL, ".csv", RCN_ENTRY_KNOWN, RCN_FMT_ALIPAY_SUMMARY},
	 {"账务明细", NULL, NULL, ".csv", RCN_ENTRY_DETAIL, RCN_FMT_ALIPAY_ACCOUNT}},
};

/* INN<yyMMdd>88ZM_<merId>, ...ZME_<merId>, RD..._<merId> (FORMATS.md §3); the
 * ZM file states no totals of its own: without RD nothing vouches for it */
static const rcn_archive_layout unionpay_zip = {
	"INN...ZM_, ...ZME_ and RD... at its top level",
	"archive has no RD summary: the ZM rows cannot be verified",
	{{"ZME_", NULL, NULL, NULL, RCN_ENTRY_EXTRA, RCN_FMT_UNIONPAY_ZME},
	 {"ZM_", NULL, NULL, NULL, RCN_ENTRY_DETAIL, RCN_FMT_UNIONPAY_ZM},
	 {NULL, NULL, "RD", NULL, RCN_ENTRY_SUMMARY, RCN_FMT_UNIONPAY_RD}},
};

/* Each API's credentials (FORMATS.md §1-3), all read from files. */
static const rcn_channel channels[] = {
	{"wechat",
	 {{"trade", RCN_FMT_WECHAT_TRADE, NULL, NULL}, {"fundflow", RCN_FMT_WECHAT_FUNDFLOW, NULL, NULL}},
	 {{"wechat-v3",
	   RCN_API_WECHAT_V3,
	   {"private_key", "cert_serial", "platform_cert"},
	   {"platform_key_id", "max_clock_skew"}},
	  {"wechat-v2", RCN_API_WECHAT_V2, {"app_id", "api_key_file"}, {NULL}}}},
	{"alipay",
	 {{"trade", RCN_FMT_ALIPAY_TRADE, &alipay_trade_zip, NULL},
	  {"account", RCN_FMT_ALIPAY_ACCOUNT, &alipay_account_zip, NULL}},
	 {{"alipay",
	   RCN_API_ALIPAY,
	   {"private_key", "platform_cert", "app_id"},
	   {"bill_hosts", "allow_http_download"}}}},
	{"unionpay",
	 {{"trade", RCN_FMT_UNIONPAY_ZM, &unionpay_zip,
	   "a UnionPay statement is the zip with its RD summary, not a bare file"}},
	 {{"unionpay", RCN_API_UNIONPAY, {"private_key", "cert_serial", "platform_cert"}, {NULL}}}},
};

#define N_CHANNELS (sizeof(channels) / sizeof(channels[0]))

size_t rcn_channel_count(void)
{
	return N_CHANNELS;
}

const rcn_channel *rcn_channel_at(size_t i)
{
	return i < N_CHANNELS ? &channels[i] : NULL;
}

const rcn_channel *rcn_channel_find(const char *name)
{
	for (size_t i = 0; name && i < N_CHANNELS; i++)
		if (strcmp(channels[i].name, name) == 0)
			return &channels[i];
	return NULL;
}

const rcn_bill *rcn_channel_bill(const rcn_channel *c, const char *bill)
{
	if (!bill)
		bill = RCN_BILL_DEFAULT;
	for (size_t i = 0; i < RCN_CHANNEL_MAX_BILLS && c->bills[i].name; i++)
		if (strcmp(c->bills[i].name, bill) == 0)
			return &c->bills[i];
	return NULL;
}

const rcn_api_info *rcn_channel_api_find(const char *api, const rcn_channel **owner)
{
	for (size_t i = 0; api && i < N_CHANNELS; i++)
		for (size_t j = 0; j < RCN_CHANNEL_MAX_APIS && channels[i].apis[j].name; j++)
			if (strcmp(channels[i].apis[j].name, api) == 0) {
				if (owner)
					*owner = &channels[i];
				return &channels[i].apis[j];
			}
	return NULL;
}

/* The names of one list, in registry order, each once. */
static size_t names_of(const char **out, size_t cap, rcn_channel_list_what what)
{
	size_t n = 0;
	for (size_t i = 0; i < N_CHANNELS; i++) {
		const char *row[RCN_CHANNEL_MAX_BILLS + RCN_CHANNEL_MAX_APIS];
		size_t k = 0;
		if (what == RCN_LIST_CHANNELS)
			row[k++] = channels[i].name;
		for (size_t j = 0; what == RCN_LIST_BILLS && j < RCN_CHANNEL_MAX_BILLS && channels[i].bills[j].name;
		     j++)
			row[k++] = channels[i].bills[j].name;
		for (size_t j = 0; what == RCN_LIST_APIS && j < RCN_CHANNEL_MAX_APIS && channels[i].apis[j].name; j++)
			row[k++] = channels[i].apis[j].name;
		for (size_t j = 0; j < k; j++) {
			bool seen = false;
			for (size_t m = 0; m < n; m++)
				seen = seen || strcmp(out[m], row[j]) == 0;
			if (!seen && n < cap)
				out[n++] = row[j];
		}
	}
	return n;
}

void rcn_channel_list(char *out, size_t cap, rcn_channel_list_what what, const char *last)
{
	const char *names[N_CHANNELS * (RCN_CHANNEL_MAX_BILLS + RCN_CHANNEL_MAX_APIS)];
	size_t n = names_of(names, sizeof(names) / sizeof(names[0]), what), used = 0;
	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? last : ", ";
		int w = snprintf(out + used, cap - used, "%s%s", sep, names[i]);
		used += w > 0 ? (size_t)w : 0;
	}
}
