/*
 * input: reads the paths given on the command line: files, directories (walked
 * recursively in name order; *.yaml, *.yml and *.json; hidden directories skipped) and
 * "-" for stdin. A directory's kustomization.yaml that sets `namespace:` gives that
 * namespace to the objects below it (input_ctx.namespace). Applies --var substitution line by line while streaming into the YAML
 * parser, so a file is never held in memory whole.
 */
#ifndef CLI_INPUT_H
#define CLI_INPUT_H

#include "subst.h"
#include "yamldoc.h"

/* source: the file name ("-" shown as "<stdin>"), valid during the call only.
 * Return 0 to go on, negative to stop. The callback owns doc->root. */
typedef int (*input_doc_fn)(void *ud, const char *source, struct yamldoc *doc);
/* An input problem (unreadable file, bad YAML): source and a message. */
typedef void (*input_err_fn)(void *ud, const char *source, const char *msg);

struct input_ctx {
	const struct subst_vars *vars; /* may be NULL */
	input_doc_fn on_doc;
	input_err_fn on_error;
	void *ud;
	/* the namespace a kustomization.yaml of the directory being walked sets (kustomize's
	 * namespace transformer: it applies to every namespaced object below it, and an
	 * outer kustomization's wins); NULL outside such a directory. Borrowed by on_doc,
	 * valid during the call. */
	const char *namespace;
	/* documents the scanner thread may read ahead of the one building them (4 to 256;
	 * 0 or out of range: 256, the fastest for `check`). Each is its YAML events, tens
	 * of kilobytes for a large route, so a process whose peak memory counts more than
	 * its reading speed asks for fewer. */
	unsigned queue_docs;
	/* build each document in a jarena region (yamldoc_builder_use_regions): for a
	 * caller whose on_doc keeps none of the document's jansson values */
	bool regions;
	unsigned nerrors;     /* input problems reported so far */
	unsigned nfiles;      /* files read */
};

/* Read one command-line path. Returns 0, or the callback's negative code when it
 * stopped the walk. Input problems are reported through on_error and counted. */
int input_read_path(struct input_ctx *ctx, const char *path);

#endif
