/*
 * input: see input.h. Substitution needs whole lines (a ${VAR} never spans lines in
 * practice), so with --var the reader pulls one line at a time through getline();
 * without it the parser reads the FILE directly in large blocks.
 */
#include "input.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
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

struct doc_relay {
	struct input_ctx *ctx;
	const char *source;
};

static int relay(void *ud, struct yamldoc *doc)
{
	struct doc_relay *d = ud;

	return d->ctx->on_doc(d->ctx->ud, d->source, doc);
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
	struct doc_relay d = { ctx, source };
	struct err err;
	int rc;

	err_init(&err);
	ctx->nfiles++;
	rc = yamldoc_parse_stream(read_handler, &r, relay, &d, &err);
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

static int walk(struct input_ctx *ctx, const char *dir, int depth)
{
	struct dirent **ents = NULL;
	int n, rc = 0;

	if (depth > INPUT_MAX_DIR_DEPTH) {
		report(ctx, dir, "directory not descended: ", "nested more than 32 levels deep");
		return 0;
	}
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		report(ctx, dir, "cannot read directory: ", strerror(errno));
		return 0;
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
