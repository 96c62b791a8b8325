/*
 * jpatch: see jpatch.h.
 *
 * The diff walks both documents once, carrying the current JSON Pointer in a growable
 * buffer (push a token, recurse, truncate back), so it costs O(size of the documents
 * plus the key sorting). The apply side resolves each pointer from the root on a deep
 * copy: patches from admission are a few operations, so no index is kept.
 */
#include "jpatch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jcopy.h"

struct pbuf {
	char *s;
	size_t len, cap;
};

static int pbuf_reserve(struct pbuf *p, size_t extra)
{
	size_t want = p->len + extra + 1;
	char *n;
	size_t cap;

	if (want <= p->cap)
		return 0;
	cap = p->cap ? p->cap : 64;
	while (cap < want)
		cap *= 2;
	n = realloc(p->s, cap);
	if (n == NULL)
		return ERR_NOMEM;
	p->s = n;
	p->cap = cap;
	return 0;
}

/* Append "/" + escaped token. */
static int pbuf_push(struct pbuf *p, const char *tok)
{
	size_t need = 1, i;

	for (i = 0; tok[i]; i++)
		need += (tok[i] == '~' || tok[i] == '/') ? 2 : 1;
	if (pbuf_reserve(p, need) != 0)
		return ERR_NOMEM;
	p->s[p->len++] = '/';
	for (i = 0; tok[i]; i++) {
		if (tok[i] == '~') {
			p->s[p->len++] = '~';
			p->s[p->len++] = '0';
		} else if (tok[i] == '/') {
			p->s[p->len++] = '~';
			p->s[p->len++] = '1';
		} else {
			p->s[p->len++] = tok[i];
		}
	}
	p->s[p->len] = '\0';
	return 0;
}

static int pbuf_push_index(struct pbuf *p, size_t idx)
{
	char num[32];
	size_t n = 0, i;
	char tmp[32];

	do {
		tmp[n++] = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx > 0);
	for (i = 0; i < n; i++)
		num[i] = tmp[n - 1 - i];
	num[n] = '\0';
	return pbuf_push(p, num);
}

size_t jpatch_pointer_append(char *buf, size_t len, size_t cap, const char *token)
{
	size_t i;

	if (len >= cap)
		return (size_t)-1;
	if (len + 1 >= cap)
		return (size_t)-1;
	buf[len++] = '/';
	for (i = 0; token[i]; i++) {
		size_t w = (token[i] == '~' || token[i] == '/') ? 2 : 1;

		if (len + w >= cap)
			return (size_t)-1;
		if (w == 2) {
			buf[len++] = '~';
			buf[len++] = token[i] == '~' ? '0' : '1';
		} else {
			buf[len++] = token[i];
		}
	}
	buf[len] = '\0';
	return len;
}

static int emit(json_t *patch, const char *op, const char *path, const json_t *value)
{
	json_t *o = json_object();

	if (o == NULL)
		return ERR_NOMEM;
	/* the path is built from keys jansson holds, so it is UTF-8 already */
	if (json_object_set_new_nocheck(o, "op", json_string_nocheck(op)) != 0 ||
	    json_object_set_new_nocheck(o, "path", json_string_nocheck(path)) != 0 ||
	    (value != NULL && json_object_set_nocheck(o, "value", (json_t *)value) != 0) ||
	    json_array_append_new(patch, o) != 0)
		return ERR_NOMEM;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj, sorted; *ret owned by the caller (NULL when empty). */
static int sorted_keys(const json_t *obj, const char ***ret, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys;
	const char *k;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (n == 0)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	json_object_foreach((json_t *)obj, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, i, sizeof(*keys), cmp_str);
	*ret = keys;
	*ret_n = i;
	return 0;
}

static int diff(const json_t *from, const json_t *to, struct pbuf *p, json_t *patch, int depth,
		struct err *err);

static int diff_object(const json_t *from, const json_t *to, struct pbuf *p, json_t *patch,
		       int depth, struct err *err)
{
	const char **fk = NULL, **tk = NULL;
	size_t nf, nt, i, save = p->len;
	int rc;

	if ((rc = sorted_keys(from, &fk, &nf)) != 0 || (rc = sorted_keys(to, &tk, &nt)) != 0)
		goto out;
	for (i = 0; i < nf; i++) {
		if (json_object_get(to, fk[i]) != NULL)
			continue;
		if ((rc = pbuf_push(p, fk[i])) != 0 || (rc = emit(patch, "remove", p->s, NULL)) != 0)
			goto out;
		p->len = save;
		p->s[save] = '\0';
	}
	for (i = 0; i < nt; i++) {
		const json_t *a = json_object_get(from, tk[i]);
		const json_t *b = json_object_get(to, tk[i]);

		if ((rc = pbuf_push(p, tk[i])) != 0)
			goto out;
		if (a == NULL)
			rc = emit(patch, "add", p->s, b);
		else
			rc = diff(a, b, p, patch, depth + 1, err);
		if (rc != 0)
			goto out;
		p->len = save;
		p->s[save] = '\0';
	}
out:
	free(fk);
	free(tk);
	return rc;
}

static int diff_array(const json_t *from, const json_t *to, struct pbuf *p, json_t *patch,
		      int depth, struct err *err)
{
	size_t nf = json_array_size(from), nt = json_array_size(to), i, save = p->len;
	size_t common = nf < nt ? nf : nt;
	int rc;

	for (i = 0; i < common; i++) {
		if ((rc = pbuf_push_index(p, i)) != 0 ||
		    (rc = diff(json_array_get(from, i), json_array_get(to, i), p, patch, depth + 1, err)) != 0)
			return rc;
		p->len = save;
		p->s[save] = '\0';
	}
	for (i = common; i < nt; i++) {
		if ((rc = pbuf_push_index(p, i)) != 0 ||
		    (rc = emit(patch, "add", p->s, json_array_get(to, i))) != 0)
			return rc;
		p->len = save;
		p->s[save] = '\0';
	}
	for (i = nf; i > common; i--) {
		if ((rc = pbuf_push_index(p, i - 1)) != 0 || (rc = emit(patch, "remove", p->s, NULL)) != 0)
			return rc;
		p->len = save;
		p->s[save] = '\0';
	}
	return 0;
}

static int diff(const json_t *from, const json_t *to, struct pbuf *p, json_t *patch, int depth,
		struct err *err)
{
	if (from == to)
		return 0; /* one node: nothing below it differs (callers share unchanged parts) */
	if (depth > JPATCH_MAX_DEPTH)
		return err_set(err, ERR_LIMIT, "json patch: documents nested deeper than %d levels",
			       JPATCH_MAX_DEPTH);
	if (json_is_object(from) && json_is_object(to))
		return diff_object(from, to, p, patch, depth, err);
	if (json_is_array(from) && json_is_array(to))
		return diff_array(from, to, p, patch, depth, err);
	if (json_equal((json_t *)from, (json_t *)to))
		return 0;
	return emit(patch, "replace", p->s, to);
}

int jpatch_diff(const json_t *from, const json_t *to, json_t **ret_patch, struct err *err)
{
	struct pbuf p = { NULL, 0, 0 };
	json_t *patch;
	int rc;

	*ret_patch = NULL;
	if (from == NULL || to == NULL)
		return err_set(err, ERR_INVALID, "json patch: missing document");
	patch = json_array();
	if (patch == NULL || pbuf_reserve(&p, 0) != 0) {
		json_decref(patch);
		free(p.s);
		return err_set(err, ERR_NOMEM, "json patch: out of memory");
	}
	p.s[0] = '\0';
	rc = diff(from, to, &p, patch, 0, err);
	free(p.s);
	if (rc != 0) {
		json_decref(patch);
		if (rc == ERR_NOMEM)
			err_set(err, ERR_NOMEM, "json patch: out of memory");
		return rc;
	}
	*ret_patch = patch;
	return 0;
}

int jpatch_diff_at(const char *path, const json_t *from, const json_t *to, json_t *patch, struct err *err)
{
	struct pbuf p = { NULL, 0, 0 };
	size_t n = strlen(path);
	int rc;

	if (to == NULL || !json_is_array(patch))
		return err_set(err, ERR_INVALID, "json patch: missing document");
	if (pbuf_reserve(&p, n) != 0)
		return err_set(err, ERR_NOMEM, "json patch: out of memory");
	memcpy(p.s, path, n + 1);
	p.len = n;
	rc = from == NULL ? emit(patch, "add", p.s, to) : diff(from, to, &p, patch, 0, err);
	free(p.s);
	if (rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "json patch: out of memory");
	return rc;
}

/* ---- apply ---- */

/* Decode the next token of ptr (starting after a '/') into tok (cap bytes).
 * Returns the position after the token, or NULL on a bad escape or overflow. */
static const char *next_token(const char *ptr, char *tok, size_t cap)
{
	size_t n = 0;

	while (*ptr && *ptr != '/') {
		char c = *ptr++;

		if (c == '~') {
			if (*ptr == '0')
				c = '~';
			else if (*ptr == '1')
				c = '/';
			else
				return NULL;
			ptr++;
		}
		if (n + 1 >= cap)
			return NULL;
		tok[n++] = c;
	}
	tok[n] = '\0';
	return ptr;
}

/* An array index token: "0" or digits without a leading zero. */
static bool parse_index(const char *tok, size_t *ret)
{
	size_t v = 0;
	const char *s = tok;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > ((size_t)-1 - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*s - '0');
	}
	*ret = v;
	return true;
}

enum op { OP_ADD, OP_REMOVE, OP_REPLACE, OP_TEST };

/* apply_one with tok[0..cap) for the path's tokens (cap > strlen(path): no token is
 * longer than its path) */
static int apply_at(json_t **doc, enum op op, const char *path, json_t *value, size_t idx, char *tok, size_t cap,
		    struct err *err)
{
	json_t *cur = *doc, *parent = NULL;
	const char *p = path;

	if (*p == '\0') {
		switch (op) {
		case OP_ADD:
		case OP_REPLACE: {
			json_t *n = jcopy(value);

			if (n == NULL)
				return err_set(err, ERR_NOMEM, "json patch: out of memory");
			json_decref(*doc);
			*doc = n;
			return 0;
		}
		case OP_TEST:
			return json_equal(cur, value) ? 0
				: err_set(err, ERR_INVALID, "json patch operation %zu: test failed at \"\"", idx);
		case OP_REMOVE:
			return err_set(err, ERR_INVALID, "json patch operation %zu: cannot remove the whole document", idx);
		}
	}
	if (*p != '/')
		return err_set(err, ERR_INVALID, "json patch operation %zu: path \"%s\" does not start with /", idx, path);
	for (;;) {
		p = next_token(p + 1, tok, cap);
		if (p == NULL)
			return err_set(err, ERR_INVALID, "json patch operation %zu: bad token in path \"%s\"", idx, path);
		parent = cur;
		if (*p == '\0')
			break;
		/* descend */
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			size_t i;

			cur = parse_index(tok, &i) ? json_array_get(cur, i) : NULL;
		} else {
			cur = NULL;
		}
		if (cur == NULL)
			return err_set(err, ERR_INVALID, "json patch operation %zu: path \"%s\" does not exist", idx, path);
	}
	/* last token applies to parent */
	if (json_is_object(parent)) {
		json_t *have = json_object_get(parent, tok);

		if (op != OP_ADD && have == NULL)
			return err_set(err, ERR_INVALID, "json patch operation %zu: path \"%s\" does not exist", idx, path);
		if (op == OP_TEST)
			return json_equal(have, value) ? 0
				: err_set(err, ERR_INVALID, "json patch operation %zu: test failed at \"%s\"", idx, path);
		if (op == OP_REMOVE)
			return json_object_del(parent, tok) == 0 ? 0
				: err_set(err, ERR_INTERNAL, "json patch: remove failed");
		if (json_object_set_new(parent, tok, jcopy(value)) != 0)
			return err_set(err, ERR_NOMEM, "json patch: out of memory");
		return 0;
	}
	if (json_is_array(parent)) {
		size_t n = json_array_size(parent), i;

		if (op == OP_ADD && strcmp(tok, "-") == 0)
			i = n;
		else if (!parse_index(tok, &i))
			return err_set(err, ERR_INVALID, "json patch operation %zu: \"%s\" is not an array index in \"%s\"", idx, tok, path);
		if (op == OP_ADD ? i > n : i >= n)
			return err_set(err, ERR_INVALID, "json patch operation %zu: index %zu out of range in \"%s\"", idx, i, path);
		switch (op) {
		case OP_ADD:
			return json_array_insert_new(parent, i, jcopy(value)) == 0 ? 0
				: err_set(err, ERR_NOMEM, "json patch: out of memory");
		case OP_REMOVE:
			return json_array_remove(parent, i) == 0 ? 0
				: err_set(err, ERR_INTERNAL, "json patch: remove failed");
		case OP_REPLACE:
			return json_array_set_new(parent, i, jcopy(value)) == 0 ? 0
				: err_set(err, ERR_NOMEM, "json patch: out of memory");
		case OP_TEST:
			return json_equal(json_array_get(parent, i), value) ? 0
				: err_set(err, ERR_INVALID, "json patch operation %zu: test failed at \"%s\"", idx, path);
		}
	}
	return err_set(err, ERR_INVALID, "json patch operation %zu: the parent of \"%s\" is not an object or array", idx, path);
}

/* One operation: its path's tokens go to a buffer on the stack, or for a path as long
 * as a member's key may be (jpatch_diff writes any key), to one on the heap. */
static int apply_one(json_t **doc, enum op op, const char *path, json_t *value, size_t idx, struct err *err)
{
	char stack[1024];
	size_t cap = strlen(path) + 1;
	char *tok = cap <= sizeof(stack) ? stack : malloc(cap);
	int rc;

	if (tok == NULL)
		return err_set(err, ERR_NOMEM, "json patch: out of memory");
	rc = apply_at(doc, op, path, value, idx, tok, cap, err);
	if (tok != stack)
		free(tok);
	return rc;
}

int jpatch_apply(const json_t *doc, const json_t *patch, json_t **ret_doc, struct err *err)
{
	json_t *work, *op;
	size_t i;
	int rc;

	*ret_doc = NULL;
	if (doc == NULL || !json_is_array(patch))
		return err_set(err, ERR_INVALID, "json patch: the patch must be a JSON array");
	work = jcopy(doc);
	if (work == NULL)
		return err_set(err, ERR_NOMEM, "json patch: out of memory");
	json_array_foreach(patch, i, op) {
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *value = json_object_get(op, "value");
		enum op o;

		if (name == NULL || path == NULL) {
			rc = err_set(err, ERR_INVALID, "json patch operation %zu: needs \"op\" and \"path\" strings", i);
			goto fail;
		}
		if (strcmp(name, "add") == 0)
			o = OP_ADD;
		else if (strcmp(name, "remove") == 0)
			o = OP_REMOVE;
		else if (strcmp(name, "replace") == 0)
			o = OP_REPLACE;
		else if (strcmp(name, "test") == 0)
			o = OP_TEST;
		else {
			rc = err_set(err, ERR_INVALID, "json patch operation %zu: op \"%s\" is not supported (add, remove, replace, test)", i, name);
			goto fail;
		}
		if (o != OP_REMOVE && value == NULL) {
			rc = err_set(err, ERR_INVALID, "json patch operation %zu: \"%s\" needs a value", i, name);
			goto fail;
		}
		if ((rc = apply_one(&work, o, path, value, i, err)) != 0)
			goto fail;
	}
	*ret_doc = work;
	return 0;
fail:
	json_decref(work);
	return rc;
}
