/*
 * check: reads every path, evaluates each Gateway API object with the engine and
 * reports. Documents are parsed one at a time and freed after evaluation; only the
 * compact results (names and findings) are kept until the report is written.
 */
#include "check.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "findings.h"
#include "input.h"
#include "jv.h"
#include "kind.h"
#include "report.h"
#include "rules.h"
#include "subst.h"

struct check {
	struct rules_config rules;
	struct subst_vars vars;
	const char *default_ns;
	struct report rep;
	struct report_summary sum;
	struct report_obj *objs;
	size_t nobjs, capobjs;
	char **sources;           /* interned file names */
	size_t nsources, capsources;
	int fatal;                /* ERR_NOMEM seen */
	unsigned bad_docs;        /* documents that are not objects */
};

static const char *intern_source(struct check *c, const char *source)
{
	if (c->nsources > 0 && strcmp(c->sources[c->nsources - 1], source) == 0)
		return c->sources[c->nsources - 1];
	if (c->nsources == c->capsources) {
		size_t ncap = c->capsources ? c->capsources * 2 : 16;
		char **ns = realloc(c->sources, ncap * sizeof(*ns));

		if (ns == NULL)
			return NULL;
		c->sources = ns;
		c->capsources = ncap;
	}
	c->sources[c->nsources] = strdup(source);
	if (c->sources[c->nsources] == NULL)
		return NULL;
	return c->sources[c->nsources++];
}

static struct report_obj *new_obj(struct check *c)
{
	if (c->nobjs == c->capobjs) {
		size_t ncap = c->capobjs ? c->capobjs * 2 : 64;
		struct report_obj *no = realloc(c->objs, ncap * sizeof(*no));

		if (no == NULL)
			return NULL;
		c->objs = no;
		c->capobjs = ncap;
	}
	memset(&c->objs[c->nobjs], 0, sizeof(c->objs[0]));
	return &c->objs[c->nobjs++];
}

static void on_input_error(void *ud, const char *source, const char *msg)
{
	struct check *c = ud;

	report_input_error(&c->rep, source, msg);
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

/* Evaluate one object (a mapping). Owns nothing: obj belongs to the document. */
static int check_object(struct check *c, const char *source, int line, json_t *obj)
{
	const json_t *meta = jv_obj(obj, "metadata");
	enum kind k = engine_classify(obj);
	struct report_obj *o;

	if (!kind_is_validated(k)) {
		c->sum.skipped++;
		return 0;
	}
	o = new_obj(c);
	if (o == NULL)
		return ERR_NOMEM;
	o->source = intern_source(c, source);
	o->line = line;
	o->kind = k;
	o->api_version = dup_or(jv_str(obj, "apiVersion"), "");
	o->ns = dup_or(jv_str(meta, "namespace"), c->default_ns);
	o->name = dup_or(jv_str(meta, "name"), "<unnamed>");
	findings_init(&o->fs, &c->rules);
	if (o->source == NULL || o->api_version == NULL || o->ns == NULL || o->name == NULL)
		return ERR_NOMEM;
	return engine_check_object(obj, &o->fs, &k);
}

static int on_doc(void *ud, const char *source, struct yamldoc *doc)
{
	struct check *c = ud;
	json_t *root = doc->root;
	int rc = 0;

	if (!json_is_object(root)) {
		char msg[128];

		snprintf(msg, sizeof(msg), "line %d: document is not a Kubernetes object (a mapping)", doc->line);
		if (!json_is_null(root)) {
			report_input_error(&c->rep, source, msg);
			c->bad_docs++;
		}
		json_decref(root);
		return 0;
	}
	if (jv_streq(root, "kind", "List") && jv_arr(root, "items")) {
		json_t *item;
		size_t i;

		json_array_foreach(jv_arr(root, "items"), i, item) {
			if (!json_is_object(item))
				continue;
			rc = check_object(c, source, yamldoc_line(doc, item, doc->line), item);
			if (rc < 0)
				break;
		}
	} else {
		rc = check_object(c, source, doc->line, root);
	}
	json_decref(root);
	if (rc == ERR_NOMEM)
		c->fatal = rc;
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: gatewarden check [options] PATH...\n"
	      "\n"
	      "Validate Gateway API objects offline with the same engine as the webhook.\n"
	      "PATH is a file, a directory (walked recursively for *.yaml, *.yml, *.json)\n"
	      "or - for stdin, e.g. `kubectl kustomize dir | gatewarden check -`.\n"
	      "Kinds other than Gateway, HTTPRoute and GRPCRoute are skipped silently.\n"
	      "\n"
	      "options:\n"
	      "  -o, --output text|json   output format (default text)\n"
	      "      --var NAME=VALUE     substitute ${NAME} as Flux post-build does (repeatable)\n"
	      "      --rule ID=ACTION     ACTION is off, warn or error (repeatable);\n"
	      "                           `gatewarden rules` lists the ids\n"
	      "  -n, --namespace NS       namespace of objects that set none (default \"default\")\n"
	      "  -h, --help               show this help\n"
	      "\n"
	      "exit status: 0 every object allowed (warnings allowed), 1 some object denied,\n"
	      "2 usage or input error (bad YAML/JSON, unreadable file; other files are still checked)\n",
	      f);
}

static void check_release(struct check *c)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		free(c->objs[i].api_version);
		free(c->objs[i].ns);
		free(c->objs[i].name);
		findings_release(&c->objs[i].fs);
	}
	free(c->objs);
	for (size_t i = 0; i < c->nsources; i++)
		free(c->sources[i]);
	free(c->sources);
	report_release(&c->rep);
}

static int parse_args(struct check *c, int argc, char **argv, enum report_format *fmt)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "var", required_argument, NULL, 'v' },
		{ "rule", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err;
	int ch;

	err_init(&err);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (strcmp(optarg, "text") == 0)
				*fmt = REPORT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				*fmt = REPORT_JSON;
			else
				err_set(&err, ERR_INVALID, "--output must be text or json, got '%s'", optarg);
			break;
		case 'v': subst_add(&c->vars, optarg, &err); break;
		case 'r': rules_config_set(&c->rules, optarg, &err); break;
		case 'n': c->default_ns = optarg; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
		if (err.code != ERR_OK) {
			fprintf(stderr, "gatewarden check: %s\n", err.msg);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gatewarden check: no PATH given (use - for stdin)\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

int check_main(int argc, char **argv)
{
	struct check c;
	struct input_ctx in;
	enum report_format fmt = REPORT_TEXT;
	int rc;

	memset(&c, 0, sizeof(c));
	rules_config_init(&c.rules);
	subst_init(&c.vars);
	c.default_ns = "default";
	rc = parse_args(&c, argc, argv, &fmt);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	report_init(&c.rep, fmt, stdout);
	memset(&in, 0, sizeof(in));
	in.vars = &c.vars;
	in.on_doc = on_doc;
	in.on_error = on_input_error;
	in.ud = &c;
	for (int i = optind; i < argc && c.fatal == 0; i++)
		input_read_path(&in, argv[i]);
	if (c.fatal) {
		fprintf(stderr, "gatewarden check: out of memory\n");
		check_release(&c);
		return 2;
	}
	report_begin(&c.rep);
	for (size_t i = 0; i < c.nobjs; i++) {
		const struct report_obj *o = &c.objs[i];

		report_object(&c.rep, o);
		c.sum.objects++;
		c.sum.by_kind[o->kind]++;
		if (report_obj_allowed(o))
			c.sum.allowed++;
		else
			c.sum.denied++;
		c.sum.errors += o->fs.nerrors;
		c.sum.warnings += o->fs.nwarnings;
	}
	c.sum.input_errors = in.nerrors + c.bad_docs;
	c.sum.files = in.nfiles;
	report_end(&c.rep, &c.sum);
	rc = c.sum.input_errors ? 2 : (c.sum.denied ? 1 : 0);
	check_release(&c);
	return rc;
}
