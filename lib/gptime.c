/* lib/gptime.c: times given from outside, read against the calendar by OpenSSL */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>

#include <govpki/x509util.h>

#include "error_int.h"

int64_t
gp_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
gp_time_from_asn1(int64_t *out, const ASN1_TIME *t)
{
	ASN1_TIME *epoch = NULL;
	int days = 0, secs = 0, r = 0;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_time_from_asn1: NULL argument");
	*out = 0;
	if (t == NULL || ASN1_TIME_check(t) != 1)
		return gp_err(GP_E_PARSE, "a time field is malformed");
	if ((epoch = ASN1_TIME_set(NULL, 0)) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	/* ASN1_TIME_diff reads t through OpenSSL's calendar (days per month,
	 * leap years), with no time_t or mktime in between */
	if (ASN1_TIME_diff(&days, &secs, epoch, t) != 1)
		r = gp_err_ossl(GP_E_PARSE, "a time field is out of range");
	else
		*out = (int64_t)days * 86400 + secs;
	ASN1_TIME_free(epoch);
	return r;
}

/* "YYYYMMDDHHMMSSZ" (15 characters, digits checked by the caller) to
 * seconds: ASN1_TIME_set_string_X509 refuses a day the month does not
 * have, hour 24, minute or second 60 (a leap second; RFC 5280 §4.1.2.5
 * times have none) and month 13; what is shown names the input. */
static int
from_digits(int64_t *out, const char *ymdhmsz, const char *shown)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int r;

	if (t == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	if (ASN1_TIME_set_string_X509(t, ymdhmsz) != 1)
		r = gp_err_ossl(GP_E_INVALID, "no such time: %.4s-%.2s-%.2s %.2s:%.2s:%.2s UTC (from '%s')",
		    ymdhmsz, ymdhmsz + 4, ymdhmsz + 6, ymdhmsz + 8, ymdhmsz + 10, ymdhmsz + 12, shown);
	else
		r = gp_time_from_asn1(out, t);
	ASN1_TIME_free(t);
	return r;
}

/* The fields a form names, as digits. */
typedef struct {
	char y[5], mo[3], d[3], h[3], mi[3], s[3];
} fields;

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char *const wdays[] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};
static const char *const wdays_long[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};

/* The index of the name of list (case-sensitive, as RFC 9110 §5.6.7 has
 * it) that s starts with, its length in *len; -1 when none. */
static int
name_at(const char *s, const char *const *list, size_t n, size_t *len)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);
		if (strncmp(s, list[i], l) == 0) {
			*len = l;
			return (int)i;
		}
	}
	return -1;
}

/*
 * Matches all of s against form and fills f: 'y' 'o' 'd' 'h' 'i' 's' are
 * a digit of year, month, day, hour, minute, second; 'e' a day digit or a
 * space (asctime's " 6"); 'b' a month name; 'a' a short, 'A' a long day
 * name; anything else (no other lower-case letter) itself.  Returns 0 or
 * -1.
 */
static int
match(fields *f, const char *s, const char *form)
{
	size_t ny = 0, nmo = 0, nd = 0, nh = 0, nmi = 0, ns = 0, l;
	int i;

	memset(f, 0, sizeof(*f));
	for (; *form != '\0'; form++) {
		char *slot = NULL;

		switch (*form) {
		case 'y': slot = ny < 4 ? &f->y[ny++] : NULL; break;
		case 'o': slot = nmo < 2 ? &f->mo[nmo++] : NULL; break;
		case 'd': case 'e': slot = nd < 2 ? &f->d[nd++] : NULL; break;
		case 'h': slot = nh < 2 ? &f->h[nh++] : NULL; break;
		case 'i': slot = nmi < 2 ? &f->mi[nmi++] : NULL; break;
		case 's': slot = ns < 2 ? &f->s[ns++] : NULL; break;
		case 'b':
			if ((i = name_at(s, months, 12, &l)) < 0)
				return -1;
			snprintf(f->mo, sizeof(f->mo), "%02d", i + 1);
			nmo = 2;
			s += l;
			continue;
		case 'a': case 'A':
			if (name_at(s, *form == 'a' ? wdays : wdays_long, 7, &l) < 0)
				return -1;
			s += l;
			continue;
		default:
			if (*s++ != *form)
				return -1;
			continue;
		}
		if (slot == NULL)
			return -1;
		if (*form == 'e' && *s == ' ') {
			*slot = '0';
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		*slot = *s++;
	}
	return *s == '\0' ? 0 : -1;
}

/* RFC 9110 §5.6.7: a two-digit year (RFC 850 form) that would be more
 * than 50 years in the future is the most recent past year with those
 * digits.  y holds "YY" and gets "YYYY". */
static int
two_digit_year(char y[5])
{
	time_t now = time(NULL);
	struct tm tm;
	int year;

	if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL)
		return -1;
	year = (tm.tm_year + 1900) / 100 * 100 + (y[0] - '0') * 10 + (y[1] - '0');
	if (year > tm.tm_year + 1900 + 50)
		year -= 100;
	if (year < 0 || year > 9999)
		return -1;
	snprintf(y, 5, "%04u", (unsigned)year % 10000u);
	return 0;
}

int
gp_time_parse(int64_t *out, const char *s, unsigned forms)
{
	/* each form, the flag that allows it, and what it lacks of a full time */
	static const struct {
		unsigned flag;
		const char *form;
	} table[] = {
		{ GP_TIME_DATE, "yyyy-oo-dd" },
		{ GP_TIME_DATETIME, "yyyy-oo-ddThh:ii:ssZ" },
		{ GP_TIME_GENERALIZED, "yyyyooddhhiissZ" },
		/* RFC 9110 §5.6.7: IMF-fixdate, then the obsolete RFC 850 and
		 * asctime forms a recipient must accept */
		{ GP_TIME_HTTP, "a, dd b yyyy hh:ii:ss GMT" },
		{ GP_TIME_HTTP, "A, dd-b-yy hh:ii:ss GMT" },
		{ GP_TIME_HTTP, "a b ed hh:ii:ss yyyy" },
	};
	char full[16];
	fields f;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_time_parse: NULL argument");
	*out = 0;
	if (s == NULL || *s == '\0')
		return gp_err(GP_E_INVALID, "no time given");
	if (strlen(s) > 64)
		return gp_err(GP_E_INVALID, "a time of %zu characters", strlen(s));
	if ((forms & GP_TIME_SECONDS) && s[0] == '@') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (!isdigit((unsigned char)s[1]) || errno != 0 || *end != '\0')
			return gp_err(GP_E_INVALID, "bad time '%s': @ and the seconds since 1970", s);
		*out = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!(forms & table[i].flag) || match(&f, s, table[i].form) != 0)
			continue;
		if (f.y[2] == '\0' && two_digit_year(f.y) != 0)
			return gp_err(GP_E_INTERNAL, "cannot read the clock");
		snprintf(full, sizeof(full), "%s%s%s%s%s%sZ", f.y, f.mo, f.d,
		    f.h[0] ? f.h : "00", f.mi[0] ? f.mi : "00", f.s[0] ? f.s : "00");
		return from_digits(out, full, s);
	}
	return gp_err(GP_E_INVALID, "bad time '%s' (want%s%s%s%s%s)", s,
	    forms & GP_TIME_DATE ? " YYYY-MM-DD" : "",
	    forms & GP_TIME_DATETIME ? " YYYY-MM-DDTHH:MM:SSZ" : "",
	    forms & GP_TIME_GENERALIZED ? " YYYYMMDDHHMMSSZ" : "",
	    forms & GP_TIME_SECONDS ? " @SECONDS" : "",
	    forms & GP_TIME_HTTP ? " an HTTP-date (RFC 9110 5.6.7)" : "");
}
