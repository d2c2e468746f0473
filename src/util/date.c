/* Civil dates as day numbers (Howard Hinnant's algorithms) and strict
 * parsing of the channels' "YYYY-MM-DD HH:MM:SS" timestamps. */
#include "recon/date.h"
#include "recon/text.h"

#include <stdio.h>
#include <string.h>

rcn_date rcn_date_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (rcn_date)(era * 146097 + doe - 719468);
}

void rcn_date_to_ymd(rcn_date day, int *y, int *m, int *d)
{
	int z = day + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

rcn_rc rcn_date_parse(rcn_date *out, const char *s, size_t n, rcn_err *err)
{
	/* A statement's or a ledger window's rows nearly all fall on a few
	 * days: the last good date of this thread is answered without parsing. */
	static _Thread_local struct {
		char s[10];
		rcn_date day;
		bool ok;
	} last;
	if (n == 10 && last.ok && memcmp(s, last.s, 10) == 0) {
		*out = last.day;
		return RCN_OK;
	}
	int y, m, d;
	if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d))
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid date \"%s\": expected YYYY-MM-DD",
				   RCN_QUOTE(s, n));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid date \"%s\": no such day", RCN_QUOTE(s, n));
	*out = rcn_date_from_ymd(y, m, d);
	memcpy(last.s, s, 10);
	last.day = *out;
	last.ok = true;
	return RCN_OK;
}

const char *rcn_date_format(char buf[11], rcn_date day)
{
	/* digits by hand: every report row formats a date or two, and
	 * snprintf cost a thousand instructions a call */
	int y, m, d;
	rcn_date_to_ymd(day, &y, &m, &d);
	unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
	buf[0] = (char)('0' + uy / 1000), buf[1] = (char)('0' + uy / 100 % 10), buf[2] = (char)('0' + uy / 10 % 10);
	buf[3] = (char)('0' + uy % 10), buf[4] = '-', buf[5] = (char)('0' + um / 10), buf[6] = (char)('0' + um % 10);
	buf[7] = '-', buf[8] = (char)('0' + ud / 10), buf[9] = (char)('0' + ud % 10), buf[10] = '\0';
	return buf;
}

static void two_digits(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

const char *rcn_time_format(char out[20], rcn_time t)
{
	out[0] = '\0';
	if (t == RCN_NO_TIME)
		return out;
	rcn_date day = rcn_time_date(t);
	int secs = (int)(t - (int64_t)day * RCN_SECS_PER_DAY);
	rcn_date_format(out, day);
	out[10] = ' ';
	two_digits(out + 11, secs / 3600);
	out[13] = ':';
	two_digits(out + 14, secs / 60 % 60);
	out[16] = ':';
	two_digits(out + 17, secs % 60);
	out[19] = '\0';
	return out;
}

/* Accepts ':' or the full-width '：' (U+FF1A, EF BC 9A) as time separator. */
static size_t time_sep(const char *s, size_t n)
{
	if (n >= 1 && s[0] == ':')
		return 1;
	if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC && (unsigned char)s[2] == 0x9A)
		return 3;
	return 0;
}

rcn_rc rcn_datetime_parse(char out[20], rcn_date *day, const char *s, size_t n, rcn_err *err)
{
	rcn_date d;
	int hms[3]; /* hours, minutes, seconds: two digits each, a separator between */
	static const int max[3] = {23, 59, 59};
	const char *p = s + 11;
	size_t left = n > 11 ? n - 11 : 0;

	if (n < 19 || s[10] != ' ' || rcn_date_parse(&d, s, 10, NULL) != RCN_OK)
		goto bad;
	for (int i = 0; i < 3; i++) {
		size_t k = 0;
		if (i > 0 && !(k = time_sep(p, left)))
			goto bad;
		p += k, left -= k;
		if (left < 2 || (i == 2 && left != 2) || !digits(p, 2, &hms[i]) || hms[i] > max[i])
			goto bad;
		p += 2, left -= 2;
	}
	int hh = hms[0], mi = hms[1], ss = hms[2];
	memcpy(out, s, 10);
	char *o = out + 10;
	*o++ = ' ';
	*o++ = (char)('0' + hh / 10), *o++ = (char)('0' + hh % 10), *o++ = ':';
	*o++ = (char)('0' + mi / 10), *o++ = (char)('0' + mi % 10), *o++ = ':';
	*o++ = (char)('0' + ss / 10), *o++ = (char)('0' + ss % 10), *o = '\0';
	*day = d;
	return RCN_OK;
bad:
	return rcn_err_set(err, RCN_EFORMAT, NULL, 0, "invalid time \"%s\": expected YYYY-MM-DD HH:MM:SS",
			   RCN_QUOTE(s, n));
}

rcn_rc rcn_time_parse(rcn_time *out, const char *s, size_t n, rcn_err *err)
{
	char text[20] = "";
	rcn_date day = 0;
	rcn_rc rc = rcn_datetime_parse(text, &day, s, n, err);
	(void)day;
	if (rc != RCN_OK)
		return rc;
	*out = rcn_time_of_normal(text);
	return RCN_OK;
}

static int two_at(const char *p)
{
	return (p[0] - '0') * 10 + p[1] - '0';
}

rcn_time rcn_time_of_normal(const char text[20])
{
	/* a statement's times nearly all fall on one or two days: the last
	 * day this thread read is remembered */
	static _Thread_local struct {
		char ymd[10];
		rcn_date day;
	} last = {"", 0};
	if (memcmp(text, last.ymd, 10) != 0) {
		last.day = rcn_date_from_ymd(two_at(text) * 100 + two_at(text + 2), two_at(text + 5), two_at(text + 8));
		memcpy(last.ymd, text, 10);
	}
	return (int64_t)last.day * RCN_SECS_PER_DAY + two_at(text + 11) * 3600 + two_at(text + 14) * 60 +
	       two_at(text + 17);
}
