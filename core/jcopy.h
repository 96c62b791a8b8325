/*
 * jcopy: a deep copy of a jansson tree that has no cycles (every tree a parser makes).
 * Pure.
 *
 * json_deep_copy guards against cycles: for each array and object it formats the
 * container's address into a key and keeps it in a table while it copies what is
 * below, and it checks each key's UTF-8 again. On a parsed document that guard is most
 * of the copy's cost (check copies every object it keeps: 528 M of 7.6 G instructions
 * on the bench's 10k-route tree). jcopy walks the tree once and makes the same values:
 * equal (json_equal), keys in the same order, true, false and null shared as jansson
 * shares them.
 *
 * The recursion is bounded: a tree nested deeper than JCOPY_DEPTH_MAX is not copied.
 * That is as deep as jansson's own parser goes (2048), so every tree a parser of ours
 * makes is copied, also under serve's highest --json-depth-max (2000).
 */
#ifndef CORE_JCOPY_H
#define CORE_JCOPY_H

#include <jansson.h>

#define JCOPY_DEPTH_MAX 2048

/* A new reference to a copy of v; NULL when v is NULL, on ENOMEM, or when v nests
 * deeper than JCOPY_DEPTH_MAX. */
json_t *jcopy(const json_t *v);

#endif
