/* path: see path.h. */
#include "path.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void path_init(struct path *p)
{
	p->len = 0;
	p->buf[0] = '\0';
	p->cut_at = SIZE_MAX;
}

/* The next segment does not fit: the path ends in "..." (every append leaves room for
 * it) */
static void overflow(struct path *p)
{
	p->cut_at = p->len;
	memcpy(p->buf + p->len, "...", 4);
	p->len += 3;
}

/* Append sep (when not 0) and the n bytes of s (NUL-terminated) as one segment */
static void append(struct path *p, char sep, const char *s, size_t n)
{
	size_t need = n + (sep != 0);

	if (p->cut_at != SIZE_MAX)
		return;
	if (p->len + need + 4 >= sizeof(p->buf)) {
		overflow(p);
		return;
	}
	if (sep != 0)
		p->buf[p->len++] = sep;
	memcpy(p->buf + p->len, s, n + 1);
	p->len += n;
}

/* hot: the schema pass calls this for every member it walks */
size_t path_key(struct path *p, const char *key)
{
	size_t mark = p->len;

	append(p, p->len > 0 ? '.' : 0, key, strlen(key));
	return mark;
}

size_t path_idx(struct path *p, size_t i)
{
	size_t mark = p->len;
	char tmp[32], *t = tmp + sizeof(tmp);

	/* hot: called for every array element walked, so no snprintf */
	*--t = '\0';
	*--t = ']';
	do {
		*--t = (char)('0' + i % 10);
		i /= 10;
	} while (i > 0);
	*--t = '[';
	append(p, 0, t, (size_t)(tmp + sizeof(tmp) - 1 - t));
	return mark;
}

void path_pop(struct path *p, size_t mark)
{
	if (mark <= p->len) {
		p->len = mark;
		p->buf[mark] = '\0';
		if (mark <= p->cut_at)
			p->cut_at = SIZE_MAX;
	}
}

const char *path_str(const struct path *p)
{
	return p->buf;
}
