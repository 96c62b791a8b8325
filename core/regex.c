/*
 * regex: an RE2 syntax checker (WX-REGEX-COMPILE).
 *
 * Design: one left-to-right pass over the bytes, shaped like RE2's own parser (the
 * Perl-like default flags Envoy uses) but without building a tree. What the parser
 * needs to remember is small:
 *  - whether the stack top is an operand (RE2 says "no argument for repetition
 *    operator" when it is a '(' or '|' marker or nothing),
 *  - whether the previous token was a repetition (RE2 refuses to stack them: a**, a*+,
 *    a{2}{3}),
 *  - per open group, the largest product of {n,m} counts along any nesting path, because
 *    RE2 rejects nested counted repetition whose product exceeds 1000 ((a{100}){100}).
 * Groups are an explicit array indexed by depth, capped at GW_RE_MAX_DEPTH, so hostile
 * input cannot recurse. Input is checked for valid UTF-8 and NUL bytes up front, so the
 * scanner can decode runes without re-validating.
 *
 * Deliberate choices where RE2 versions differ (see the tests):
 *  - (?<name>re) is accepted (RE2 2023+); duplicate group names are accepted (RE2 does).
 *  - group names: ASCII word characters or any non-ASCII code point (RE2 accepts Unicode
 *    letters/digits/marks; without Unicode tables we accept all non-ASCII).
 *  - UTF-8 encoded surrogates are rejected (RE2 happens to accept them, Go does not).
 *  - nesting deeper than 1000 groups is rejected (Go's limit; RE2 has its own).
 *  - \p{} names: general categories and Unicode 16 scripts.
 *  - the compiled-program size limit (e.g. \pL{1000}) is not modelled.
 */
#include "regex.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define GW_RE_MAX_DEPTH 1000
#define GW_RE_MAX_REPEAT 1000

struct rx {
	const unsigned char *s;
	size_t len;
	size_t i;
	char *why;
	size_t whysz;
	size_t no_colon_bracket;  /* no ":]" at or after this offset: keeps scans linear */
};

static __attribute__((format(printf, 2, 3))) bool fail(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->why != NULL && x->whysz > 0) {
		va_start(ap, fmt);
		vsnprintf(x->why, x->whysz, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Length of the UTF-8 sequence at s[0..n), or 0 when it is not a valid scalar value. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t k;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		k = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		k = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		k = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if ((s[j] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[j] & 0x3F);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return k;
}

/* Decode the (already validated) rune at x->i and step over it. */
static uint32_t next_rune(struct rx *x)
{
	uint32_t c = 0;
	size_t k = utf8_len(x->s + x->i, x->len - x->i, &c);

	x->i += k ? k : 1;
	return c;
}

static bool at(const struct rx *x, size_t off, char c)
{
	return x->i + off < x->len && x->s[x->i + off] == (unsigned char)c;
}

static bool is_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

static bool is_word(unsigned c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int hex_val(unsigned c)
{
	if (is_digit(c))
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

/* RE2's table: Unicode general categories (no Cn, no LC) and scripts. */
static const char *const unicode_groups[] = {
	"Any",
	"C", "Cc", "Cf", "Co", "Cs",
	"L", "Ll", "Lm", "Lo", "Lt", "Lu",
	"M", "Mc", "Me", "Mn",
	"N", "Nd", "Nl", "No",
	"P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps",
	"S", "Sc", "Sk", "Sm", "So",
	"Z", "Zl", "Zp", "Zs",
	"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan",
	"Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo",
	"Brahmi", "Braille", "Buginese", "Buhid", "Canadian_Aboriginal", "Carian",
	"Caucasian_Albanian", "Chakma", "Cham", "Cherokee", "Chorasmian", "Common",
	"Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret",
	"Devanagari", "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs",
	"Elbasan", "Elymaic", "Ethiopic", "Garay", "Georgian", "Glagolitic", "Gothic",
	"Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Gurung_Khema", "Han",
	"Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana",
	"Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian",
	"Javanese", "Kaithi", "Kannada", "Katakana", "Kawi", "Kayah_Li", "Kharoshthi",
	"Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Kirat_Rai", "Lao", "Latin",
	"Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani",
	"Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi",
	"Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar",
	"Nabataean", "Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu",
	"Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Ol_Onal", "Old_Hungarian",
	"Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian",
	"Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage", "Osmanya",
	"Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician",
	"Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra", "Sharada",
	"Shavian", "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo",
	"Sundanese", "Sunuwar", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le",
	"Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangsa", "Tangut", "Telugu", "Thaana",
	"Thai", "Tibetan", "Tifinagh", "Tirhuta", "Todhri", "Toto", "Tulu_Tigalari",
	"Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi",
	"Zanabazar_Square",
};

static const char *const posix_classes[] = {
	"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
	"lower", "print", "punct", "space", "upper", "word", "xdigit",
};

static bool in_table(const char *const *tab, size_t n, const unsigned char *name, size_t len)
{
	for (size_t k = 0; k < n; k++)
		if (strlen(tab[k]) == len && memcmp(tab[k], name, len) == 0)
			return true;
	return false;
}

/* \p or \P at x->i: \pX (one rune), \p{Name} or \p{^Name}. */
static bool parse_unicode_class(struct rx *x)
{
	size_t start = x->i, nstart, nend;

	x->i += 2;
	if (x->i >= x->len)
		return fail(x, "invalid character class \\%c", x->s[start + 1]);
	if (x->s[x->i] == '{') {
		const unsigned char *close = memchr(x->s + x->i, '}', x->len - x->i);

		if (close == NULL)
			return fail(x, "missing closing } in \\%c{", x->s[start + 1]);
		nstart = x->i + 1;
		nend = (size_t)(close - x->s);
		x->i = nend + 1;
		if (nstart < nend && x->s[nstart] == '^')
			nstart++;
	} else {
		nstart = x->i;
		next_rune(x);
		nend = x->i;
	}
	if (!in_table(unicode_groups, sizeof(unicode_groups) / sizeof(unicode_groups[0]),
		      x->s + nstart, nend - nstart))
		return fail(x, "unknown Unicode class %.*s", (int)(x->i - start), x->s + start);
	return true;
}

static bool is_perl_class(unsigned c)
{
	return c == 'd' || c == 'D' || c == 's' || c == 'S' || c == 'w' || c == 'W';
}

/*
 * A single-character escape at x->i (the backslash), valid both inside and outside a
 * class; stores its code point in *cp for range checks.
 */
static bool parse_char_escape(struct rx *x, uint32_t *cp)
{
	size_t start = x->i;
	unsigned c;

	x->i++;
	if (x->i >= x->len)
		return fail(x, "trailing \\");
	c = x->s[x->i];
	if (c >= '1' && c <= '9' && !(c <= '7' && x->i + 1 < x->len &&
				       x->s[x->i + 1] >= '0' && x->s[x->i + 1] <= '7'))
		return fail(x, "backreferences are not supported by RE2 (\\%c)", c);
	if (c >= '0' && c <= '7') {
		/* octal: up to three digits in all */
		uint32_t v = 0;

		for (int n = 0; n < 3 && x->i < x->len && x->s[x->i] >= '0' && x->s[x->i] <= '7'; n++)
			v = v * 8 + (uint32_t)(x->s[x->i++] - '0');
		*cp = v;
		return true;
	}
	if (c == 'x') {
		uint32_t v = 0;

		x->i++;
		if (at(x, 0, '{')) {
			size_t n = 0;

			x->i++;
			while (x->i < x->len && hex_val(x->s[x->i]) >= 0) {
				v = v * 16 + (uint32_t)hex_val(x->s[x->i++]);
				if (v > 0x10FFFF)
					return fail(x, "invalid escape sequence: \\x{ beyond U+10FFFF");
				n++;
			}
			if (n == 0 || !at(x, 0, '}'))
				return fail(x, "invalid escape sequence \\x{...}");
			x->i++;
		} else {
			for (int n = 0; n < 2; n++) {
				if (x->i >= x->len || hex_val(x->s[x->i]) < 0)
					return fail(x, "invalid escape sequence \\x: two hex digits needed");
				v = v * 16 + (uint32_t)hex_val(x->s[x->i++]);
			}
		}
		*cp = v;
		return true;
	}
	switch (c) {
	case 'a': *cp = 7; break;
	case 'f': *cp = 12; break;
	case 'n': *cp = 10; break;
	case 'r': *cp = 13; break;
	case 't': *cp = 9; break;
	case 'v': *cp = 11; break;
	default:
		/* RE2 lets any ASCII punctuation (or control/space) be escaped, nothing else */
		if (c < 0x80 && !(is_word(c) && c != '_')) {
			*cp = c;
			break;
		}
		x->i = start + 1;
		next_rune(x);
		return fail(x, "invalid escape sequence %.*s", (int)(x->i - start), x->s + start);
	}
	x->i++;
	return true;
}

/* One class member that can be a range endpoint: an escape or a literal rune. */
static bool parse_class_char(struct rx *x, uint32_t *cp)
{
	if (x->i >= x->len)
		return fail(x, "missing closing ]");
	if (x->s[x->i] == '\\')
		return parse_char_escape(x, cp);
	*cp = next_rune(x);
	return true;
}

/* [...] with x->i at '['. */
static bool parse_class(struct rx *x)
{
	size_t open = x->i;
	bool first = true;

	x->i++;
	if (at(x, 0, '^'))
		x->i++;
	while (x->i < x->len && (x->s[x->i] != ']' || first)) {
		size_t start = x->i;
		uint32_t lo, hi;

		first = false;
		if (at(x, 0, '[') && at(x, 1, ':')) {
			/* like RE2, the name runs to the next ":]", wherever it is */
			const unsigned char *end = NULL;

			for (size_t k = x->i + 2; k + 1 < x->len && k < x->no_colon_bracket; k++) {
				if (x->s[k] == ':' && x->s[k + 1] == ']') {
					end = x->s + k;
					break;
				}
			}
			if (end == NULL && x->i + 2 < x->no_colon_bracket)
				x->no_colon_bracket = x->i + 2;
			if (end != NULL) {
				const unsigned char *name = x->s + x->i + 2;

				if (name < end && *name == '^')
					name++;
				if (!in_table(posix_classes, sizeof(posix_classes) / sizeof(posix_classes[0]),
					      name, (size_t)(end - name)))
					return fail(x, "invalid POSIX class %.*s",
						    (int)(end + 2 - (x->s + x->i)), x->s + x->i);
				x->i = (size_t)(end - x->s) + 2;
				continue;
			}
		}
		if (at(x, 0, '\\') && (at(x, 1, 'p') || at(x, 1, 'P'))) {
			if (!parse_unicode_class(x))
				return false;
			continue;
		}
		if (at(x, 0, '\\') && x->i + 1 < x->len && is_perl_class(x->s[x->i + 1])) {
			x->i += 2;
			continue;
		}
		if (!parse_class_char(x, &lo))
			return false;
		hi = lo;
		if (at(x, 0, '-') && x->i + 1 < x->len && x->s[x->i + 1] != ']') {
			x->i++;
			if (!parse_class_char(x, &hi))
				return false;
			if (hi < lo)
				return fail(x, "invalid character class range %.*s",
					    (int)(x->i - start), x->s + start);
		}
	}
	if (x->i >= x->len)
		return fail(x, "missing closing ] for class at offset %zu", open);
	x->i++;
	return true;
}

/*
 * A decimal count as RE2 reads it in {n,m}: no leading zeros, and a value too large
 * to hold means the brace is not a repetition at all (so it is a literal).
 */
static bool parse_count(struct rx *x, size_t *k, int *out)
{
	long v = 0;

	if (*k >= x->len || !is_digit(x->s[*k]))
		return false;
	if (x->s[*k] == '0' && *k + 1 < x->len && is_digit(x->s[*k + 1]))
		return false;
	while (*k < x->len && is_digit(x->s[*k])) {
		if (v >= 100000000)
			return false;
		v = v * 10 + (x->s[(*k)++] - '0');
	}
	*out = (int)v;
	return true;
}

/* {n}, {n,} or {n,m} at x->i; false when the brace is a literal. hi = -1 when open. */
static bool try_repeat(struct rx *x, int *lo, int *hi)
{
	size_t k = x->i + 1;

	if (!parse_count(x, &k, lo))
		return false;
	*hi = *lo;
	if (k < x->len && x->s[k] == ',') {
		k++;
		*hi = -1;
		if (k < x->len && x->s[k] != '}' && !parse_count(x, &k, hi))
			return false;
	}
	if (k >= x->len || x->s[k] != '}')
		return false;
	x->i = k + 1;
	return true;
}

/* Group name bytes: ASCII word characters, or any non-ASCII code point (see header). */
static bool valid_group_name(const unsigned char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t k = 0; k < len; k++)
		if (s[k] < 0x80 && !is_word(s[k]))
			return false;
	return true;
}

/*
 * x->i is just past "(?". *opens tells a group opening from a bare flag group ("(?i)",
 * which is neither an operand nor a nesting level).
 */
static bool parse_group_prefix(struct rx *x, bool *opens)
{
	size_t start = x->i - 2;
	bool neg = false, flag_after_neg = false;

	if (at(x, 0, '=') || at(x, 0, '!') ||
	    (at(x, 0, '<') && (at(x, 1, '=') || at(x, 1, '!'))))
		return fail(x, "lookahead/lookbehind (?=, (?!, (?<=, (?<! is not supported by RE2");
	if (at(x, 0, '>'))
		return fail(x, "atomic groups (?> are not supported by RE2");
	if (at(x, 0, '('))
		return fail(x, "conditionals (?( are not supported by RE2");
	if (at(x, 0, '#'))
		return fail(x, "comments (?# are not supported by RE2");
	if (at(x, 0, 'P') && (at(x, 1, '=') || at(x, 1, '>')))
		return fail(x, "backreferences are not supported by RE2 ((?P%c)", x->s[x->i + 1]);
	if ((at(x, 0, 'P') && at(x, 1, '<')) || at(x, 0, '<')) {
		size_t ns = x->i + (x->s[x->i] == 'P' ? 2 : 1);
		const unsigned char *gt = memchr(x->s + ns, '>', x->len - ns);

		if (gt == NULL || !valid_group_name(x->s + ns, (size_t)(gt - (x->s + ns))))
			return fail(x, "invalid named capture group %.*s",
				    (int)((gt ? (size_t)(gt - x->s) + 1 : x->len) - start), x->s + start);
		x->i = (size_t)(gt - x->s) + 1;
		*opens = true;
		return true;
	}
	for (; x->i < x->len; x->i++) {
		switch (x->s[x->i]) {
		case 'i': case 'm': case 's': case 'U':
			flag_after_neg = true;
			break;
		case '-':
			if (neg)
				goto bad;
			neg = true;
			flag_after_neg = false;
			break;
		case ':':
		case ')':
			if (neg && !flag_after_neg)
				goto bad;
			*opens = x->s[x->i++] == ':';
			return true;
		default:
			goto bad;
		}
	}
bad:
	if (x->i >= x->len)
		return fail(x, "missing closing ) after %.*s", (int)(x->len - start), x->s + start);
	return fail(x, "invalid or unsupported group flags %.*s",
		    (int)(x->i + 1 - start), x->s + start);
}

bool regex_re2_valid(const char *re, size_t len, char *why, size_t whysz)
{
	struct rx x = { (const unsigned char *)re, len, 0, why, whysz, SIZE_MAX };
	/* largest product of counted repetitions inside each open group */
	int level_max[GW_RE_MAX_DEPTH + 1];
	int depth = 0;
	int atom = 0;           /* repetition product of the operand on top; 0 = no operand */
	bool after_repeat = false;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (re == NULL && len > 0)
		return fail(&x, "no expression");
	for (size_t k = 0; k < len;) {
		uint32_t cp;
		size_t n;

		if (x.s[k] == '\0')
			return fail(&x, "NUL byte at offset %zu", k);
		n = utf8_len(x.s + k, len - k, &cp);
		if (n == 0)
			return fail(&x, "invalid UTF-8 at offset %zu", k);
		k += n;
	}

	level_max[0] = 1;
	while (x.i < len) {
		unsigned c = x.s[x.i];
		bool repeat = false;
		uint32_t cp;

		switch (c) {
		case '(':
			x.i++;
			if (at(&x, 0, '?')) {
				bool opens = true;

				x.i++;
				if (!parse_group_prefix(&x, &opens))
					return false;
				if (!opens)
					break;  /* flags only: the operand on top stays */
			}
			if (depth >= GW_RE_MAX_DEPTH)
				return fail(&x, "expression nests too deeply (over %d groups)", GW_RE_MAX_DEPTH);
			level_max[++depth] = 1;
			atom = 0;
			break;
		case ')':
			if (depth == 0)
				return fail(&x, "unexpected ) at offset %zu", x.i);
			atom = level_max[depth--];
			if (atom > level_max[depth])
				level_max[depth] = atom;
			x.i++;
			break;
		case '|':
			atom = 0;
			x.i++;
			break;
		case '*':
		case '+':
		case '?':
		case '{': {
			size_t start = x.i;
			int lo = 0, hi = 0;

			if (c == '{') {
				if (!try_repeat(&x, &lo, &hi)) {
					/* not a valid {n,m}: a literal brace */
					x.i++;
					atom = 1;
					break;
				}
			} else {
				x.i++;
			}
			if (at(&x, 0, '?'))
				x.i++;
			if (after_repeat)
				return fail(&x, c == '+' ? "possessive quantifiers are not supported by RE2 (%.*s)"
							 : "bad repetition operator %.*s",
					    (int)(x.i - start), x.s + start);
			if (atom == 0)
				return fail(&x, "missing argument to repetition operator %.*s",
					    (int)(x.i - start), x.s + start);
			if (c == '{') {
				int m = hi < 0 ? lo : hi;

				if (lo > GW_RE_MAX_REPEAT || hi > GW_RE_MAX_REPEAT || (hi >= 0 && hi < lo))
					return fail(&x, "invalid repetition size %.*s",
						    (int)(x.i - start), x.s + start);
				if (m > 0) {
					atom *= m;
					if (atom > GW_RE_MAX_REPEAT)
						return fail(&x, "invalid repetition size %.*s: nested counts exceed %d",
							    (int)(x.i - start), x.s + start, GW_RE_MAX_REPEAT);
					if (atom > level_max[depth])
						level_max[depth] = atom;
				}
			}
			repeat = true;
			break;
		}
		case '[':
			if (!parse_class(&x))
				return false;
			atom = 1;
			break;
		case '\\':
			if (x.i + 1 >= len)
				return fail(&x, "trailing \\");
			c = x.s[x.i + 1];
			if (c == 'Q') {
				/* literal text up to \E or the end; an empty \Q\E leaves no operand */
				x.i += 2;
				while (x.i < len && !(x.s[x.i] == '\\' && at(&x, 1, 'E'))) {
					next_rune(&x);
					atom = 1;
				}
				if (x.i < len)
					x.i += 2;
				break;
			}
			if (c == 'p' || c == 'P') {
				if (!parse_unicode_class(&x))
					return false;
			} else if (is_perl_class(c) || c == 'A' || c == 'z' || c == 'b' || c == 'B' || c == 'C') {
				x.i += 2;
			} else if (c == 'Z') {
				return fail(&x, "invalid escape sequence \\Z (RE2 has only \\z)");
			} else if (!parse_char_escape(&x, &cp)) {
				return false;
			}
			atom = 1;
			break;
		default:
			next_rune(&x);
			atom = 1;
			break;
		}
		after_repeat = repeat;
	}
	if (depth > 0)
		return fail(&x, "missing closing )");
	return true;
}
