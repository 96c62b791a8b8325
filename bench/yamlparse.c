/*
 * yamlparse: the benchmark baseline. Reads FILE with libyaml's event parser, the same
 * layer gatewarden's loader (cli/yamldoc.c) sits on, and does nothing with the events
 * but count them: no tree, no typing of scalars, no validation. The time and memory of
 * this program are the floor for `gatewarden check FILE`.
 *
 *     cc -O2 bench/yamlparse.c -lyaml -o bench/out/yamlparse
 *     bench/out/yamlparse FILE      prints "events=N documents=D scalars=S bytes=B"
 *
 * The input is read through a stdio FILE in libyaml's own blocks, as gatewarden does
 * without --var. Exit status 0, or 2 with the parser's message on a read or syntax error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

int main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned long long events = 0, documents = 0, scalars = 0;
	FILE *f;
	int done = 0, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: yamlparse FILE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 2;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yamlparse: out of memory\n");
		fclose(f);
		return 2;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "yamlparse: %s: line %lu, column %lu: %s\n", argv[1],
				(unsigned long)parser.problem_mark.line + 1, (unsigned long)parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "parse error");
			rc = 2;
			break;
		}
		events++;
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			documents++;
		else if (ev.type == YAML_SCALAR_EVENT)
			scalars++;
		else if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		yaml_event_delete(&ev);
	}
	if (rc == 0)
		printf("events=%llu documents=%llu scalars=%llu bytes=%lu\n", events, documents, scalars,
		       (unsigned long)parser.offset);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
