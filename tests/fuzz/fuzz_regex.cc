/*
 * fuzz_regex: a differential libFuzzer target for core/regex.c, the RE2 syntax checker
 * behind WX-REGEX-COMPILE. On every input, regex_re2_valid must say what RE2 itself
 * says (RE2 with Envoy's options: the defaults, errors not logged): a pattern RE2
 * compiles is valid, one it refuses is not. A difference aborts with both answers.
 *
 * Left out of the comparison, where regex.c follows a newer RE2 than Debian 12's
 * (2022-06-01) or chooses differently on purpose (core/regex.c's header lists these):
 *   - (?<name>re), accepted since RE2 2023;
 *   - group names with non-ASCII characters (RE2 2023 accepts Unicode word characters);
 *   - \p and \P classes (regex.c knows Unicode 16's scripts);
 *   - UTF-8-encoded surrogates (refused by regex.c; JSON and YAML cannot carry them);
 *   - NUL bytes (refused up front; the manifests cannot carry them);
 *   - more than 900 opening parentheses (regex.c stops nesting at 1000, as Go does);
 *   - patterns RE2 refuses as too large to compile (the program size is not modelled).
 *
 * tests/fuzz/run.sh builds and runs it for the test suite (libre2-dev).
 */
#include <re2/re2.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include "regex.h"
}

static bool left_out(const uint8_t *data, size_t size)
{
	std::string s(reinterpret_cast<const char *>(data), size);
	size_t depth = 0;

	if (memchr(data, 0, size) != nullptr || s.find("(?<") != std::string::npos ||
	    s.find("\\p") != std::string::npos || s.find("\\P") != std::string::npos)
		return true;
	for (size_t i = 0; i + 1 < size; i++)
		if (data[i] == 0xED && data[i + 1] >= 0xA0)
			return true;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '(' && ++depth > 900)
			return true;
	for (size_t p = s.find("(?P<"); p != std::string::npos; p = s.find("(?P<", p + 1))
		for (size_t i = p + 4; i < size && data[i] != '>'; i++)
			if (data[i] >= 0x80)
				return true;
	return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256] = "";
	bool ours, theirs;

	if (left_out(data, size))
		return 0;
	ours = regex_re2_valid(reinterpret_cast<const char *>(data), size, why, sizeof(why));
	RE2 re(re2::StringPiece(reinterpret_cast<const char *>(data), size), RE2::Quiet);
	theirs = re.ok();
	if (!theirs && re.error_code() == RE2::ErrorPatternTooLarge)
		return 0;
	if (ours != theirs) {
		fprintf(stderr, "fuzz_regex: regex.c says %s (%s), RE2 says %s (%s)\n  pattern (%zu bytes): %.*s\n",
			ours ? "valid" : "invalid", why, theirs ? "valid" : "invalid", re.error().c_str(), size,
			(int)size, reinterpret_cast<const char *>(data));
		abort();
	}
	return 0;
}
