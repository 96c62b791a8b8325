/*
 * yamldoc: event-driven builder from libyaml's parser events to jansson values. One stack
 * frame per open collection; mapping frames keep the pending key. Anchors are kept per
 * document (a new reference each) and aliases share the anchored value; every alias
 * adds the anchored value's size to the document's node budget, which stops alias bombs.
 */
#include "yamldoc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "err.h"
#include "jarena.h"

struct frame {
	json_t *value;      /* the collection being built (owned by the frame until closed) */
	char *key;          /* mapping: pending key, owned unless key_borrowed */
	bool key_plain;     /* the key came from a plain scalar: valid UTF-8 already */
	bool key_borrowed;  /* key is the event's own text (split mode: the batch outlives
			     * the document's build) */
	size_t nodes_start; /* budget counter when the collection started */
};

struct anchor {
	char *name;
	json_t *value;
	size_t size;
};

struct builder {
	struct frame stack[YAMLDOC_MAX_DEPTH + 1];
	int depth;
	size_t nodes;       /* expanded nodes in this document */
	struct anchor *anchors;
	size_t nanchors, capanchors;
	char *pending_anchor[YAMLDOC_MAX_DEPTH + 1]; /* anchor of the collection at each depth */
	json_t *root;
	int root_line;
	bool borrow_keys;   /* events stay alive until the document is built */
	bool regions;       /* each document in a jarena region (yamldoc_builder_use_regions) */
	struct yamldoc_line lines[YAMLDOC_MAX_LINES];
	size_t nlines;
};

static void key_clear(struct frame *f)
{
	if (!f->key_borrowed)
		free(f->key);
	f->key = NULL;
	f->key_borrowed = false;
}

/* Recycle the region of the document just dropped and open one for the next. A value
 * still alive there (a callback kept one: a bug) keeps that memory from being reused:
 * it stays valid, and sanitizer builds abort (jarena.h). */
static void regions_next(void)
{
	jarena_close();
	(void)jarena_open();
}

/* Drop the document being built (and with regions, recycle its region). */
static void builder_reset(struct builder *b)
{
	for (int i = 0; i < b->depth; i++) {
		json_decref(b->stack[i].value);
		key_clear(&b->stack[i]);
		free(b->pending_anchor[i]);
		b->pending_anchor[i] = NULL;
	}
	b->depth = 0;
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].value);
	}
	b->nanchors = 0;
	json_decref(b->root);
	b->root = NULL;
	b->nodes = 0;
	b->nlines = 0;
	if (b->regions)
		regions_next();
}

static int set_mark_err(struct err *err, int code, const yaml_mark_t *m, const char *what)
{
	return err_set(err, code, "line %zu, column %zu: %s", m->line + 1, m->column + 1, what);
}

static int add_anchor(struct builder *b, const char *name, json_t *v, size_t size)
{
	if (b->nanchors == b->capanchors) {
		size_t ncap = b->capanchors ? b->capanchors * 2 : 8;
		struct anchor *na = realloc(b->anchors, ncap * sizeof(*na));

		if (na == NULL)
			return ERR_NOMEM;
		b->anchors = na;
		b->capanchors = ncap;
	}
	b->anchors[b->nanchors].name = strdup(name);
	if (b->anchors[b->nanchors].name == NULL)
		return ERR_NOMEM;
	b->anchors[b->nanchors].value = json_incref(v);
	b->anchors[b->nanchors].size = size;
	b->nanchors++;
	return 0;
}

static const struct anchor *find_anchor(const struct builder *b, const char *name)
{
	/* the latest definition wins, as YAML allows redefinition */
	for (size_t i = b->nanchors; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return &b->anchors[i - 1];
	return NULL;
}

/* Attach v (stolen) to the open collection, or make it the root. */
static int attach(struct builder *b, json_t *v, const yaml_mark_t *m, struct err *err)
{
	struct frame *f;

	if (b->depth == 0) {
		b->root = v;
		b->root_line = (int)m->line + 1;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (json_is_array(f->value))
		return json_array_append_new(f->value, v) == 0 ? 0 : ERR_NOMEM;
	if (f->key == NULL) {
		/* v is a key: only scalars may be keys */
		if (!json_is_string(v) && !json_is_integer(v) && !json_is_boolean(v) && !json_is_null(v) &&
		    !json_is_real(v)) {
			json_decref(v);
			return set_mark_err(err, ERR_INVALID, m, "mapping keys must be scalars");
		}
		f->key_plain = false;
		f->key_borrowed = false;
		if (json_is_string(v)) {
			f->key = strdup(json_string_value(v));
		} else {
			char *tmp = json_dumps(v, JSON_ENCODE_ANY);

			f->key = tmp ? strdup(tmp) : NULL;
			jarena_free(tmp); /* json_dumps text is jansson's memory: in a region, not malloc's */
		}
		json_decref(v);
		return f->key ? 0 : ERR_NOMEM;
	}
	if (json_object_get(f->value, f->key) != NULL) {
		char msg[256];

		snprintf(msg, sizeof(msg), "duplicate mapping key \"%.120s\"", f->key);
		json_decref(v);
		return set_mark_err(err, ERR_INVALID, m, msg);
	}
	if ((f->key_plain ? json_object_set_new_nocheck(f->value, f->key, v)
			  : json_object_set_new(f->value, f->key, v)) != 0)
		return ERR_NOMEM;
	key_clear(f);
	return 0;
}

static bool is_plain_null(const char *s, size_t len)
{
	return len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static int plain_bool(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

static bool plain_int(const char *s, json_int_t *ret)
{
	char *end;
	long long v;
	int base = 10;
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (*p == '\0')
		return false;
	for (const char *q = p; *q; q++) {
		bool ok = base == 16 ? (strchr("0123456789abcdefABCDEF", *q) != NULL)
				     : (*q >= '0' && *q <= (base == 8 ? '7' : '9'));

		if (!ok)
			return false;
	}
	errno = 0;
	v = strtoll(p, &end, base);
	if (errno != 0 || *end != '\0')
		return false;
	*ret = (json_int_t)(s[0] == '-' ? -v : v);
	return true;
}

static bool plain_float(const char *s, double *ret)
{
	char *end;
	const char *p = s;
	bool digits = false;

	if (!strcmp(s, ".inf") || !strcmp(s, "+.inf") || !strcmp(s, "-.inf") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".Inf") || !strcmp(s, ".NaN"))
		return false; /* JSON cannot carry them: keep as strings */
	if (*p == '-' || *p == '+')
		p++;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits = true;
		else if (*p != '.' && *p != 'e' && *p != 'E' && *p != '-' && *p != '+')
			return false;
	}
	if (!digits)
		return false;
	errno = 0;
	*ret = strtod(s, &end);
	return errno == 0 && *end == '\0' && isfinite(*ret);
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_int_t iv;
	double dv;
	int bv;

	if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
		return json_stringn(s, len);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, len);
	/* hot path: a plain scalar can only be null, a boolean or a number when it starts
	 * with one of these bytes (or is empty) */
	if (len > 0 && strchr("~nNtTfF0123456789+-.", s[0]) == NULL)
		return json_stringn_nocheck(s, len);
	/* plain scalars hold no escapes, only bytes of the input, which libyaml's reader
	 * has checked to be UTF-8: jansson need not check them again */
	if (strlen(s) != len)
		return json_stringn_nocheck(s, len); /* embedded NUL: not a plain number */
	if (is_plain_null(s, len))
		return json_null();
	if ((bv = plain_bool(s)) >= 0)
		return json_boolean(bv);
	if (plain_int(s, &iv))
		return json_integer(iv);
	if (plain_float(s, &dv))
		return json_real(dv);
	return json_stringn_nocheck(s, len);
}

static int budget(struct builder *b, size_t n, const yaml_mark_t *m, struct err *err)
{
	b->nodes += n;
	if (b->nodes > YAMLDOC_MAX_NODES) {
		char msg[128];

		snprintf(msg, sizeof(msg), "document expands to more than %d nodes (alias bomb?)", YAMLDOC_MAX_NODES);
		return set_mark_err(err, ERR_LIMIT, m, msg);
	}
	return 0;
}

/* true when the scalar is a mapping key that would become a string anyway, so it can
 * be taken as text without building a JSON value (hot: half of all scalars are keys) */
static bool plain_text_key(const struct builder *b, const yaml_event_t *ev)
{
	const struct frame *f;
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (b->depth == 0 || ev->data.scalar.anchor != NULL || ev->data.scalar.tag != NULL)
		return false;
	f = &b->stack[b->depth - 1];
	if (!json_is_object(f->value) || f->key != NULL || len == 0 || strlen(s) != len)
		return false;
	return ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strchr("~nNtTfF0123456789+-.", s[0]) == NULL;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev, struct err *err)
{
	json_t *v;
	int rc;

	if (plain_text_key(b, ev)) {
		struct frame *f = &b->stack[b->depth - 1];

		rc = budget(b, 1, &ev->start_mark, err);
		if (rc < 0)
			return rc;
		f->key_borrowed = b->borrow_keys;
		f->key = b->borrow_keys ? (char *)ev->data.scalar.value : strdup((const char *)ev->data.scalar.value);
		f->key_plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return f->key ? 0 : ERR_NOMEM;
	}
	v = scalar_value(ev);
	if (v == NULL)
		return ERR_NOMEM;
	rc = budget(b, 1, &ev->start_mark, err);
	if (rc == 0 && ev->data.scalar.anchor)
		rc = add_anchor(b, (const char *)ev->data.scalar.anchor, v, 1);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	return attach(b, v, &ev->start_mark, err);
}

static int on_alias(struct builder *b, const yaml_event_t *ev, struct err *err)
{
	const struct anchor *a = find_anchor(b, (const char *)ev->data.alias.anchor);
	int rc;

	if (a == NULL)
		return set_mark_err(err, ERR_INVALID, &ev->start_mark, "alias names an unknown anchor");
	rc = budget(b, a->size, &ev->start_mark, err);
	if (rc < 0)
		return rc;
	/* a mapping key must be a copy: attach() consumes it as a key string */
	return attach(b, json_incref(a->value), &ev->start_mark, err);
}

static int on_start(struct builder *b, const yaml_event_t *ev, bool mapping, struct err *err)
{
	json_t *v;
	const unsigned char *anchor = mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	int rc;

	if (b->depth >= YAMLDOC_MAX_DEPTH) {
		char msg[96];

		snprintf(msg, sizeof(msg), "nesting deeper than %d levels", YAMLDOC_MAX_DEPTH);
		return set_mark_err(err, ERR_LIMIT, &ev->start_mark, msg);
	}
	if (b->depth > 0 && json_is_object(b->stack[b->depth - 1].value) && b->stack[b->depth - 1].key == NULL)
		return set_mark_err(err, ERR_INVALID, &ev->start_mark, "mapping keys must be scalars");
	rc = budget(b, 1, &ev->start_mark, err);
	if (rc < 0)
		return rc;
	v = mapping ? json_object() : json_array();
	if (v == NULL)
		return ERR_NOMEM;
	if (mapping && b->depth <= 3 && b->nlines < YAMLDOC_MAX_LINES) {
		b->lines[b->nlines].node = v;
		b->lines[b->nlines].line = (int)ev->start_mark.line + 1;
		b->nlines++;
	}
	b->stack[b->depth].value = v;
	b->stack[b->depth].key = NULL;
	b->stack[b->depth].key_borrowed = false;
	b->stack[b->depth].nodes_start = b->nodes;
	b->pending_anchor[b->depth] = anchor ? strdup((const char *)anchor) : NULL;
	if (anchor && b->pending_anchor[b->depth] == NULL) {
		json_decref(v);
		return ERR_NOMEM;
	}
	if (b->depth == 0)
		b->root_line = (int)ev->start_mark.line + 1;
	b->depth++;
	return 0;
}

static int on_end(struct builder *b, const yaml_event_t *ev, struct err *err)
{
	struct frame f;
	char *anchor;
	int rc = 0, line;

	b->depth--;
	f = b->stack[b->depth];
	anchor = b->pending_anchor[b->depth];
	b->pending_anchor[b->depth] = NULL;
	key_clear(&f);
	if (anchor)
		rc = add_anchor(b, anchor, f.value, b->nodes - f.nodes_start + 1);
	free(anchor);
	if (rc < 0) {
		json_decref(f.value);
		return rc;
	}
	line = b->root_line;
	rc = attach(b, f.value, &ev->start_mark, err);
	if (b->depth == 0)
		b->root_line = line; /* the root's line is where it started, not ended */
	return rc;
}

static int deliver(struct builder *b, yamldoc_fn fn, void *ud)
{
	struct yamldoc doc;
	int rc;

	if (b->root == NULL || json_is_null(b->root)) {
		builder_reset(b); /* an empty document ("---" alone) carries nothing */
		return 0;
	}
	doc.root = b->root;
	doc.line = b->root_line;
	doc.lines = b->lines;
	doc.nlines = b->nlines;
	b->root = NULL;
	rc = fn(ud, &doc);
	/* anchors do not cross documents */
	builder_reset(b);
	return rc;
}

/* One parser event through the builder (anything but STREAM_END). */
static int builder_event(struct builder *b, const yaml_event_t *ev, yamldoc_fn fn, void *ud, struct err *err)
{
	switch (ev->type) {
	case YAML_DOCUMENT_END_EVENT: return deliver(b, fn, ud);
	case YAML_SCALAR_EVENT: return on_scalar(b, ev, err);
	case YAML_ALIAS_EVENT: return on_alias(b, ev, err);
	case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, false, err);
	case YAML_MAPPING_START_EVENT: return on_start(b, ev, true, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: return on_end(b, ev, err);
	default: return 0;
	}
}

static int parser_error(const yaml_parser_t *parser, struct err *err)
{
	if (parser->error == YAML_READER_ERROR && parser->problem && strstr(parser->problem, "input error") != NULL)
		return err_set(err, ERR_IO, "read error");
	if (parser->error == YAML_MEMORY_ERROR)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (parser->error == YAML_READER_ERROR)
		return err_set(err, ERR_INVALID, "byte offset %zu: %s", parser->problem_offset,
			       parser->problem ? parser->problem : "cannot read the stream");
	return err_set(err, ERR_INVALID, "line %zu, column %zu: %s%s%s", parser->problem_mark.line + 1,
		       parser->problem_mark.column + 1, parser->problem ? parser->problem : "syntax error",
		       parser->context ? " " : "", parser->context ? parser->context : "");
}

static void builder_free(struct builder *b)
{
	if (b == NULL)
		return;
	builder_reset(b);
	free(b->anchors);
	free(b);
}

int yamldoc_parse_stream(yamldoc_read_fn rd, void *rd_data, yamldoc_fn fn, void *ud, struct err *err)
{
	yaml_parser_t parser;
	struct builder *b;
	int rc = 0;
	bool done = false;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (!yaml_parser_initialize(&parser)) {
		free(b);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input(&parser, rd, rd_data);
	while (!done && rc == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&parser, err);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = true;
		else
			rc = builder_event(b, &ev, fn, ud, err);
		yaml_event_delete(&ev);
	}
	if (rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "out of memory");
	builder_free(b);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- split mode: scan in one thread, build in another ---- */

/* A document's events. Their strings (scalar values, tags, anchors) are copied into
 * the batch's own text blocks as each event is scanned, and libyaml's copies freed at
 * once, while still in the scanning thread's cache: freeing a batch is then a few
 * blocks, not every string of the document long after it was made (which was a
 * quarter of the scanning thread's time, and that thread bounds the reading). */
struct text_block {
	struct text_block *next;
	size_t used, cap;
	char data[];
};

#define TEXT_BLOCK (16 * 1024)

struct yamldoc_batch {
	yaml_event_t *v;          /* events of one document, ending with DOCUMENT_END; their
				   * strings point into text (never into libyaml's memory) */
	size_t n, cap;
	struct text_block *text;  /* the block being filled first; never moved */
};

struct yamldoc_builder {
	struct builder *b;
};

void yamldoc_batch_free(struct yamldoc_batch *batch)
{
	if (batch == NULL)
		return;
	while (batch->text != NULL) {
		struct text_block *next = batch->text->next;

		free(batch->text);
		batch->text = next;
	}
	free(batch->v);
	free(batch);
}

/* A copy of the n bytes at p and a NUL in the batch's text (p may hold no NUL before
 * n: a scalar's value may contain one). NULL on ENOMEM. */
static yaml_char_t *batch_text(struct yamldoc_batch *batch, const yaml_char_t *p, size_t n)
{
	struct text_block *t = batch->text;
	char *q;

	if (t == NULL || t->cap - t->used < n + 1) {
		size_t cap = n + 1 > TEXT_BLOCK / 4 ? n + 1 : TEXT_BLOCK;

		t = malloc(sizeof(*t) + cap);
		if (t == NULL)
			return NULL;
		t->used = 0;
		t->cap = cap;
		if (cap == TEXT_BLOCK || batch->text == NULL) {
			t->next = batch->text;   /* the new block is the one being filled */
			batch->text = t;
		} else {
			t->next = batch->text->next; /* a large string's own block, kept behind */
			batch->text->next = t;
		}
	}
	q = t->data + t->used;
	memcpy(q, p, n);
	q[n] = '\0';
	t->used += (n + 1 + 7) & ~(size_t)7;
	if (t->used > t->cap)
		t->used = t->cap;
	return (yaml_char_t *)q;
}

/* NULL stays NULL; *ok turns false on ENOMEM */
static yaml_char_t *batch_cstr(struct yamldoc_batch *batch, const yaml_char_t *p, bool *ok)
{
	yaml_char_t *q;

	if (p == NULL)
		return NULL;
	q = batch_text(batch, p, strlen((const char *)p));
	if (q == NULL)
		*ok = false;
	return q;
}

/* Store a copy of ev in the batch, its strings in the batch's text; ev stays the
 * caller's to delete. */
static int batch_push(struct yamldoc_batch *batch, const yaml_event_t *ev)
{
	yaml_event_t *e;
	bool ok = true;

	if (batch->n == batch->cap) {
		size_t cap = batch->cap ? batch->cap * 2 : 64;
		yaml_event_t *v = realloc(batch->v, cap * sizeof(*v));

		if (v == NULL)
			return ERR_NOMEM;
		batch->v = v;
		batch->cap = cap;
	}
	e = &batch->v[batch->n];
	memset(e, 0, sizeof(*e));
	e->type = ev->type;
	e->start_mark = ev->start_mark;
	e->end_mark = ev->end_mark;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		e->data.scalar = ev->data.scalar;
		e->data.scalar.anchor = batch_cstr(batch, ev->data.scalar.anchor, &ok);
		e->data.scalar.tag = batch_cstr(batch, ev->data.scalar.tag, &ok);
		e->data.scalar.value = batch_text(batch, ev->data.scalar.value, ev->data.scalar.length);
		ok = ok && e->data.scalar.value != NULL;
		break;
	case YAML_ALIAS_EVENT:
		e->data.alias.anchor = batch_cstr(batch, ev->data.alias.anchor, &ok);
		break;
	case YAML_SEQUENCE_START_EVENT:
		e->data.sequence_start = ev->data.sequence_start;
		e->data.sequence_start.anchor = batch_cstr(batch, ev->data.sequence_start.anchor, &ok);
		e->data.sequence_start.tag = batch_cstr(batch, ev->data.sequence_start.tag, &ok);
		break;
	case YAML_MAPPING_START_EVENT:
		e->data.mapping_start = ev->data.mapping_start;
		e->data.mapping_start.anchor = batch_cstr(batch, ev->data.mapping_start.anchor, &ok);
		e->data.mapping_start.tag = batch_cstr(batch, ev->data.mapping_start.tag, &ok);
		break;
	default: break; /* the ends carry no strings; the stream and document starts are not stored */
	}
	if (!ok)
		return ERR_NOMEM;
	batch->n++;
	return 0;
}

int yamldoc_scan_stream(yamldoc_read_fn rd, void *rd_data, yamldoc_batch_fn fn, void *ud, struct err *err)
{
	yaml_parser_t parser;
	struct yamldoc_batch *batch = NULL;
	int rc = 0, depth = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return err_set(err, ERR_NOMEM, "out of memory");
	yaml_parser_set_input(&parser, rd, rd_data);
	while (!done && rc == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&parser, err);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			/* checked here too, so a deep document does not pile up events */
			if (++depth > YAMLDOC_MAX_DEPTH) {
				char msg[96];

				snprintf(msg, sizeof(msg), "nesting deeper than %d levels", YAMLDOC_MAX_DEPTH);
				rc = set_mark_err(err, ERR_LIMIT, &ev.start_mark, msg);
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: depth--; break;
		default: break;
		}
		if (rc == 0 && ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_STREAM_END_EVENT &&
		    ev.type != YAML_DOCUMENT_START_EVENT) {
			if (batch == NULL && (batch = calloc(1, sizeof(*batch))) == NULL)
				rc = err_set(err, ERR_NOMEM, "out of memory");
			else if (batch->n > 2 * (size_t)YAMLDOC_MAX_NODES)
				rc = set_mark_err(err, ERR_LIMIT, &ev.start_mark, "document has too many nodes");
			else if (batch_push(batch, &ev) != 0)
				rc = err_set(err, ERR_NOMEM, "out of memory");
			else if (ev.type == YAML_DOCUMENT_END_EVENT) {
				rc = fn(ud, batch); /* fn owns the batch now */
				batch = NULL;
			}
		}
		yaml_event_delete(&ev); /* the batch has its own copy */
	}
	yamldoc_batch_free(batch);
	yaml_parser_delete(&parser);
	return rc;
}

struct yamldoc_builder *yamldoc_builder_new(void)
{
	struct yamldoc_builder *yb = calloc(1, sizeof(*yb));

	if (yb == NULL)
		return NULL;
	yb->b = calloc(1, sizeof(*yb->b));
	if (yb->b == NULL) {
		free(yb);
		return NULL;
	}
	yb->b->borrow_keys = true; /* yamldoc_build reads a whole batch, then returns */
	return yb;
}

bool yamldoc_builder_use_regions(struct yamldoc_builder *yb)
{
	if (!yb->b->regions && jarena_open() == 0)
		yb->b->regions = true;
	return yb->b->regions;
}

void yamldoc_builder_free(struct yamldoc_builder *yb)
{
	bool regions;

	if (yb == NULL)
		return;
	regions = yb->b->regions;
	builder_free(yb->b);
	free(yb);
	if (regions)
		jarena_close();
}

int yamldoc_build(struct yamldoc_builder *yb, struct yamldoc_batch *batch, yamldoc_fn fn, void *ud, struct err *err)
{
	int rc = 0;

	for (size_t i = 0; i < batch->n && rc == 0; i++)
		rc = builder_event(yb->b, &batch->v[i], fn, ud, err);
	if (rc != 0)
		builder_reset(yb->b); /* a half-built document is dropped */
	if (rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "out of memory");
	return rc;
}

int yamldoc_line(const struct yamldoc *doc, const json_t *node, int fallback)
{
	for (size_t i = 0; i < doc->nlines; i++)
		if (doc->lines[i].node == node)
			return doc->lines[i].line;
	return fallback;
}
