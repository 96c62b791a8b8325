/*
 * labels: see labels.h.
 *
 * Matching reads the selector in place: selectors are a handful of terms and are
 * evaluated once per candidate namespace, so compiling them into another structure
 * would cost more than it saves. JSON null members are treated as absent, as the API
 * server does when it decodes them into Go structs. Describing sorts a copy of the
 * term pointers because the message must not depend on how the user ordered the
 * YAML, the same reason kubectl's rendering sorts.
 */
#include "labels.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jv.h"

static bool values_contain(const json_t *values, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(values, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool expr_holds(const json_t *expr, const json_t *labels)
{
	const char *key = jv_str(expr, "key");
	const char *op = jv_str(expr, "operator");
	const json_t *values = jv_get(expr, "values");
	const json_t *lv;
	const char *val;

	if (key == NULL || op == NULL)
		return false;
	if (values != NULL && !json_is_array(values))
		return false;
	lv = jv_get(labels, key);
	val = json_is_string(lv) ? json_string_value(lv) : NULL;
	if (strcmp(op, "In") == 0)
		return val != NULL && values != NULL && values_contain(values, val);
	if (strcmp(op, "NotIn") == 0)
		return val == NULL || values == NULL || !values_contain(values, val);
	if (strcmp(op, "Exists") == 0)
		return lv != NULL;
	if (strcmp(op, "DoesNotExist") == 0)
		return lv == NULL;
	return false;
}

bool labels_selector_matches(const json_t *selector, const json_t *labels)
{
	const json_t *ml, *me, *v;
	const char *key;
	size_t i;

	if (!json_is_object(selector))
		return false;
	if (labels != NULL && !json_is_object(labels))
		labels = NULL;
	ml = jv_get(selector, "matchLabels");
	me = jv_get(selector, "matchExpressions");
	if ((ml != NULL && !json_is_object(ml)) || (me != NULL && !json_is_array(me)))
		return false;
	if (ml != NULL) {
		json_object_foreach((json_t *)ml, key, v) {
			const char *lv = jv_str(labels, key);

			if (!json_is_string(v) || lv == NULL || strcmp(lv, json_string_value(v)) != 0)
				return false;
		}
	}
	if (me != NULL) {
		json_array_foreach(me, i, v)
			if (!expr_holds(v, labels))
				return false;
	}
	return true;
}

/* snprintf-style appender: counts what the full text needs, writes what fits. */
struct out {
	char *buf;
	size_t sz;
	size_t len;
};

static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + 1 < o->sz) {
		size_t room = o->sz - 1 - o->len;
		size_t k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

struct term {
	const char *key;     /* borrowed; "?" when the expression has none */
	const json_t *val;   /* matchLabels value, or NULL for an expression */
	const json_t *expr;  /* the expression, or NULL for a matchLabels pair */
	size_t seq;          /* input order, to keep the sort stable */
};

static int term_cmp(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* " (a, b)" with the string values sorted; non-strings are left out. */
static int out_values(struct out *o, const json_t *values)
{
	size_t n = jv_size(values), k = 0, i;
	const char **sv;
	json_t *v;

	sv = malloc((n ? n : 1) * sizeof(*sv));
	if (sv == NULL)
		return ERR_NOMEM;
	json_array_foreach(values, i, v)
		if (json_is_string(v))
			sv[k++] = json_string_value(v);
	qsort(sv, k, sizeof(*sv), str_cmp);
	out_str(o, " (");
	for (i = 0; i < k; i++) {
		if (i > 0)
			out_str(o, ", ");
		out_str(o, sv[i]);
	}
	out_str(o, ")");
	free(sv);
	return 0;
}

static int out_term(struct out *o, const struct term *t)
{
	const char *op;

	if (t->expr == NULL) {
		out_str(o, t->key);
		out_str(o, "=");
		out_str(o, json_is_string(t->val) ? json_string_value(t->val) : "?");
		return 0;
	}
	op = jv_str(t->expr, "operator");
	if (op == NULL)
		op = "?";
	if (strcmp(op, "Exists") == 0) {
		out_str(o, t->key);
		return 0;
	}
	if (strcmp(op, "DoesNotExist") == 0) {
		out_str(o, "!");
		out_str(o, t->key);
		return 0;
	}
	out_str(o, t->key);
	out_str(o, " ");
	/* unknown operators are shown as written, so the message points at them */
	if (strcmp(op, "In") == 0)
		out_str(o, "in");
	else if (strcmp(op, "NotIn") == 0)
		out_str(o, "notin");
	else
		out_str(o, op);
	return out_values(o, jv_get(t->expr, "values"));
}

int labels_selector_describe(const json_t *selector, char *buf, size_t bufsz)
{
	struct out o = { buf, bufsz, 0 };
	const json_t *ml, *me, *v;
	struct term *terms;
	size_t n = 0, i;
	const char *key;
	int r = 0;

	if (bufsz > 0)
		buf[0] = '\0';
	if (!json_is_object(selector)) {
		out_str(&o, "<nothing>");
		return (int)o.len;
	}
	ml = jv_obj(selector, "matchLabels");
	me = jv_arr(selector, "matchExpressions");
	if (json_object_size(ml) + jv_size(me) == 0) {
		out_str(&o, "<everything>");
		return (int)o.len;
	}
	terms = malloc((json_object_size(ml) + jv_size(me)) * sizeof(*terms));
	if (terms == NULL)
		return ERR_NOMEM;
	if (ml != NULL) {
		json_object_foreach((json_t *)ml, key, v) {
			terms[n] = (struct term){ key, v, NULL, n };
			n++;
		}
	}
	json_array_foreach(me, i, v) {
		key = jv_str(v, "key");
		terms[n] = (struct term){ key ? key : "?", NULL, v, n };
		n++;
	}
	qsort(terms, n, sizeof(*terms), term_cmp);
	for (i = 0; i < n && r == 0; i++) {
		if (i > 0)
			out_str(&o, ", ");
		r = out_term(&o, &terms[i]);
	}
	free(terms);
	if (r < 0) {
		if (bufsz > 0)
			buf[0] = '\0';
		return r;
	}
	return (int)o.len;
}
