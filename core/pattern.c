/*
 * pattern: hand-written equivalents of the CRD regular expressions. Each matcher states
 * the expression it implements; the test suite checks them against the examples of the
 * rules document. Writing them by hand avoids compiling regexes per call (no globals in
 * core) and lets the RE2 search-semantics quirks be spelled out explicitly.
 */
#include "pattern.h"

#include <string.h>

static bool is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(unsigned char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool is_dns_label(const char *s, size_t len)
{
	if (len == 0 || !is_lower_alnum((unsigned char)s[0]) || !is_lower_alnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* label(\.label)* */
bool pattern_is_dns_labels(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!is_dns_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* ^(\*\.)?label(\.label)*$ */
static bool match_host(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '*' && s[1] == '.')
		return pattern_is_dns_labels(s + 2, len - 2);
	return pattern_is_dns_labels(s, len);
}

/* ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
static bool match_kind(const char *s, size_t len)
{
	unsigned char c0, cl;

	if (len == 0)
		return false;
	c0 = (unsigned char)s[0];
	cl = (unsigned char)s[len - 1];
	if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z')) || !is_alnum(cl))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
static bool is_mixed_label(const char *s, size_t len)
{
	if (len == 0 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/*
 * ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ | [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.…)*\/[A-Za-z0-9]+$
 * The second alternative has no '^': it matches when some suffix is "labels/alnum+".
 * A one-character label is a valid suffix, so it is enough that the byte before the
 * last '/' is [a-z0-9] and everything after it is [A-Za-z0-9]+.
 */
static bool match_proto(const char *s, size_t len)
{
	const char *slash;

	if (is_mixed_label(s, len))
		return true;
	slash = memrchr(s, '/', len);
	if (slash == NULL || slash == s || slash + 1 == s + len)
		return false;
	if (!is_lower_alnum((unsigned char)slash[-1]))
		return false;
	for (const char *p = slash + 1; p < s + len; p++)
		if (!is_alnum((unsigned char)*p))
			return false;
	return true;
}

/* ^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$ */
static bool is_token_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool match_header(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_token_char((unsigned char)s[i]))
			return false;
	return true;
}

bool pattern_duration_ms(const char *s, size_t len, unsigned long long *ret_ms)
{
	unsigned long long total = 0;
	size_t i = 0;
	int parts = 0;

	if (len == 0)
		return false;
	while (i < len) {
		unsigned long long n = 0, mult;
		size_t digits = 0;

		while (i < len && is_digit((unsigned char)s[i]) && digits < 6) {
			n = n * 10 + (unsigned long long)(s[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || digits > 5 || i >= len)
			return false;
		if (s[i] == 'h') {
			mult = 3600000ULL;
			i++;
		} else if (s[i] == 'm' && i + 1 < len && s[i + 1] == 's') {
			mult = 1ULL;
			i += 2;
		} else if (s[i] == 'm') {
			mult = 60000ULL;
			i++;
		} else if (s[i] == 's') {
			mult = 1000ULL;
			i++;
		} else {
			return false;
		}
		if (++parts > 4)
			return false;
		total += n * mult;
	}
	if (ret_ms)
		*ret_ms = total;
	return true;
}

/* ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$ */
static bool match_path(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_alnum(c) || (c != '\0' && strchr("-/._~!$&'()*+,;=:@", c) != NULL))
			continue;
		if (c == '%' && i + 2 < len && is_hex((unsigned char)s[i + 1]) && is_hex((unsigned char)s[i + 2])) {
			i += 2;
			continue;
		}
		return false;
	}
	return true;
}

/* [A-Za-z0-9\/\-._~%!$&'()*+,;=:] */
static bool is_ctrl_path_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("/-._~%!$&'()*+,;=:", c) != NULL);
}

/* ^labels\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$ */
static bool match_controller(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t plen;

	if (slash == NULL)
		return false;
	plen = (size_t)(slash - s);
	if (!pattern_is_dns_labels(s, plen) || plen + 1 == len)
		return false;
	for (size_t i = plen + 1; i < len; i++)
		if (!is_ctrl_path_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * ^Hostname|IPAddress|NamedAddress|labels\/[...]+$ with RE2 search semantics: only
 * "Hostname" is anchored at the start, "IPAddress"/"NamedAddress" match anywhere, and the
 * last alternative matches any suffix of the form label…/path.
 */
static bool match_addrtype(const char *s, size_t len)
{
	size_t tail;

	if (len >= 8 && memcmp(s, "Hostname", 8) == 0)
		return true;
	if (memmem(s, len, "IPAddress", 9) != NULL || memmem(s, len, "NamedAddress", 12) != NULL)
		return true;
	/* tail = start of the longest suffix made only of path characters ('/' included);
	 * a '/' at p works when s[p+1..] lies inside it and s[p-1] ends a DNS label */
	tail = len;
	while (tail > 0 && is_ctrl_path_char((unsigned char)s[tail - 1]))
		tail--;
	for (size_t p = (tail > 0 ? tail - 1 : 0); p + 1 < len; p++)
		if (s[p] == '/' && p > 0 && is_lower_alnum((unsigned char)s[p - 1]))
			return true;
	return false;
}

/* ^(prefix/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$ */
static bool match_key(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	const char *name = s;
	size_t nlen = len;

	if (slash != NULL) {
		if (!pattern_is_dns_labels(s, (size_t)(slash - s)))
			return false;
		name = slash + 1;
		nlen = len - (size_t)(slash - s) - 1;
	}
	if (nlen == 0 || nlen > 63)
		return false;
	if (!is_alnum((unsigned char)name[0]) || !is_alnum((unsigned char)name[nlen - 1]))
		return false;
	for (size_t i = 1; i + 1 < nlen; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$ */
static bool match_labelval(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (!is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* (^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$) */
static bool match_origin(const char *s, size_t len)
{
	const char *p, *end = s + len, *colon, *host;
	size_t hlen;

	if (len == 1 && s[0] == '*')
		return true;
	if (len > 7 && memcmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (len > 8 && memcmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return false;
	colon = memchr(p, ':', (size_t)(end - p));
	host = p;
	hlen = (size_t)((colon ? colon : end) - p);
	if (colon != NULL) {
		size_t dl = (size_t)(end - colon - 1);

		if (dl < 1 || dl > 5)
			return false;
		for (const char *d = colon + 1; d < end; d++)
			if (!is_digit((unsigned char)*d))
				return false;
	}
	if (hlen == 1 && host[0] == '*')
		return true;
	if (hlen >= 2 && host[0] == '*' && host[1] == '.') {
		host += 2;
		hlen -= 2;
	}
	if (hlen == 0)
		return false;
	/* ([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+ : non-empty segments of [a-zA-Z0-9-] */
	{
		size_t seg = 0;

		for (size_t i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)host[i];

			if (c == '.') {
				if (seg == 0)
					return false;
				seg = 0;
			} else if (is_alnum(c) || c == '-') {
				seg++;
			} else {
				return false;
			}
		}
		return seg > 0;
	}
}

/* ^[!-~]+([\t ]?[!-~]+)*$ */
static bool match_hvalue(const char *s, size_t len)
{
	bool prev_blank = true; /* a leading blank is invalid */

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '!' && c <= '~') {
			prev_blank = false;
		} else if (c == ' ' || c == '\t') {
			if (prev_blank)
				return false;
			prev_blank = true;
		} else {
			return false;
		}
	}
	return !prev_blank;
}

/* ^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$ */
static bool match_grpc_service(const char *s, size_t len)
{
	size_t i = 0;
	bool start = true;

	if (len > 0 && s[0] == '.')
		i = 1;
	if (i >= len)
		return false;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (start) {
			if (!letter)
				return false;
			start = false;
		} else if (c == '.') {
			start = true;
		} else if (!letter && !is_digit(c)) {
			return false;
		}
	}
	return !start;
}

/* ^[A-Za-z_][A-Za-z_0-9]*$ */
static bool match_grpc_method(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!letter && (i == 0 || !is_digit(c)))
			return false;
	}
	return true;
}

bool pattern_match(enum pattern_id id, const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL)
		return false;
	switch (id) {
	case PAT_NONE: return true;
	case PAT_HOST: return match_host(s, len);
	case PAT_PRECISE: return pattern_is_dns_labels(s, len);
	case PAT_NS: return is_dns_label(s, len);
	case PAT_GROUP: return len == 0 || pattern_is_dns_labels(s, len);
	case PAT_KIND: return match_kind(s, len);
	case PAT_PROTO: return match_proto(s, len);
	case PAT_HEADER: return match_header(s, len);
	case PAT_DURATION: return pattern_duration_ms(s, len, NULL);
	case PAT_PATH: return match_path(s, len);
	case PAT_ADDRTYPE: return match_addrtype(s, len);
	case PAT_CONTROLLER: return match_controller(s, len);
	case PAT_KEY: return match_key(s, len);
	case PAT_LABELVAL: return match_labelval(s, len);
	case PAT_ORIGIN: return match_origin(s, len);
	case PAT_HVALUE: return match_hvalue(s, len);
	case PAT_GRPC_SERVICE: return match_grpc_service(s, len);
	case PAT_GRPC_METHOD: return match_grpc_method(s, len);
	case PAT_MAX: break;
	}
	return false;
}

#define LABELS "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

const char *pattern_source(enum pattern_id id)
{
	switch (id) {
	case PAT_HOST: return "^(\\*\\.)?" LABELS "$";
	case PAT_PRECISE: return "^" LABELS "$";
	case PAT_NS: return "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
	case PAT_GROUP: return "^$|^" LABELS "$";
	case PAT_KIND: return "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
	case PAT_PROTO: return "^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|" LABELS "\\/[A-Za-z0-9]+$";
	case PAT_HEADER: return "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
	case PAT_DURATION: return "^([0-9]{1,5}(h|m|s|ms)){1,4}$";
	case PAT_PATH: return "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";
	case PAT_ADDRTYPE: return "^Hostname|IPAddress|NamedAddress|" LABELS "\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
	case PAT_CONTROLLER: return "^" LABELS "\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
	case PAT_KEY: return "^(" LABELS "/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$";
	case PAT_LABELVAL: return "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
	case PAT_ORIGIN: return "(^\\*$)|(^(http(s)?):\\/\\/(((\\*\\.)?([a-zA-Z0-9\\-]+\\.)*[a-zA-Z0-9-]+|\\*)(:([0-9]{1,5}))?)$)";
	case PAT_HVALUE: return "^[!-~]+([\\t ]?[!-~]+)*$";
	case PAT_GRPC_SERVICE: return "^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$";
	case PAT_GRPC_METHOD: return "^[A-Za-z_][A-Za-z_0-9]*$";
	case PAT_NONE:
	case PAT_MAX: break;
	}
	return "";
}

/*
 * Counts like Go's utf8.RuneCount, which the API server's length checks use: a valid
 * sequence is one code point, and every byte that does not start one (stray
 * continuation, truncated or overlong sequence, surrogate, > U+10FFFF) is one on its own.
 */
size_t pattern_codepoints(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, i = 0;

	while (i < len) {
		unsigned char c = u[i];
		size_t k = 1;
		unsigned char lo = 0x80, hi = 0xBF;  /* allowed range of the second byte */

		if (c >= 0xC2 && c <= 0xDF) {
			k = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 3;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 4;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		}
		if (k > 1) {
			bool ok = i + k <= len && u[i + 1] >= lo && u[i + 1] <= hi;

			for (size_t j = 2; ok && j < k; j++)
				ok = (u[i + j] & 0xC0) == 0x80;
			if (!ok)
				k = 1;
		}
		i += k;
		n++;
	}
	return n;
}
