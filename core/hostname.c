/*
 * hostname: see hostname.h. Wildcard semantics follow the Gateway API hostnames
 * concept page: "*.example.com" matches "a.example.com" and "a.b.example.com" but not
 * "example.com".
 */
#include "hostname.h"

#include <arpa/inet.h>
#include <string.h>

bool hostname_is_ip(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len + 1);
	/* "[::1]" is an IPv6 literal too */
	if (tmp[0] == '[' && tmp[len - 1] == ']') {
		tmp[len - 1] = '\0';
		return inet_pton(AF_INET6, tmp + 1, buf) == 1;
	}
	return inet_pton(AF_INET, tmp, buf) == 1 || inet_pton(AF_INET6, tmp, buf) == 1;
}

bool hostname_has_long_label(const char *s)
{
	size_t run = 0;

	if (s[0] == '*' && s[1] == '.')
		s += 2;
	for (; *s; s++) {
		if (*s == '.') {
			run = 0;
			continue;
		}
		if (++run > 63)
			return true;
	}
	return false;
}

static bool is_wild(const char *h)
{
	return h[0] == '*' && h[1] == '.';
}

/* precise name p is matched by wildcard suffix w (w without "*"; starts with '.') */
static bool wild_matches(const char *suffix, const char *p)
{
	size_t sl = strlen(suffix), pl = strlen(p);

	/* p must be at least one label plus the suffix: "x" + ".example.com" */
	return pl > sl && strcmp(p + pl - sl, suffix) == 0 && p[pl - sl - 1] != '.';
}

bool hostname_intersect(const char *a, const char *b)
{
	if (a == NULL || b == NULL || strcmp(a, "*") == 0 || strcmp(b, "*") == 0)
		return true;
	if (!is_wild(a) && !is_wild(b))
		return strcmp(a, b) == 0;
	if (is_wild(a) && is_wild(b)) {
		const char *sa = a + 1, *sb = b + 1; /* ".example.com" */
		size_t la = strlen(sa), lb = strlen(sb);

		if (la >= lb)
			return strcmp(sa + la - lb, sb) == 0;
		return strcmp(sb + lb - la, sa) == 0;
	}
	if (is_wild(a))
		return wild_matches(a + 1, b);
	return wild_matches(b + 1, a);
}

bool hostname_covers(const char *pattern, const char *host)
{
	if (pattern == NULL || strcmp(pattern, "*") == 0)
		return true;
	if (host == NULL || strcmp(host, "*") == 0)
		return false;
	if (!is_wild(pattern))
		return !is_wild(host) && strcmp(pattern, host) == 0;
	if (!is_wild(host))
		return wild_matches(pattern + 1, host);
	/* *.a.example.com is covered by *.example.com, and *.example.com by itself */
	{
		const char *sp = pattern + 1, *sh = host + 1;
		size_t lp = strlen(sp), lh = strlen(sh);

		return lh >= lp && strcmp(sh + lh - lp, sp) == 0;
	}
}
