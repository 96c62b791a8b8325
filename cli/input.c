/*
 * input: see input.h. Substitution needs whole lines (a ${VAR} never spans lines in
 * practice), so with --var the reader pulls one line at a time through getline();
 * without it the parser reads the FILE directly in large blocks.
 */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

#define INPUT_MAX_DIR_DEPTH 32

struct reader {
	FILE *f;
	const struct subst_vars *vars;
	char *line;
	size_t linecap;
	char *out;
	size_t outcap, outlen, outpos;
	int error;
};

static int read_handler(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct reader *r = data;

	if (r->vars == NULL || r->vars->n == 0) {
		size_t n = fread(buf, 1, size, r->f);

		if (n == 0 && ferror(r->f)) {
			r->error = errno ? errno : EIO;
			return 0;
		}
		*size_read = n;
		return 1;
	}
	while (r->outpos >= r->outlen) {
		ssize_t n = getline(&r->line, &r->linecap, r->f);
		size_t need;

		if (n < 0) {
			if (ferror(r->f)) {
				r->error = errno ? errno : EIO;
				return 0;
			}
			*size_read = 0;
			return 1;
		}
		need = subst_apply(r->vars, r->line, (size_t)n, r->out, r->outcap);
		if (need >= r->outcap) {
			char *nb = realloc(r->out, need + 1);

			if (nb == NULL) {
				r->error = ENOMEM;
				return 0;
			}
			r->out = nb;
			r->outcap = need + 1;
			subst_apply(r->vars, r->line, (size_t)n, r->out, r->outcap);
		}
		r->outlen = need;
		r->outpos = 0;
	}
	*size_read = r->outlen - r->outpos < size ? r->outlen - r->outpos : size;
	memcpy(buf, r->out + r->outpos, *size_read);
	r->outpos += *size_read;
	return 1;
}

/*
 * Parsing and evaluating overlap: a scanner thread runs libyaml over the stream and hands
 * each document's events over through a small bounded queue; the calling thread builds
 * the documents from them and evaluates them, in order. libyaml's scanning is the
 * larger half of reading; building the trees and checking them is the other. The queue
 * bounds memory (input_ctx.queue_docs documents in flight, QUEUE_DOCS at most and by
 * default) and keeps the order of documents, so results are the same as with one
 * thread.
 */
#define QUEUE_DOCS 256
/* wake the other side in batches, not per document: a hand-over per document costs
 * two context switches, more than evaluating a small document (a quarter of a shorter
 * queue) */
#define QUEUE_BATCH 32

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	struct yamldoc_batch *ring[QUEUE_DOCS];
	size_t cap, batch;  /* documents in flight at most; wake-up every batch documents */
	size_t head, count;
	/* built batches go back to the scanner to be freed: it allocated their events, and
	 * it has time to spare while the builder is the busier side */
	struct yamldoc_batch *spent[QUEUE_DOCS];
	size_t nspent;
	bool done;       /* the scanner finished (rc and err are final) */
	bool cancel;     /* the consumer wants no more documents */
	int rc;
	struct err err;
	struct reader *r;
};

/* scanner thread side: called by yamldoc for each document */
static int enqueue(void *ud, struct yamldoc_batch *batch)
{
	struct queue *q = ud;
	struct yamldoc_batch *spent[QUEUE_DOCS];
	size_t nspent;

	pthread_mutex_lock(&q->mu);
	nspent = q->nspent;
	memcpy(spent, q->spent, nspent * sizeof(spent[0]));
	q->nspent = 0;
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < nspent; i++)
		yamldoc_batch_free(spent[i]);

	pthread_mutex_lock(&q->mu);
	while (q->count == q->cap && !q->cancel)
		pthread_cond_wait(&q->changed, &q->mu);
	if (q->cancel) {
		pthread_mutex_unlock(&q->mu);
		yamldoc_batch_free(batch);
		return ERR_INTERNAL; /* stop scanning: nobody will read the rest */
	}
	q->ring[(q->head + q->count) % q->cap] = batch;
	q->count++;
	if (q->count == q->batch || q->count == q->cap)
		pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static void *scanner_main(void *arg)
{
	struct queue *q = arg;
	struct err err;
	int rc;

	err_init(&err);
	rc = yamldoc_scan_stream(read_handler, q->r, enqueue, q, &err);
	pthread_mutex_lock(&q->mu);
	q->rc = rc;
	q->err = err;
	q->done = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* consumer side: the next batch, or NULL when the scanner is done and drained */
static struct yamldoc_batch *dequeue(struct queue *q)
{
	struct yamldoc_batch *batch = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && !q->done)
		pthread_cond_wait(&q->changed, &q->mu);
	if (q->count > 0) {
		batch = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		if (q->count == q->cap - q->batch)
			pthread_cond_broadcast(&q->changed);
	}
	pthread_mutex_unlock(&q->mu);
	return batch;
}

/* consumer side: hand a built batch back to the scanner (or free it here when the
 * scanner has a full tray) */
static void give_back(struct queue *q, struct yamldoc_batch *batch)
{
	bool kept = false;

	pthread_mutex_lock(&q->mu);
	if (!q->done && q->nspent < QUEUE_DOCS) {
		q->spent[q->nspent++] = batch;
		kept = true;
	}
	pthread_mutex_unlock(&q->mu);
	if (!kept)
		yamldoc_batch_free(batch);
}

static void cancel_and_drain(struct queue *q)
{
	struct yamldoc_batch *batch;

	pthread_mutex_lock(&q->mu);
	q->cancel = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
	while ((batch = dequeue(q)) != NULL)
		yamldoc_batch_free(batch);
}

struct doc_relay {
	struct input_ctx *ctx;
	const char *source;
};

static int relay(void *ud, struct yamldoc *doc)
{
	struct doc_relay *d = ud;

	return d->ctx->on_doc(d->ctx->ud, d->source, doc);
}

/* Scan in a second thread while the documents are built and evaluated here. Returns
 * the first error (building here, else scanning there, with err set) or the callback's
 * negative code when it stopped. */
static int parse_pipelined(struct input_ctx *ctx, struct reader *r, const char *source, struct err *err)
{
	struct queue *q = calloc(1, sizeof(*q));
	struct yamldoc_builder *yb = yamldoc_builder_new();
	struct doc_relay rel = { ctx, source };
	struct yamldoc_batch *batch;
	pthread_t th;
	int stop = 0, rc;

	if (q == NULL || yb == NULL) {
		free(q);
		yamldoc_builder_free(yb);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (ctx->regions)
		(void)yamldoc_builder_use_regions(yb);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->changed, NULL);
	q->r = r;
	q->cap = ctx->queue_docs >= 4 && ctx->queue_docs < QUEUE_DOCS ? ctx->queue_docs : QUEUE_DOCS;
	q->batch = q->cap / 4 < QUEUE_BATCH ? q->cap / 4 : QUEUE_BATCH;
	err_init(&q->err);
	if (pthread_create(&th, NULL, scanner_main, q) != 0) {
		pthread_cond_destroy(&q->changed);
		pthread_mutex_destroy(&q->mu);
		free(q);
		yamldoc_builder_free(yb);
		return err_set(err, ERR_NOMEM, "cannot start the parser thread");
	}
	while (stop == 0 && (batch = dequeue(q)) != NULL) {
		stop = yamldoc_build(yb, batch, relay, &rel, err);
		give_back(q, batch);
	}
	if (stop < 0)
		cancel_and_drain(q);
	pthread_join(th, NULL);
	for (size_t i = 0; i < q->nspent; i++)
		yamldoc_batch_free(q->spent[i]);
	rc = stop < 0 ? stop : q->rc;
	if (stop >= 0)
		*err = q->err;
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->mu);
	free(q);
	yamldoc_builder_free(yb);
	return rc;
}

static void report(struct input_ctx *ctx, const char *source, const char *what, const char *detail)
{
	char msg[ERR_MSG_MAX + 64];

	snprintf(msg, sizeof(msg), "%s%s", what, detail);
	ctx->nerrors++;
	ctx->on_error(ctx->ud, source, msg);
}

static int read_stream(struct input_ctx *ctx, FILE *f, const char *source)
{
	struct reader r = { .f = f, .vars = ctx->vars };
	struct err err;
	int rc;

	err_init(&err);
	ctx->nfiles++;
	rc = parse_pipelined(ctx, &r, source, &err);
	if (r.error != 0)
		report(ctx, source, "cannot read: ", strerror(r.error));
	else if (rc < 0 && err.code != ERR_OK)
		report(ctx, source, "", err.msg);
	free(r.line);
	free(r.out);
	/* a callback's stop request is passed up; parse errors are per file */
	return (rc < 0 && err.code == ERR_OK && r.error == 0) ? rc : 0;
}

static int read_file(struct input_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (f == NULL) {
		report(ctx, path, "cannot open: ", strerror(errno));
		return 0;
	}
	rc = read_stream(ctx, f, path);
	fclose(f);
	return rc;
}

static bool wanted(const char *name)
{
	size_t n = strlen(name);

	if (n >= 5 && strcmp(name + n - 5, ".yaml") == 0)
		return true;
	if (n >= 4 && strcmp(name + n - 4, ".yml") == 0)
		return true;
	return n >= 5 && strcmp(name + n - 5, ".json") == 0;
}

static int first_doc(void *ud, struct yamldoc *doc)
{
	json_t **ret = ud;

	if (*ret == NULL)
		*ret = doc->root;
	else
		json_decref(doc->root);
	return 0;
}

/* The namespace dir's kustomization sets, as a new string; NULL when none. A broken
 * kustomization is reported and ignored (it is not an object gatewarden checks). */
static char *kustomization_namespace(struct input_ctx *ctx, const char *dir)
{
	static const char *const names[] = { "kustomization.yaml", "kustomization.yml", "Kustomization" };
	char *ns = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && ns == NULL; i++) {
		char *path;
		FILE *f;
		struct reader r = { 0 };
		json_t *root = NULL;
		struct err err;

		if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
			return NULL;
		f = fopen(path, "rb");
		if (f != NULL) {
			r.f = f;
			err_init(&err);
			if (yamldoc_parse_stream(read_handler, &r, first_doc, &root, &err) < 0 && err.code != ERR_OK)
				report(ctx, path, "", err.msg);
			else if (json_is_string(json_object_get(root, "namespace")))
				ns = strdup(json_string_value(json_object_get(root, "namespace")));
			json_decref(root);
			fclose(f);
		}
		free(path);
	}
	return ns;
}

static int walk(struct input_ctx *ctx, const char *dir, int depth)
{
	struct dirent **ents = NULL;
	int n, rc = 0;
	char *ns = NULL;
	const char *outer = ctx->namespace;

	if (depth > INPUT_MAX_DIR_DEPTH) {
		report(ctx, dir, "directory not descended: ", "nested more than 32 levels deep");
		return 0;
	}
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		report(ctx, dir, "cannot read directory: ", strerror(errno));
		return 0;
	}
	if (outer == NULL) {
		ns = kustomization_namespace(ctx, dir);
		if (ns != NULL)
			ctx->namespace = ns;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *child;
		struct stat st;

		if (rc == 0 && name[0] != '.') {
			if (asprintf(&child, "%s/%s", dir, name) < 0) {
				rc = ERR_NOMEM;
			} else {
				if (stat(child, &st) != 0)
					report(ctx, child, "cannot stat: ", strerror(errno));
				else if (S_ISDIR(st.st_mode))
					rc = walk(ctx, child, depth + 1);
				else if (S_ISREG(st.st_mode) && wanted(name))
					rc = read_file(ctx, child);
				free(child);
			}
		}
		free(ents[i]);
	}
	free(ents);
	ctx->namespace = outer;
	free(ns);
	return rc;
}

int input_read_path(struct input_ctx *ctx, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return read_stream(ctx, stdin, "<stdin>");
	if (stat(path, &st) != 0) {
		report(ctx, path, "cannot open: ", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		/* strip trailing slashes so sources read "dir/file.yaml" */
		char *copy = strdup(path);
		size_t n;
		int rc;

		if (copy == NULL)
			return ERR_NOMEM;
		n = strlen(copy);
		while (n > 1 && copy[n - 1] == '/')
			copy[--n] = '\0';
		rc = walk(ctx, copy, 0);
		free(copy);
		return rc;
	}
	return read_file(ctx, path);
}
