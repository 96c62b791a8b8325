/*
 * yamldoc: the only user of libyaml. Turns a YAML (or JSON) byte stream into one jansson
 * value per document, streaming: each document is handed to a callback as soon as it
 * is complete, so memory is bounded by the largest document, not the stream.
 *
 * Typing follows the YAML 1.2 core schema for plain scalars (null, true/false, integers,
 * floats; everything else a string); quoted scalars are strings. Duplicate mapping keys
 * and non-scalar keys are errors (strict decoding). Nesting deeper than YAMLDOC_MAX_DEPTH
 * and alias expansion beyond YAMLDOC_MAX_NODES nodes per document are ERR_LIMIT.
 */
#ifndef CLI_YAMLDOC_H
#define CLI_YAMLDOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct err;

#define YAMLDOC_MAX_DEPTH 100
/* a depth limit for writing a document's values back as text (jwrite) and reading that
 * text again (jparse): above YAMLDOC_MAX_DEPTH, so it never refuses a value read here */
#define YAMLDOC_TEXT_DEPTH 512
#define YAMLDOC_MAX_NODES 1000000
#define YAMLDOC_MAX_LINES 4096 /* mapping start lines remembered per document */

struct yamldoc_line {
	const json_t *node; /* borrowed: a mapping of the document */
	int line;           /* 1-based */
};

struct yamldoc {
	json_t *root;  /* new reference; the callback owns it */
	int line;      /* 1-based line where the document's root node starts */
	/* start lines of the mappings nearest the root (root, List items), borrowed,
	 * valid during the callback only */
	const struct yamldoc_line *lines;
	size_t nlines;
};

/* Same contract as libyaml's yaml_read_handler_t: return 1 and set *size_read (0 at
 * end of input), or 0 on a read error. */
typedef int (*yamldoc_read_fn)(void *data, unsigned char *buffer, size_t size, size_t *size_read);
/* Return 0 to go on, a negative err code to stop. */
typedef int (*yamldoc_fn)(void *ud, struct yamldoc *doc);

/* Parse the whole stream. Returns 0, the callback's negative code, or ERR_INVALID /
 * ERR_LIMIT / ERR_NOMEM / ERR_IO with err set to "line L, column C: problem". Documents
 * before an error have been delivered. */
int yamldoc_parse_stream(yamldoc_read_fn rd, void *rd_data, yamldoc_fn fn, void *ud, struct err *err);

/*
 * Split mode, for parsing in one thread and building in another: yamldoc_scan_stream
 * runs libyaml and hands each document's events over as a batch (the callback owns it);
 * yamldoc_build turns a batch into the document, with the same checks and errors as
 * yamldoc_parse_stream (the depth limit is also enforced while scanning, so a deep
 * document is refused before its events pile up). A builder is reused across the
 * documents of a stream; anchors do not cross documents.
 */
struct yamldoc_batch;
struct yamldoc_builder;

typedef int (*yamldoc_batch_fn)(void *ud, struct yamldoc_batch *batch);

int yamldoc_scan_stream(yamldoc_read_fn rd, void *rd_data, yamldoc_batch_fn fn, void *ud, struct err *err);
void yamldoc_batch_free(struct yamldoc_batch *batch);
struct yamldoc_builder *yamldoc_builder_new(void);
void yamldoc_builder_free(struct yamldoc_builder *yb);
/* Build each document in a jarena region of the calling thread (common/jarena.h),
 * recycled whole once the document is delivered and dropped: no malloc or free per
 * node, and every document reuses the memory, still in cache, of the one before. The
 * callback must keep none of the document's jansson values: what it keeps it copies
 * with jarena_keep_begin/end. Only on the thread that builds, with jarena installed;
 * returns false (and builds as before) when no region could be opened. */
bool yamldoc_builder_use_regions(struct yamldoc_builder *yb);
/* Builds batch and calls fn with the document. The batch stays the caller's (free it
 * with yamldoc_batch_free, from any thread): the document's mapping keys are read
 * from its events while building. Returns 0, fn's negative code, or ERR_INVALID /
 * ERR_LIMIT / ERR_NOMEM with err set. */
int yamldoc_build(struct yamldoc_builder *yb, struct yamldoc_batch *batch, yamldoc_fn fn, void *ud,
		  struct err *err);

/* The 1-based start line of node in doc, or fallback when unknown. */
int yamldoc_line(const struct yamldoc *doc, const json_t *node, int fallback);

#endif
