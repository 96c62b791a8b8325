/*
 * testutil: helpers the cmocka tests share. Both fail the running test (cmocka) on
 * error, so callers get a usable result or never return.
 */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <jansson.h>

/* JSON written with ' for " (no fixture needs a literal quote); a new reference. */
json_t *testutil_json(const char *text);
/* The whole file (relative to tests/, where ctest runs them), NUL-terminated; the
 * caller frees it. */
char *testutil_slurp(const char *path);

#endif
