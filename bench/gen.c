/* recon-bench-gen: a WeChat ALL bill (gzip) of N rows with the matching
 * ledger, ~5% injected discrepancies and their expected counts.
 *
 *   recon-bench-gen --rows N --date YYYY-MM-DD --seed S --out DIR
 *
 * Writes DIR/bill_<yyyymmdd>.csv.gz, DIR/orders.csv, DIR/refunds.csv,
 * DIR/recon.conf and DIR/expected.txt. Streams: constant memory at any N.
 * The same arguments give the same bytes.
 *
 * N counts logical orders; the bill has N rows, plus one per DOUBLE_CHARGE and
 * DUPLICATE_RECORD, minus one per SHORT_PAYMENT missing. expected.txt gives the
 * counts recon must report for this single night with carry_over_days = 3 on a
 * fresh database: the two "missing" kinds are pending that night, not findings. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define MERCHANT_ID "1900000109"
#define APP_ID	    "wx2421b1c4370ec43b"

enum kind {
	K_NORMAL,
	K_SHORT_AMOUNT,	 /* ledger amount higher than the channel's */
	K_OVER_AMOUNT,	 /* ledger amount lower */
	K_OVER_MISSING,	 /* in the bill, no ledger order: pending tonight */
	K_SHORT_MISSING, /* ledger order paid, not in the bill: pending tonight */
	K_LOST_CALLBACK, /* ledger CREATED, channel charged */
	K_DOUBLE_CHARGE, /* a second transaction for the same order */
	K_DUPLICATE,	 /* the same row listed twice */
	K_FEE,		 /* fee off by 0.01 */
	K_COUNT
};

static uint64_t rng_state;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "recon-bench-gen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static void usage(void)
{
	fputs("usage: recon-bench-gen --rows N --date YYYY-MM-DD --seed S --out DIR\n", stderr);
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		die("bad number for", what);
	return (uint64_t)v;
}

static bool valid_date(const char *d)
{
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
			return false;
	int m = (d[5] - '0') * 10 + (d[6] - '0');
	int day = (d[8] - '0') * 10 + (d[9] - '0');
	return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

/* Yuan with 2 decimals from fen. */
static int fmt_yuan(char *buf, size_t n, int64_t fen)
{
	const char *sign = fen < 0 ? "-" : "";
	int64_t a = fen < 0 ? -fen : fen;
	return snprintf(buf, n, "%s%" PRId64 ".%02" PRId64, sign, a / 100, a % 100);
}

/* WeChat writes fees with 5 decimals; ours are whole fen. */
static int fmt_fee(char *buf, size_t n, int64_t fen)
{
	const char *sign = fen < 0 ? "-" : "";
	int64_t a = fen < 0 ? -fen : fen;
	return snprintf(buf, n, "%s%" PRId64 ".%02" PRId64 "000", sign, a / 100, a % 100);
}

/* 0.60% of the amount, rounded half up to the fen. */
static int64_t fee_of(int64_t fen)
{
	return (fen * 6 + 500) / 1000;
}

/* Amounts 0.01-5000.00, most of them small, as in real trade. */
static int64_t rnd_amount(void)
{
	uint64_t tier = rnd_below(10);
	if (tier < 6)
		return (int64_t)(1 + rnd_below(10000));
	if (tier < 9)
		return (int64_t)(1 + rnd_below(100000));
	return (int64_t)(1 + rnd_below(500000));
}

static void hhmmss(char *buf, size_t n, const char *date, long secs)
{
	snprintf(buf, n, "%s %02ld:%02ld:%02ld", date, secs / 3600, secs / 60 % 60, secs % 60);
}

typedef struct {
	gzFile gz;
	const char *path;
	uint64_t rows;
	int64_t amount_fen;
	int64_t fee_fen;
} bill;

static const char *const trade_types[] = {"JSAPI", "NATIVE", "APP", "MWEB", "MICROPAY"};
static const char *const banks[] = {"CMB_DEBIT", "ICBC_DEBIT", "CCB_CREDIT", "ABC_DEBIT", "BOC_CREDIT", "OTHERS"};
static const char *const goods[] = {"会员充值", "商品订单", "外卖订单", "电影票", "停车缴费", "话费充值"};

static void bill_row(bill *b, const char *time, const char *txn, const char *order_no, const char *openid,
		     unsigned variant, int64_t fen, int64_t fee)
{
	char amt[32], feebuf[32], line[1024];
	fmt_yuan(amt, sizeof(amt), fen);
	fmt_fee(feebuf, sizeof(feebuf), fee);
	int len = snprintf(line, sizeof(line),
			   "`%s,`" APP_ID ",`" MERCHANT_ID ",`0,`,`%s,`%s,`%s,`%s,`SUCCESS,`%s,`CNY,`%s,`0.00,"
			   "`0,`0,`0.00,`0.00,`,`,`%s,`%s,`%s,`0.60%%,`%s,`0.00,`\n",
			   time, txn, order_no, openid, trade_types[variant % 5], banks[variant % 6], amt,
			   goods[variant % 6], (variant & 1) ? "" : "bench", feebuf, amt);
	if (len <= 0 || (size_t)len >= sizeof(line))
		die("row too long", NULL);
	if (gzwrite(b->gz, line, (unsigned)len) != len)
		die("cannot write", b->path);
	b->rows++;
	b->amount_fen += fen;
	b->fee_fen += fee;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot create", path);
	return f;
}

static void close_out(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f) != 0)
		die("cannot write", path);
}

int main(int argc, char **argv)
{
	uint64_t rows = 0, seed = 0;
	const char *date = NULL, *out = NULL;
	bool have_rows = false, have_seed = false;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--rows") == 0) {
			rows = parse_u64(argv[++i], "--rows");
			have_rows = true;
		} else if (strcmp(argv[i], "--seed") == 0) {
			seed = parse_u64(argv[++i], "--seed");
			have_seed = true;
		} else if (strcmp(argv[i], "--date") == 0) {
			date = argv[++i];
		} else if (strcmp(argv[i], "--out") == 0) {
			out = argv[++i];
		} else {
			usage();
		}
	}
	if (!have_rows || !have_seed || !date || !out)
		usage();
	if (!valid_date(date))
		die("bad --date (YYYY-MM-DD)", date);
	if (rows == 0 || rows > 1000000000ULL)
		die("--rows must be 1..1000000000", NULL);
	if (mkdir(out, 0777) != 0 && errno != EEXIST)
		die("cannot create", out);

	char ymd[9];
	snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", date, date + 5, date + 8);
	rng_state = seed ^ 0x5265636F6E42656EULL; /* "ReconBen" */

	char bill_name[64], path[4096], orders_path[4096];
	snprintf(bill_name, sizeof(bill_name), "bill_%s.csv.gz", ymd);
	bill b = {0};
	snprintf(path, sizeof(path), "%s/%s", out, bill_name);
	b.path = path;
	b.gz = gzopen(path, "wb6");
	if (!b.gz)
		die("cannot create", path);
	gzbuffer(b.gz, 1u << 20);
	static const char header[] =
		"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
		"付款银行,"
		"货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
		"商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n";
	if (gzwrite(b.gz, header, (unsigned)(sizeof(header) - 1)) != (int)(sizeof(header) - 1))
		die("cannot write", path);

	FILE *orders = open_out(out, "orders.csv", orders_path, sizeof(orders_path));
	static char obuf[1 << 20];
	setvbuf(orders, obuf, _IOFBF, sizeof(obuf));
	fputs("order_no,merchant_id,channel,channel_txn_id,amount_fen,currency,status,created_at,paid_at,contract_id\n",
	      orders);

	uint64_t count[K_COUNT] = {0};
	unsigned fee_flip = 0;
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (uint64_t i = 0; i < rows; i++) {
		/* ~5% discrepancies, the kind drawn evenly from the eight. */
		enum kind k = K_NORMAL;
		if (rnd_below(1000) < 50)
			k = (enum kind)(1 + rnd_below(K_COUNT - 1));
		count[k]++;

		long secs = 60 + (long)(i * 86000 / rows); /* 00:01:00 .. 23:54:20, in order */
		char t_trade[32], t_created[32], t_paid[32];
		hhmmss(t_trade, sizeof(t_trade), date, secs);
		hhmmss(t_created, sizeof(t_created), date, secs - 15);
		hhmmss(t_paid, sizeof(t_paid), date, secs + 2);

		char txn[64], txn2[64], order_no[96], openid[29];
		snprintf(txn, sizeof(txn), "4200001%s%013" PRIu64, ymd, 2 * i); /* 28 digits */
		snprintf(txn2, sizeof(txn2), "4200001%s%013" PRIu64, ymd, 2 * i + 1);
		snprintf(order_no, sizeof(order_no), "BN%s%010" PRIu64 "%012" PRIx64, ymd, i,
			 (uint64_t)(rnd() & 0xFFFFFFFFFFFFULL)); /* 32 chars */
		openid[0] = 'o';
		uint64_t r = rnd();
		for (int j = 1; j < 28; j++) {
			openid[j] = b64[r & 63];
			r = j % 10 == 0 ? rnd() : r >> 6;
		}
		openid[28] = '\0';
		unsigned variant = (unsigned)rnd_below(1u << 16);

		int64_t fen = rnd_amount();
		if (k == K_OVER_AMOUNT && fen < 2)
			fen = 2;
		if (k == K_FEE && fen < 100)
			fen += 100; /* a fee of at least 0.01 to take 0.01 off */
		int64_t fee = fee_of(fen);
		int64_t ledger_fen = fen;
		const char *status = "PAID", *ledger_txn = txn, *paid = t_paid;

		switch (k) {
		case K_SHORT_AMOUNT:
			ledger_fen = fen + 1 + (int64_t)rnd_below(1000);
			break;
		case K_OVER_AMOUNT:
			ledger_fen = fen - 1 - (int64_t)rnd_below((uint64_t)(fen - 1 < 1000 ? fen - 1 : 1000));
			break;
		case K_LOST_CALLBACK:
			status = "CREATED";
			ledger_txn = "";
			paid = "";
			break;
		case K_FEE:
			/* alternate +0.01 / -0.01 so the file total stays within the
			 * 0.01 tolerance and no file_total finding is added */
			fee += (fee_flip++ & 1) ? -1 : 1;
			break;
		default:
			break;
		}

		if (k != K_SHORT_MISSING)
			bill_row(&b, t_trade, txn, order_no, openid, variant, fen, fee);
		if (k == K_DUPLICATE)
			bill_row(&b, t_trade, txn, order_no, openid, variant, fen, fee);
		if (k == K_DOUBLE_CHARGE) {
			char t2[32];
			hhmmss(t2, sizeof(t2), date, secs + 1);
			bill_row(&b, t2, txn2, order_no, openid, variant, fen, fee);
		}
		if (k != K_OVER_MISSING) {
			/* ledger timestamps in +08, the bill's zone */
			fprintf(orders, "%s," MERCHANT_ID ",wechat,%s,%" PRId64 ",CNY,%s,%s+08,%s%s,\n", order_no,
				ledger_txn, ledger_fen, status, t_created, paid, *paid ? "+08" : "");
		}
	}

	char amt[32], feebuf[32], line[256];
	fmt_yuan(amt, sizeof(amt), b.amount_fen);
	fmt_fee(feebuf, sizeof(feebuf), b.fee_fen);
	int len = snprintf(
		line, sizeof(line),
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n"
		"`%" PRIu64 ",`%s,`0.00,`0.00,`%s,`%s,`0.00\n",
		b.rows, amt, feebuf, amt);
	if (len <= 0 || (size_t)len >= sizeof(line) || gzwrite(b.gz, line, (unsigned)len) != len)
		die("cannot write", path);
	if (gzclose(b.gz) != Z_OK)
		die("cannot write", path);
	close_out(orders, orders_path);

	FILE *f = open_out(out, "refunds.csv", path, sizeof(path));
	fputs("refund_no,order_no,channel_refund_id,amount_fen,status,requested_at,refunded_at\n", f);
	close_out(f, path);

	f = open_out(out, "recon.conf", path, sizeof(path));
	fprintf(f,
		"# generated by recon-bench-gen --rows %" PRIu64 " --date %s --seed %" PRIu64 "\n"
		"# relative paths are relative to this file's directory\n"
		"[ledger]\n"
		"conninfo =\n"
		"\n"
		"[run]\n"
		"timezone = Asia/Shanghai\n"
		"carry_over_days = 3\n"
		"reports = reports\n"
		"spool = spool\n"
		"\n"
		"[source wx-bench]\n"
		"channel = wechat\n"
		"merchant_id = " MERCHANT_ID "\n"
		"location = bill_{yyyymmdd}.csv.gz\n"
		"fee_rate = 0.60%%\n",
		rows, date, seed);
	close_out(f, path);

	f = open_out(out, "expected.txt", path, sizeof(path));
	fprintf(f,
		"# recon-bench-gen --rows %" PRIu64 " --date %s --seed %" PRIu64 "\n"
		"# what recon reports for %s alone (fresh database, carry_over_days 3):\n"
		"# KIND count (discrepancies.csv) and PENDING count (pending.csv)\n"
		"# bill rows %" PRIu64 ", ledger orders %" PRIu64 ", clean orders %" PRIu64 "\n"
		"#   SHORT_PAYMENT amount %" PRIu64 ", OVERPAYMENT amount %" PRIu64 ", PENDING not_in_ledger %" PRIu64
		", PENDING not_in_statement %" PRIu64 "\n",
		rows, date, seed, date, b.rows, rows - count[K_OVER_MISSING], count[K_NORMAL], count[K_SHORT_AMOUNT],
		count[K_OVER_AMOUNT], count[K_OVER_MISSING], count[K_SHORT_MISSING]);
	fprintf(f,
		"SHORT_PAYMENT %" PRIu64 "\n"
		"OVERPAYMENT %" PRIu64 "\n"
		"STATUS_MISMATCH %" PRIu64 "\n"
		"DOUBLE_CHARGE %" PRIu64 "\n"
		"FEE_MISMATCH %" PRIu64 "\n"
		"DUPLICATE_RECORD %" PRIu64 "\n"
		"PENDING %" PRIu64 "\n",
		count[K_SHORT_AMOUNT], count[K_OVER_AMOUNT], count[K_LOST_CALLBACK], count[K_DOUBLE_CHARGE],
		count[K_FEE], count[K_DUPLICATE], count[K_OVER_MISSING] + count[K_SHORT_MISSING]);
	close_out(f, path);
	return 0;
}
