/* subst: see subst.h. */
#include "subst.h"

#include <string.h>

#include "err.h"

void subst_init(struct subst_vars *vars)
{
	vars->n = 0;
}

static int valid_name(const char *s, size_t len)
{
	if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int subst_add(struct subst_vars *vars, char *spec, struct err *err)
{
	char *eq = strchr(spec, '=');

	if (eq == NULL)
		return err_set(err, ERR_INVALID, "--var expects NAME=VALUE, got '%s'", spec);
	if (!valid_name(spec, (size_t)(eq - spec)))
		return err_set(err, ERR_INVALID, "--var: '%.*s' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)",
			       (int)(eq - spec), spec);
	*eq = '\0';
	for (size_t i = 0; i < vars->n; i++) {
		if (strcmp(vars->v[i].name, spec) == 0) {
			vars->v[i].value = eq + 1;
			return 0;
		}
	}
	if (vars->n >= SUBST_MAX_VARS)
		return err_set(err, ERR_LIMIT, "--var: at most %d variables", SUBST_MAX_VARS);
	vars->v[vars->n].name = spec;
	vars->v[vars->n].value = eq + 1;
	vars->n++;
	return 0;
}

static const char *lookup(const struct subst_vars *vars, const char *name, size_t len)
{
	for (size_t i = 0; i < vars->n; i++)
		if (strlen(vars->v[i].name) == len && memcmp(vars->v[i].name, name, len) == 0)
			return vars->v[i].value;
	return NULL;
}

static void put(char *out, size_t outcap, size_t *o, const char *s, size_t n)
{
	if (*o < outcap) {
		size_t room = outcap - *o;

		memcpy(out + *o, s, n < room ? n : room);
	}
	*o += n;
}

size_t subst_apply(const struct subst_vars *vars, const char *in, size_t len, char *out, size_t outcap)
{
	size_t o = 0, i = 0;

	while (i < len) {
		const char *close;
		size_t nlen, body;
		const char *name, *def = NULL, *val;
		size_t deflen = 0;

		if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
			put(out, outcap, &o, "${", 2); /* $${X} -> ${X} */
			i += 3;
			continue;
		}
		if (!(in[i] == '$' && i + 1 < len && in[i + 1] == '{')) {
			put(out, outcap, &o, in + i, 1);
			i++;
			continue;
		}
		close = memchr(in + i + 2, '}', len - i - 2);
		if (close == NULL) {
			put(out, outcap, &o, in + i, len - i);
			break;
		}
		name = in + i + 2;
		body = (size_t)(close - name);
		nlen = 0;
		while (nlen < body && name[nlen] != ':')
			nlen++;
		if (nlen < body && nlen + 1 < body && (name[nlen + 1] == '=' || name[nlen + 1] == '-')) {
			def = name + nlen + 2;
			deflen = body - nlen - 2;
		} else if (nlen != body) {
			nlen = 0; /* not a form we know: leave as written */
		}
		val = valid_name(name, nlen) ? lookup(vars, name, nlen) : NULL;
		if (val != NULL)
			put(out, outcap, &o, val, strlen(val));
		else if (def != NULL && valid_name(name, nlen))
			put(out, outcap, &o, def, deflen);
		else
			put(out, outcap, &o, in + i, (size_t)(close - (in + i)) + 1);
		i = (size_t)(close - in) + 1;
	}
	if (o < outcap)
		out[o] = '\0';
	else if (outcap > 0)
		out[outcap - 1] = '\0';
	return o;
}
