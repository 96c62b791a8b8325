/*
 * fuzzlib: what the libFuzzer targets that take a flags byte and a JSON text share
 * (tests/fuzz/fuzz_review.c, fuzz_check.c, fuzz_kubeconfig.c). Linking fuzzlib.c into
 * a target installs its mutator.
 *
 * The mutator (LLVMFuzzerCustomMutator, defined in fuzzlib.c): half of the time, or
 * when the text does not read as JSON, it leaves the work to libFuzzer's own
 * byte-level mutations (LLVMFuzzerMutate); otherwise it makes one to three edits to
 * the tree: a node replaced by a value from a list of words and numbers the Gateway
 * API uses, or by a copy of another node; a member or element removed; an element or
 * a member (with a key from a list of the API's field names) added; a member copied
 * under another key; one of the four low bits of the flags byte flipped. The result
 * is written back compact, when it fits max_size.
 */
#ifndef TESTS_FUZZ_FUZZLIB_H
#define TESTS_FUZZ_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>

/* Write p[0..n) to path, or abort: for a target whose code under test reads a file. */
void fuzzlib_write_file(const char *path, const uint8_t *p, size_t n);

#endif
