/* path: see path.h. */
#include "path.h"

#include <stdio.h>
#include <string.h>

void path_init(struct path *p)
{
	p->len = 0;
	p->buf[0] = '\0';
}

static void append(struct path *p, const char *s)
{
	size_t n = strlen(s);

	if (p->len + n + 4 >= sizeof(p->buf)) {
		if (p->len + 4 < sizeof(p->buf)) {
			memcpy(p->buf + p->len, "...", 4);
			p->len += 3;
		}
		return;
	}
	memcpy(p->buf + p->len, s, n + 1);
	p->len += n;
}

size_t path_key(struct path *p, const char *key)
{
	size_t mark = p->len;

	if (p->len > 0)
		append(p, ".");
	append(p, key);
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
	append(p, t);
	return mark;
}

void path_pop(struct path *p, size_t mark)
{
	if (mark <= p->len) {
		p->len = mark;
		p->buf[mark] = '\0';
	}
}

const char *path_str(const struct path *p)
{
	return p->buf;
}
