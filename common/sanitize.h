/*
 * sanitize: which sanitizer the code is built with, for gcc and clang alike. gcc
 * defines __SANITIZE_ADDRESS__ and __SANITIZE_THREAD__; clang 14 defines neither and
 * answers __has_feature instead (the libFuzzer targets of tests/fuzz/ are built with
 * clang). GW_ASAN and GW_TSAN are 1 or 0.
 */
#ifndef COMMON_SANITIZE_H
#define COMMON_SANITIZE_H

#if defined(__SANITIZE_ADDRESS__)
#define GW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_ASAN 1
#endif
#endif
#ifndef GW_ASAN
#define GW_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define GW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GW_TSAN 1
#endif
#endif
#ifndef GW_TSAN
#define GW_TSAN 0
#endif

#endif
