/*
 * jsonmut: a structure-aware mutator for libFuzzer targets whose input is one flags
 * byte followed by a JSON text (tests/fuzz/fuzz_review.c, fuzz_check.c). Half of the
 * time, or when the text does not read as JSON, it leaves the work to libFuzzer's own
 * byte-level mutations (LLVMFuzzerMutate); otherwise it makes one to three edits to the
 * tree: a node replaced by a value from a list of words and numbers the Gateway API
 * uses, or by a copy of another node; a member or element removed; an element or a
 * member (with a key from a list of the API's field names) added; a member copied
 * under another key; one of the four low bits of the flags byte flipped. The result
 * is written back compact, when it fits max_size.
 */
#ifndef TESTS_FUZZ_JSONMUT_H
#define TESTS_FUZZ_JSONMUT_H

#include <stddef.h>
#include <stdint.h>

size_t jsonmut_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#endif
