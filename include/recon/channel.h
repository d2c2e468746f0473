/* channel: the registry of built-in channels, one row each (src/channels/registry.c):
 * its name, the bills it publishes and the statement format of each, how a
 * zip of the bill is laid out, its download APIs and the [source] keys each
 * needs. Plain data that depends on nothing, so every stage reads the same
 * row: config validation, `recon check`, the parser (a format id indexes the
 * parsers' ops table in src/parse/parser.c), the fetcher (an API id indexes
 * the download functions in src/fetch/fetch.c). A channel name the registry
 * does not hold is a profile: rules/channels/<name>.conf (FORMATS.md §4). */
#ifndef RECON_CHANNEL_H
#define RECON_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

/* The statement formats recon reads. One file (or archive entry) is one format. */
typedef enum {
	RCN_FMT_WECHAT_TRADE,	 /* WeChat trade bill (FORMATS.md §1) */
	RCN_FMT_WECHAT_FUNDFLOW, /* WeChat fund-flow bill: movements */
	RCN_FMT_ALIPAY_TRADE,	 /* Alipay 业务明细 (§2), GBK */
	RCN_FMT_ALIPAY_SUMMARY,	 /* Alipay 业务明细(汇总): stated totals only */
	RCN_FMT_ALIPAY_ACCOUNT,	 /* Alipay 账务明细 (signcustomer): movements */
	RCN_FMT_UNIONPAY_ZM,	 /* UnionPay INN...ZM_ transactions (§3), fixed width, GBK */
	RCN_FMT_UNIONPAY_ZME,	 /* UnionPay ...ZME_ exception records */
	RCN_FMT_UNIONPAY_RD,	 /* UnionPay RD... printable summary: stated totals only */
	RCN_FMT_PROFILE,	 /* a rules/channels/<name>.conf profile (§4) */
	RCN_FMT__COUNT
} rcn_format_kind;

/* The download APIs ([source] api = NAME); RCN_API_NONE fetches a location. */
typedef enum {
	RCN_API_NONE,
	RCN_API_WECHAT_V3,
	RCN_API_WECHAT_V2,
	RCN_API_ALIPAY,
	RCN_API_UNIONPAY,
	RCN_API__COUNT
} rcn_api;

/* The part an archive entry plays in its statement. KNOWN: an entry the
 * channel puts there that recon does not read. */
typedef enum {
	RCN_ENTRY_NONE,
	RCN_ENTRY_DETAIL,  /* the rows */
	RCN_ENTRY_SUMMARY, /* stated totals the detail must add up to */
	RCN_ENTRY_EXTRA,   /* more rows reconciled with the detail (UnionPay ZME exceptions) */
	RCN_ENTRY_KNOWN,
	RCN_ENTRY__COUNT
} rcn_entry_role;

/* An entry whose name contains `contains` (and `also`, when set), starts
 * with `prefix` and ends with `suffix` (each when set) plays `role`, read as
 * `format`. A layout's rules are tried in order; the first match wins. */
typedef struct {
	const char *contains, *also, *prefix, *suffix;
	rcn_entry_role role;
	rcn_format_kind format;
} rcn_entry_rule;

#define RCN_LAYOUT_MAX_RULES 4

/* What a zip of a bill holds: its entries at the top level, each role once. */
typedef struct {
	const char *shown;	/* for messages: "INN...ZM_, ...ZME_ and RD... at its top level" */
	const char *no_summary; /* the rejection when the summary entry is missing; NULL: it is optional */
	rcn_entry_rule rules[RCN_LAYOUT_MAX_RULES]; /* ends at the first rule of role RCN_ENTRY_NONE */
} rcn_archive_layout;

typedef struct {
	const char *name;		   /* [source] bill = NAME: "trade", "fundflow", "account" */
	rcn_format_kind format;		   /* of a plain or gzip file */
	const rcn_archive_layout *archive; /* how a zip of the bill is laid out; NULL: never a zip */
	const char *bare_refused;	   /* the rejection of a plain file (only the archive's summary
					    * vouches for the rows), or NULL */
} rcn_bill;

#define RCN_API_MAX_KEYS 6

typedef struct {
	const char *name; /* [source] api = NAME */
	rcn_api id;
	/* [source] keys the API cannot do without, in the order a missing one is reported */
	const char *required[RCN_API_MAX_KEYS];
	/* keys that mean something to this API alone: any other source naming one is refused */
	const char *only[RCN_API_MAX_KEYS];
} rcn_api_info;

#define RCN_CHANNEL_MAX_BILLS 4
#define RCN_CHANNEL_MAX_APIS  4

typedef struct {
	const char *name;			 /* [source] channel = NAME */
	rcn_bill bills[RCN_CHANNEL_MAX_BILLS];	 /* the first is the default; ends at a NULL name */
	rcn_api_info apis[RCN_CHANNEL_MAX_APIS]; /* ends at a NULL name */
} rcn_channel;

/* The one bill a profile channel publishes, and every channel's default. */
#define RCN_BILL_DEFAULT "trade"

/* The built-in channels, in the order messages list them. Borrowed, static. */
size_t rcn_channel_count(void);
const rcn_channel *rcn_channel_at(size_t i);

/* The row of a built-in channel, or NULL: not built in, so a profile. */
const rcn_channel *rcn_channel_find(const char *name);

/* The channel's bill of that name (NULL: the default), or NULL when it has none. */
const rcn_bill *rcn_channel_bill(const rcn_channel *c, const char *bill);

/* The API of that name and, when owner is not NULL, the channel it downloads; NULL if none. */
const rcn_api_info *rcn_channel_api_find(const char *api, const rcn_channel **owner);

/* What a message lists: every built-in channel, every bill name (once), every API. */
typedef enum { RCN_LIST_CHANNELS, RCN_LIST_BILLS, RCN_LIST_APIS } rcn_channel_list_what;

/* Writes the names into out, separated by ", " and the last one by `last`
 * (", " or " or "): "wechat-v3, wechat-v2, alipay or unionpay". */
void rcn_channel_list(char *out, size_t cap, rcn_channel_list_what what, const char *last);

#endif
