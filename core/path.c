/* path: see path.h. */
#include "path.h"

#include <string.h>

void path_init(struct path *p)
{
	p->n = 0;
	p->built = 0;
	p->len = 0;
	p->buf[0] = '\0';
	p->cut_seg = SIZE_MAX;
}

/* hot: the schema pass calls these for every member it walks */
size_t path_key(struct path *p, const char *key)
{
	size_t mark = p->n;

	if (p->n < PATH_MAX_SEGS)
		p->seg[p->n] = (struct path_seg){ key, 0 };
	p->n++;
	return mark;
}

size_t path_idx(struct path *p, size_t i)
{
	size_t mark = p->n;

	if (p->n < PATH_MAX_SEGS)
		p->seg[p->n] = (struct path_seg){ NULL, i };
	p->n++;
	return mark;
}

void path_pop(struct path *p, size_t mark)
{
	if (mark > p->n)
		return;
	p->n = mark;
	if (p->built <= mark)
		return;
	p->built = mark;
	if (p->cut_seg != SIZE_MAX && mark > p->cut_seg)
		return; /* still cut where it was */
	p->cut_seg = SIZE_MAX;
	p->len = mark > 0 ? p->end[mark - 1] : 0;
}

/* Segment i's text: its separator and its bytes (an index is written into tmp). */
static const char *seg_text(const struct path *p, size_t i, char *tmp, size_t tmpsize, size_t *ret_len,
			    char *ret_sep)
{
	const struct path_seg *s = &p->seg[i];
	char *t = tmp + tmpsize;
	size_t v = s->idx;

	if (s->key != NULL) {
		*ret_sep = p->len > 0 ? '.' : 0;
		*ret_len = strlen(s->key);
		return s->key;
	}
	*ret_sep = 0;
	*--t = ']';
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	*--t = '[';
	*ret_len = (size_t)(tmp + tmpsize - t);
	return t;
}

const char *path_str(const struct path *cp)
{
	struct path *p = (struct path *)cp; /* every struct path is the caller's own, writable */
	size_t upto = p->n < PATH_MAX_SEGS ? p->n : PATH_MAX_SEGS;

	while (p->built < upto && p->cut_seg == SIZE_MAX) {
		char tmp[32], sep;
		size_t n;
		const char *s = seg_text(p, p->built, tmp, sizeof(tmp), &n, &sep);
		size_t need = n + (sep != 0);

		if (p->len + need + 4 >= sizeof(p->buf)) {
			/* the segment does not fit: the path ends in "..." (every segment
			 * leaves room for it) */
			p->cut_seg = p->built;
			memcpy(p->buf + p->len, "...", 4);
			p->built = upto;
			return p->buf;
		}
		if (sep != 0)
			p->buf[p->len++] = sep;
		memcpy(p->buf + p->len, s, n);
		p->len += n;
		p->end[p->built++] = (uint16_t)p->len;
	}
	if (p->cut_seg == SIZE_MAX && p->n > PATH_MAX_SEGS && p->len + 4 <= sizeof(p->buf)) {
		memcpy(p->buf + p->len, "...", 4);
		return p->buf;
	}
	if (p->cut_seg == SIZE_MAX)
		p->buf[p->len] = '\0';
	return p->buf;
}
