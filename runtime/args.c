// SPDX-License-Identifier: Apache-2.0
/*
 * args: a command-line parser that reproduces Python 3.11's argparse, so
 * tcptop and tcpconnlat stay drop-ins for bcc's Python tools: the same
 * help layout byte for byte, the same usage errors, exit status 2.
 *
 * Ported from CPython 3.11 Lib/argparse.py (ArgumentParser with
 * RawDescriptionHelpFormatter) and the parts of Lib/textwrap.py it uses.
 * The names of the static functions follow the Python methods they mirror
 * so the two can be read side by side; where argparse uses a regular
 * expression, the hand-written matcher here does what that regex does,
 * including its quirks (they show in the output).
 *
 * Only the features the tools use are supported: store_true flags,
 * options with one value, optional positionals (nargs="?"), choices,
 * mutually exclusive groups (not required), help=SUPPRESS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "args.h"
#include "text.h"

/* ---- Python strings --------------------------------------------------- */

/*
 * Python decodes argv as UTF-8 with surrogateescape: a byte that is not
 * part of valid UTF-8 becomes the lone surrogate U+DC80..U+DCFF. Lengths,
 * repr() and stderr output all depend on that, so decode the same way.
 * Returns the number of bytes consumed (at least 1 unless at the NUL).
 */
static size_t utf8_next(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t v, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return s[0] ? 1 : 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, v = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		goto bad;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n;
bad:
	*cp = 0xdc00 | s[0];
	return 1;
}

static bool is_escaped_byte(uint32_t cp)
{
	return cp >= 0xdc80 && cp <= 0xdcff;
}

/* len() of the Python str: code points, not bytes. */
static long long py_len(const char *s)
{
	long long n = 0;
	uint32_t cp;
	size_t k;

	while ((k = utf8_next(s, &cp))) {
		s += k;
		n++;
	}
	return n;
}

/* Python's str.isspace() (Py_UNICODE_ISSPACE). */
static bool py_isspace(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	       c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/*
 * For scanning UTF-8 bytewise: only ASCII bytes can be whitespace (0x85
 * and 0xa0 are continuation bytes there). Usage pieces are ASCII anyway.
 */
static bool is_py_space(char c)
{
	return (unsigned char)c < 0x80 && py_isspace((unsigned char)c);
}

/*
 * Code points >= 0x80 that str.isprintable() rejects, from Python 3.11's
 * Unicode 14.0 database (categories Cc Cf Cs Co Zs Zl Zp). Unassigned
 * code points (Cn) are not listed: they count as printable here, which
 * only matters for repr() of an argument holding one.
 */
static const uint32_t unprintable[][2] = {
	{ 0x80, 0xa0 }, { 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c },
	{ 0x6dd, 0x6dd }, { 0x70f, 0x70f }, { 0x890, 0x891 },
	{ 0x8e2, 0x8e2 }, { 0x1680, 0x1680 }, { 0x180e, 0x180e },
	{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x2064 },
	{ 0x2066, 0x206f }, { 0x3000, 0x3000 }, { 0xd800, 0xf8ff },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd }, { 0x13430, 0x13438 }, { 0x1bca0, 0x1bca3 },
	{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
	{ 0xf0000, 0xffffd }, { 0x100000, 0x10fffd },
};

static bool py_isprintable(uint32_t c)
{
	size_t i;

	if (c < 0x80)
		return c >= 0x20 && c < 0x7f;
	for (i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++)
		if (c >= unprintable[i][0] && c <= unprintable[i][1])
			return false;
	return true;
}

/* Append repr(s), as argparse's %r does in its messages. */
static void add_repr(struct text *t, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	uint32_t c;
	size_t k;

	text_addf(t, "%c", q);
	for (; (k = utf8_next(s, &c)); s += k) {
		if (c == (uint32_t)q || c == '\\')
			text_addf(t, "\\%c", (char)c);
		else if (c == '\t')
			text_add(t, "\\t");
		else if (c == '\n')
			text_add(t, "\\n");
		else if (c == '\r')
			text_add(t, "\\r");
		else if (py_isprintable(c))
			text_addf(t, "%.*s", (int)k, s);
		else if (c <= 0xff)
			text_addf(t, "\\x%02x", c);
		else if (c <= 0xffff)
			text_addf(t, "\\u%04x", c);
		else
			text_addf(t, "\\U%08x", c);
	}
	text_addf(t, "%c", q);
}

/*
 * Python's stderr uses errors="backslashreplace": an escaped argv byte
 * (a lone surrogate) is written as the six characters \udcXX.
 */
static void write_stderr(const char *s)
{
	uint32_t c;
	size_t k;

	for (; (k = utf8_next(s, &c)); s += k) {
		if (is_escaped_byte(c))
			fprintf(stderr, "\\u%04x", c);
		else
			fwrite(s, 1, k, stderr);
	}
}

/* "%%" and "%(prog)s", the %-formatting argparse applies to help text. */
static void add_expanded(struct text *t, const char *s, const char *prog)
{
	const char *pct;

	while ((pct = strchr(s, '%'))) {
		text_addf(t, "%.*s", (int)(pct - s), s);
		if (pct[1] == '%') {
			text_add(t, "%");
			s = pct + 2;
		} else if (!strncmp(pct, "%(prog)s", 8)) {
			text_add(t, prog);
			s = pct + 8;
		} else {
			text_add(t, "%");
			s = pct + 1;
		}
	}
	text_add(t, s);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

/* Take ownership of a text's string (never NULL). */
static char *text_take(struct text *t)
{
	char *s = t->s ? t->s : xstrdup("");

	t->s = NULL;
	t->len = t->cap = 0;
	return s;
}

/* A list of owned strings. */
struct strv {
	char **v;
	size_t n, cap;
};

static void strv_push(struct strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = realloc(sv->v, sv->cap * sizeof(*sv->v));
		if (!sv->v) {
			fputs("out of memory\n", stderr);
			abort();
		}
	}
	sv->v[sv->n++] = s;
}

static void strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* ---- the parser ------------------------------------------------------- */

enum act_kind { ACT_HELP, ACT_FLAG, ACT_VALUE, ACT_POS };

/* One argparse Action. */
struct act {
	enum act_kind kind;
	const struct arg_opt *opt;	/* NULL for the built-in -h/--help */
	char *strs[2];			/* option strings, short first */
	int nstrs;
	char *metavar;			/* _metavar_formatter's pick */
	char *name;			/* _get_action_name: "-p/--pid" */
	const char *help;		/* NULL: SUPPRESS */
	int group;
	bool seen_non_default;
};

/* _option_string_actions, in insertion order (ambiguity lists use it). */
struct optstr {
	const char *s;
	struct act *act;
};

/* _parse_optional's answer for one argument string. */
struct opt_tuple {
	struct act *act;	/* NULL: looks like an option, none matches */
	const char *optstr;
	const char *explicit_arg; /* NULL: none */
};

struct parser {
	const struct arg_spec *spec;
	const char *prog;
	struct act *acts;
	size_t nacts;
	struct optstr *os;
	size_t nos;
	bool has_negative_number_optionals;
	long long width;		/* HelpFormatter._width */
	/* parse state */
	char **args;
	size_t nargs;
	char *pattern;			/* 'O', 'A' or '-' per argument */
	struct opt_tuple *tuples;	/* valid where pattern is 'O' */
	const char **extras;
	size_t nextras;
	struct act **positionals;	/* not yet consumed */
	size_t npositionals;
	struct todo {			/* consume_optional()'s tuples */
		struct act *act;
		const char *arg;
	} *todo;
};

/* The prog of the last args_parse(), for args_error() after it. */
static const char *last_prog;

/* Python's int() on $COLUMNS: whitespace, sign, digits and single '_'. */
static long long py_int(const char *s, bool *ok)
{
	long long v = 0;
	bool neg = false, digit = false;
	const char *e = s + strlen(s);

	*ok = false;
	while (is_py_space(*s))
		s++;
	while (e > s && is_py_space(e[-1]))
		e--;
	if (s < e && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	for (; s < e; s++) {
		if (*s == '_' && digit && s + 1 < e && s[1] >= '0' &&
		    s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			return 0;
		digit = true;
		/* saturate: no layout differs beyond this width */
		if (v < 1000000000000000LL)
			v = v * 10 + (*s - '0');
	}
	*ok = digit;
	return neg ? -v : v;
}

/* shutil.get_terminal_size().columns - 2, as HelpFormatter computes it. */
static long long formatter_width(void)
{
	const char *env = getenv("COLUMNS");
	long long cols = 0;
	struct winsize ws;
	bool ok;

	if (env) {
		cols = py_int(env, &ok);
		if (!ok)
			cols = 0;
	}
	if (cols <= 0) {
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
			cols = ws.ws_col;
		else
			cols = 80;
	}
	return cols - 2;
}

static char *choices_metavar(const char *const *choices)
{
	struct text t = { 0 };
	size_t i;

	text_add(&t, "{");
	for (i = 0; choices[i]; i++)
		text_addf(&t, "%s%s", i ? "," : "", choices[i]);
	text_add(&t, "}");
	return text_take(&t);
}

static void act_init(struct act *a, const struct arg_opt *o)
{
	struct text t = { 0 };
	char *p;

	a->opt = o;
	a->help = o->help;
	a->group = o->group;
	a->kind = o->kind == ARG_FLAG ? ACT_FLAG :
		  o->kind == ARG_VALUE ? ACT_VALUE : ACT_POS;
	if (a->kind == ACT_POS) {
		const char *dest = o->long_name ? o->long_name : "";

		a->name = xstrdup(o->metavar ? o->metavar : dest);
		a->metavar = o->metavar ? xstrdup(o->metavar) :
			     o->choices ? choices_metavar(o->choices) :
			     xstrdup(dest);
		return;
	}
	if (o->short_name) {
		text_addf(&t, "-%c", o->short_name);
		a->strs[a->nstrs++] = text_take(&t);
	}
	if (o->long_name) {
		text_addf(&t, "--%s", o->long_name);
		a->strs[a->nstrs++] = text_take(&t);
	}
	text_addf(&t, "%s%s%s", a->nstrs ? a->strs[0] : "",
		  a->nstrs > 1 ? "/" : "", a->nstrs > 1 ? a->strs[1] : "");
	a->name = text_take(&t);
	if (o->metavar) {
		a->metavar = xstrdup(o->metavar);
	} else if (o->choices) {
		a->metavar = choices_metavar(o->choices);
	} else {
		/* dest.upper(); dest is the long name with '-' -> '_' */
		if (o->long_name)
			text_add(&t, o->long_name);
		else
			text_addf(&t, "%c", o->short_name);
		a->metavar = text_take(&t);
		for (p = a->metavar; *p; p++)
			*p = *p == '-' ? '_' :
			     *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p;
	}
}

/* argparse's _negative_number_matcher: ^-\d+$|^-\d*\.\d+$ */
static bool looks_negative_number(const char *s)
{
	static const char digits[] = "0123456789";
	const char *p = s + 1;
	size_t len, d;

	if (s[0] != '-')
		return false;
	len = strlen(p);
	/* $ also matches before a final \n */
	if (len && p[len - 1] == '\n')
		len--;
	d = strspn(p, digits);
	if (d >= len)
		return len > 0;
	if (p[d] != '.' || d + 1 >= len)
		return false;
	return strspn(p + d + 1, digits) >= len - d - 1;
}

static void parser_init(struct parser *p, const struct arg_spec *spec,
			const char *prog)
{
	static const char *const help_strs[] = { "-h", "--help" };
	size_t i;
	int j;

	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->prog = prog;
	p->width = formatter_width();
	p->nacts = spec->nopts + 1;
	p->acts = xcalloc(p->nacts, sizeof(*p->acts));
	p->os = xcalloc(2 * p->nacts, sizeof(*p->os));

	/* add_help=True: -h/--help comes first */
	p->acts[0].kind = ACT_HELP;
	p->acts[0].strs[0] = xstrdup(help_strs[0]);
	p->acts[0].strs[1] = xstrdup(help_strs[1]);
	p->acts[0].nstrs = 2;
	p->acts[0].name = xstrdup("-h/--help");
	p->acts[0].help = "show this help message and exit";
	for (i = 0; i < spec->nopts; i++)
		act_init(&p->acts[i + 1], &spec->opts[i]);

	for (i = 0; i < p->nacts; i++) {
		for (j = 0; j < p->acts[i].nstrs; j++) {
			p->os[p->nos].s = p->acts[i].strs[j];
			p->os[p->nos++].act = &p->acts[i];
			if (looks_negative_number(p->acts[i].strs[j]))
				p->has_negative_number_optionals = true;
		}
	}
}

static void parser_free(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nacts; i++) {
		free(p->acts[i].strs[0]);
		free(p->acts[i].strs[1]);
		free(p->acts[i].metavar);
		free(p->acts[i].name);
	}
	free(p->acts);
	free(p->os);
	free(p->pattern);
	free(p->tuples);
	free(p->extras);
	free(p->positionals);
	free(p->todo);
	memset(p, 0, sizeof(*p));
}

/* ---- usage ------------------------------------------------------------ */

/* The [-4 | -6] cleanup regexes at the end of _format_actions_usage. */
static void usage_cleanup(char *s)
{
	char *r, *w, *j, *bar, *close;

	/* re.sub(r'([\[(]) ', r'\1', text) */
	for (r = w = s; *r; ) {
		*w++ = *r;
		r += (*r == '[' || *r == '(') && r[1] == ' ' ? 2 : 1;
	}
	*w = '\0';
	/* re.sub(r' ([\])])', r'\1', text) */
	for (r = w = s; *r; ) {
		if (*r == ' ' && (r[1] == ']' || r[1] == ')'))
			r++;
		*w++ = *r++;
	}
	*w = '\0';
	/* re.sub(r'[\[(] *[\])]', r'', text) */
	for (r = w = s; *r; ) {
		if (*r == '[' || *r == '(') {
			j = r + 1 + strspn(r + 1, " ");
			if (*j == ']' || *j == ')') {
				r = j + 1;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	/*
	 * re.sub(r'\(([^|]*)\)', r'\1', text): greedy, so up to the last
	 * ')' before the first '|'
	 */
	for (r = w = s; *r; ) {
		if (*r == '(') {
			bar = r + 1 + strcspn(r + 1, "|");
			close = bar - 1;
			while (close > r && *close != ')')
				close--;
			if (close > r) {
				memmove(w, r + 1, (size_t)(close - r - 1));
				w += close - r - 1;
				r = close + 1;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	/* text.strip() */
	for (r = s; is_py_space(*r); r++)
		;
	memmove(s, r, strlen(r) + 1);
	for (w = s + strlen(s); w > s && is_py_space(w[-1]); )
		*--w = '\0';
}

static bool act_in_list(struct act *const *list, size_t n, const struct act *a,
			size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (list[i] == a) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* HelpFormatter._format_actions_usage */
static char *format_actions_usage(struct parser *p, struct act *const *list,
				  size_t n)
{
	struct text *inserts = xcalloc(n + 1, sizeof(*inserts));
	bool *in_group = xcalloc(n + 1, sizeof(*in_group));
	char **parts = xcalloc(n + 1, sizeof(*parts));
	struct text out = { 0 }, part = { 0 };
	size_t i, k, g, start, end, glen;
	bool first = true, match;
	char *s;

	/* groups in order of first appearance, members in action order */
	for (g = 0; g < p->nacts; g++) {
		int id = p->acts[g].group;
		struct act *first_member = &p->acts[g];

		if (!id)
			continue;
		for (k = 0; k < g && p->acts[k].group != id; k++)
			;
		if (k < g)
			continue;	/* group seen already */
		if (!act_in_list(list, n, first_member, &start))
			continue;
		match = true;
		glen = 0;
		for (k = g; k < p->nacts; k++) {
			if (p->acts[k].group != id)
				continue;
			if (start + glen >= n ||
			    list[start + glen] != &p->acts[k])
				match = false;
			glen++;
		}
		if (!match)
			continue;
		end = start + glen;
		for (k = start; k < end; k++)
			in_group[k] = true;
		text_add(&inserts[start], inserts[start].len ? " [" : "[");
		text_add(&inserts[end], "]");
		for (k = start + 1; k < end; k++) {
			inserts[k].len = 0;
			text_add(&inserts[k], "|");
		}
	}

	for (i = 0; i < n; i++) {
		struct act *a = list[i];

		if (!a->help) {
			/* suppressed: drop it and a '|' next to it */
			if (inserts[i].len && !strcmp(inserts[i].s, "|"))
				inserts[i].len = 0;
			else if (inserts[i + 1].len &&
				 !strcmp(inserts[i + 1].s, "|"))
				inserts[i + 1].len = 0;
			continue;
		}
		if (a->kind == ACT_POS) {
			/* nargs="?" is "[metavar]"; a group drops the [] */
			if (in_group[i])
				text_add(&part, a->metavar);
			else
				text_addf(&part, "[%s]", a->metavar);
		} else {
			if (a->kind == ACT_VALUE)
				text_addf(&part, "%s %s", a->strs[0],
					  a->metavar);
			else
				text_add(&part, a->strs[0]);
			if (!in_group[i]) {
				s = text_take(&part);
				text_addf(&part, "[%s]", s);
				free(s);
			}
		}
		parts[i] = text_take(&part);
	}

	for (i = 0; i <= n; i++) {
		if (inserts[i].len) {
			text_addf(&out, "%s%.*s", first ? "" : " ",
				  (int)inserts[i].len, inserts[i].s);
			first = false;
		}
		if (i < n && parts[i]) {
			text_addf(&out, "%s%s", first ? "" : " ", parts[i]);
			first = false;
		}
	}
	for (i = 0; i <= n; i++) {
		text_free(&inserts[i]);
		free(parts[i]);
	}
	free(inserts);
	free(in_group);
	free(parts);
	s = text_take(&out);
	usage_cleanup(s);
	return s;
}

/*
 * re.findall(r'\(.*?\)+(?=\s|$)|\[.*?\]+(?=\s|$)|\S+', text): the
 * usage pieces that wrapping keeps whole.
 */
static void usage_parts(const char *s, struct strv *out)
{
	size_t i = 0, n = strlen(s), j, q, len;
	struct text t = { 0 };

	while (i < n) {
		len = 0;
		if (s[i] == '(' || s[i] == '[') {
			char close = s[i] == '(' ? ')' : ']';

			/* lazy .*?, then a run of closers before \s or end */
			for (j = i + 1; j < n; j++) {
				if (s[j] == close) {
					for (q = j; q < n && s[q] == close; q++)
						;
					if (q == n || is_py_space(s[q])) {
						len = q - i;
						break;
					}
				}
				if (s[j] == '\n')
					break;
			}
		}
		if (!len && !is_py_space(s[i]))
			for (len = 0; i + len < n && !is_py_space(s[i + len]); )
				len++;
		if (!len) {
			i++;
			continue;
		}
		text_addf(&t, "%.*s", (int)len, s + i);
		strv_push(out, text_take(&t));
		i += len;
	}
}

/* get_lines() inside HelpFormatter._format_usage */
static void usage_get_lines(struct strv *lines, char *const *parts, size_t n,
			    long long indent, const char *prefix,
			    long long text_width)
{
	struct text line = { 0 };
	long long line_len;
	bool first_line = true, empty = true;
	size_t i;

	line_len = prefix ? py_len(prefix) - 1 : indent - 1;
	for (i = 0; i < n; i++) {
		long long plen = py_len(parts[i]);

		if (line_len + 1 + plen > text_width && !empty) {
			strv_push(lines, text_take(&line));
			first_line = false;
			empty = true;
			line_len = indent - 1;
		}
		if (empty && !(prefix && first_line))
			text_addf(&line, "%*s", (int)indent, "");
		text_addf(&line, "%s%s", empty ? "" : " ", parts[i]);
		empty = false;
		line_len += plen + 1;
	}
	if (!empty)
		strv_push(lines, text_take(&line));
}

/* HelpFormatter._format_usage: "usage: ...\n\n" */
static void format_usage(struct parser *p, struct text *t)
{
	static const char prefix[] = "usage: ";
	struct act **opts = xcalloc(p->nacts, sizeof(*opts));
	struct act **all = xcalloc(p->nacts, sizeof(*all));
	struct strv opt_parts = { 0 }, pos_parts = { 0 }, lines = { 0 };
	struct strv parts = { 0 };
	size_t nopt = 0, npos = 0, i;
	long long text_width = p->width, plen = (long long)strlen(prefix);
	long long prog_len = py_len(p->prog);
	char *full, *s;

	for (i = 0; i < p->nacts; i++)
		if (p->acts[i].kind != ACT_POS)
			opts[nopt++] = &p->acts[i];
	memcpy(all, opts, nopt * sizeof(*all));
	for (i = 0; i < p->nacts; i++)
		if (p->acts[i].kind == ACT_POS)
			all[nopt + npos++] = &p->acts[i];

	/* ' '.join([s for s in [prog, action_usage] if s]) */
	full = format_actions_usage(p, all, nopt + npos);
	text_add(t, prefix);
	if (plen + prog_len + (*p->prog && *full ? 1 : 0) + py_len(full) <=
	    text_width) {
		text_addf(t, "%s%s%s\n\n", p->prog,
			  *p->prog && *full ? " " : "", full);
		goto out;
	}

	s = format_actions_usage(p, opts, nopt);
	usage_parts(s, &opt_parts);
	free(s);
	s = format_actions_usage(p, all + nopt, npos);
	usage_parts(s, &pos_parts);
	free(s);

	/* if prog is short, follow it with optionals or positionals */
	if (4 * (plen + prog_len) <= 3 * text_width) {
		long long indent = plen + prog_len + 1;
		struct strv *first = opt_parts.n ? &opt_parts : &pos_parts;

		if (first->n) {
			strv_push(&parts, xstrdup(p->prog));
			for (i = 0; i < first->n; i++)
				strv_push(&parts, xstrdup(first->v[i]));
			usage_get_lines(&lines, parts.v, parts.n, indent,
					prefix, text_width);
			if (opt_parts.n)
				usage_get_lines(&lines, pos_parts.v,
						pos_parts.n, indent, NULL,
						text_width);
		} else {
			strv_push(&lines, xstrdup(p->prog));
		}
	} else {
		/* if prog is long, put it on its own line */
		for (i = 0; i < opt_parts.n; i++)
			strv_push(&parts, xstrdup(opt_parts.v[i]));
		for (i = 0; i < pos_parts.n; i++)
			strv_push(&parts, xstrdup(pos_parts.v[i]));
		strv_push(&lines, xstrdup(p->prog));
		usage_get_lines(&lines, parts.v, parts.n, plen, NULL,
				text_width);
		if (lines.n > 2) {
			strv_free(&lines);
			strv_push(&lines, xstrdup(p->prog));
			usage_get_lines(&lines, opt_parts.v, opt_parts.n,
					plen, NULL, text_width);
			usage_get_lines(&lines, pos_parts.v, pos_parts.n,
					plen, NULL, text_width);
		}
	}
	for (i = 0; i < lines.n; i++)
		text_addf(t, "%s%s", i ? "\n" : "", lines.v[i]);
	text_add(t, "\n\n");
	strv_free(&opt_parts);
	strv_free(&pos_parts);
	strv_free(&parts);
	strv_free(&lines);
out:
	free(full);
	free(opts);
	free(all);
}

/* ---- help text wrapping (textwrap.wrap) ------------------------------- */

/* Code-point arrays: textwrap counts and slices by code point. */
struct cps {
	uint32_t *c;
	size_t n;
};

static bool tw_ws(uint32_t c)	/* textwrap's _whitespace */
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* \w, approximated outside ASCII as any printable non-space */
static bool tw_word(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z') || c == '_';
	return py_isprintable(c) && !py_isspace(c);
}

static bool tw_letter(const struct cps *s, size_t i)	/* [^\d\W] */
{
	return i < s->n && tw_word(s->c[i]) &&
	       !(s->c[i] >= '0' && s->c[i] <= '9');
}

static bool tw_wp(uint32_t c)	/* [\w!"\'&.,?] */
{
	return tw_word(c) || (c < 0x80 && strchr("!\"'&.,?", (int)c) && c);
}

static bool tw_dashes_then_word(const struct cps *s, size_t i)
{
	size_t j = i;

	while (j < s->n && s->c[j] == '-')
		j++;
	return j - i >= 2 && j < s->n && tw_word(s->c[j]);
}

/* Length of the chunk at i by TextWrapper.wordsep_re. */
static size_t tw_chunk(const struct cps *s, size_t i)
{
	size_t q;

	if (tw_ws(s->c[i])) {
		for (q = i; q < s->n && tw_ws(s->c[q]); q++)
			;
		return q - i;
	}
	/* em-dash between words */
	if (i > 0 && tw_wp(s->c[i - 1]) && tw_dashes_then_word(s, i)) {
		for (q = i; s->c[q] == '-'; q++)
			;
		return q - i;
	}
	/* word, possibly hyphenated: the shortest one that ends well */
	for (q = i + 1; ; q++) {
		if (q < s->n && s->c[q] == '-' &&
		    ((q >= 2 && tw_letter(s, q - 2) && tw_letter(s, q - 1)) ||
		     (q >= 3 && tw_letter(s, q - 3) && s->c[q - 2] == '-' &&
		      tw_letter(s, q - 1))) &&
		    tw_letter(s, q + 1) &&
		    (tw_letter(s, q + 2) ||
		     (q + 2 < s->n && s->c[q + 2] == '-' &&
		      tw_letter(s, q + 3))))
			return q + 1 - i;
		if (q == s->n || tw_ws(s->c[q]))
			return q - i;
		if (tw_wp(s->c[q - 1]) && tw_dashes_then_word(s, q))
			return q - i;
	}
}

struct span {
	size_t start, len;
};

static bool span_blank(const struct cps *s, struct span sp)
{
	size_t i;

	for (i = 0; i < sp.len; i++)
		if (!py_isspace(s->c[sp.start + i]))
			return false;
	return true;
}

/*
 * HelpFormatter._split_lines: collapse ASCII whitespace, strip, then
 * textwrap.wrap(text, width). Lines are returned as spans of s.
 */
static size_t wrap_help(const char *text, long long width, struct cps *s,
			struct span **lines_out)
{
	struct span *chunks, *lines, *cur;
	size_t nchunks = 0, nlines = 0, top, i, k;
	uint32_t c;
	bool in_ws = false;

	s->c = xcalloc(strlen(text) + 1, sizeof(*s->c));
	s->n = 0;
	for (; (k = utf8_next(text, &c)); text += k) {
		if (c == ' ' || (c >= '\t' && c <= '\r')) {	/* \s */
			if (!in_ws)
				s->c[s->n++] = ' ';
			in_ws = true;
			continue;
		}
		in_ws = false;
		s->c[s->n++] = c;
	}
	for (i = 0; i < s->n && py_isspace(s->c[i]); i++)
		;
	memmove(s->c, s->c + i, (s->n - i) * sizeof(*s->c));
	s->n -= i;
	while (s->n && py_isspace(s->c[s->n - 1]))
		s->n--;

	chunks = xcalloc(s->n + 1, sizeof(*chunks));
	for (i = 0; i < s->n; i += chunks[nchunks++].len) {
		chunks[nchunks].start = i;
		chunks[nchunks].len = tw_chunk(s, i);
	}
	lines = xcalloc(s->n + 1, sizeof(*lines));
	cur = xcalloc(nchunks + 1, sizeof(*cur));

	/* TextWrapper._wrap_chunks; chunks[top] is Python's chunks[-1] */
	for (top = 0; top < nchunks; ) {
		size_t ncur = 0;
		long long cur_len = 0;

		if (nlines && span_blank(s, chunks[top]))
			top++;
		while (top < nchunks &&
		       cur_len + (long long)chunks[top].len <= width) {
			cur_len += (long long)chunks[top].len;
			cur[ncur++] = chunks[top++];
		}
		if (top < nchunks && (long long)chunks[top].len > width) {
			/*
			 * _handle_long_word: as much as fits, or up to
			 * the last hyphen that fits
			 */
			struct span *ch = &chunks[top];
			long long space_left = width < 1 ? 1 : width - cur_len;
			size_t end = (size_t)space_left, h;

			if ((long long)ch->len > space_left) {
				for (h = end; h > 0; h--)
					if (s->c[ch->start + h - 1] == '-')
						break;
				/* h - 1 is rfind's answer, if h > 0 */
				if (h > 1) {
					for (i = 0; i < h - 1; i++)
						if (s->c[ch->start + i] != '-')
							break;
					if (i < h - 1)
						end = h;
				}
			}
			if (end > ch->len)
				end = ch->len;
			cur[ncur].start = ch->start;
			cur[ncur++].len = end;
			ch->start += end;
			ch->len -= end;
			if (!ch->len)
				top++;
		}
		/*
		 * Drop a trailing whitespace chunk. When the long word
		 * added an empty piece, that piece is what gets dropped and
		 * the space before it stays: textwrap does the same.
		 */
		if (ncur && span_blank(s, cur[ncur - 1]))
			ncur--;
		if (ncur) {
			lines[nlines].start = cur[0].start;
			for (i = 0; i < ncur; i++)
				lines[nlines].len += cur[i].len;
			nlines++;
		}
	}
	free(cur);
	free(chunks);
	*lines_out = lines;
	return nlines;
}

/* ---- help ------------------------------------------------------------- */

static char *format_invocation(const struct act *a)
{
	struct text t = { 0 };
	int j;

	if (a->kind == ACT_POS)
		return xstrdup(a->metavar);
	for (j = 0; j < a->nstrs; j++) {
		text_addf(&t, "%s%s", j ? ", " : "", a->strs[j]);
		if (a->kind == ACT_VALUE)
			text_addf(&t, " %s", a->metavar);
	}
	return text_take(&t);
}

static bool str_blank(const char *s)	/* s.strip() == '' */
{
	uint32_t c;
	size_t k;

	for (; (k = utf8_next(s, &c)); s += k)
		if (!py_isspace(c))
			return false;
	return true;
}

static void add_cps(struct text *t, const struct cps *s, struct span sp)
{
	char buf[8];
	size_t i;
	uint32_t c;

	for (i = 0; i < sp.len; i++) {
		c = s->c[sp.start + i];
		if (is_escaped_byte(c)) {
			buf[0] = (char)(c & 0xff);
			buf[1] = '\0';
		} else if (c < 0x80) {
			buf[0] = (char)c;
			buf[1] = '\0';
		} else if (c < 0x800) {
			buf[0] = (char)(0xc0 | c >> 6);
			buf[1] = (char)(0x80 | (c & 0x3f));
			buf[2] = '\0';
		} else if (c < 0x10000) {
			buf[0] = (char)(0xe0 | c >> 12);
			buf[1] = (char)(0x80 | (c >> 6 & 0x3f));
			buf[2] = (char)(0x80 | (c & 0x3f));
			buf[3] = '\0';
		} else {
			buf[0] = (char)(0xf0 | c >> 18);
			buf[1] = (char)(0x80 | (c >> 12 & 0x3f));
			buf[2] = (char)(0x80 | (c >> 6 & 0x3f));
			buf[3] = (char)(0x80 | (c & 0x3f));
			buf[4] = '\0';
		}
		text_add(t, buf);
	}
}

/* HelpFormatter._format_action, at indent 2 inside a section */
static void format_action(struct parser *p, struct text *t,
			  const struct act *a, long long help_position)
{
	long long help_width = p->width - help_position;
	long long action_width = help_position - 2 - 2, indent_first = 0;
	char *header = format_invocation(a);
	struct text help = { 0 };
	struct span *lines;
	struct cps s;
	size_t n, i;

	if (help_width < 11)
		help_width = 11;
	if (!*a->help) {
		text_addf(t, "  %s\n", header);
		free(header);
		return;
	}
	if (py_len(header) <= action_width) {
		text_addf(t, "  %s%*s  ", header,
			  (int)(action_width - py_len(header)), "");
	} else {
		text_addf(t, "  %s\n", header);
		indent_first = help_position;
	}
	free(header);
	if (str_blank(a->help)) {
		if (!indent_first)
			text_add(t, "\n");
		return;
	}
	add_expanded(&help, a->help, p->prog);
	n = wrap_help(text_str(&help), help_width, &s, &lines);
	for (i = 0; i < n; i++) {
		text_addf(t, "%*s", (int)(i ? help_position : indent_first),
			  "");
		add_cps(t, &s, lines[i]);
		text_add(t, "\n");
	}
	free(lines);
	free(s.c);
	text_free(&help);
}

/* _format_text for RawDescriptionHelpFormatter at indent 0 */
static void format_text(struct parser *p, struct text *t, const char *s)
{
	if (strstr(s, "%(prog)"))
		add_expanded(t, s, p->prog);
	else
		text_add(t, s);
	text_add(t, "\n\n");
}

/*
 * The end of HelpFormatter.format_help: re.sub('\n\n\n+', '\n\n'),
 * strip('\n'), then one '\n'. Takes the text's string.
 */
static char *finish_help(struct text *t)
{
	char *s = text_take(t), *r, *w;

	for (r = w = s; *r; ) {
		if (r[0] == '\n' && r[1] == '\n' && r[2] == '\n') {
			r += strspn(r, "\n");
			*w++ = '\n';
			*w++ = '\n';
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	for (r = s; *r == '\n'; r++)
		;
	text_add(t, r);
	while (t->len && t->s[t->len - 1] == '\n')
		t->s[--t->len] = '\0';
	text_add(t, "\n");
	free(s);
	return text_take(t);
}

/* ArgumentParser.format_help */
static char *format_help(struct parser *p)
{
	static const char *const titles[] = { "positional arguments",
					      "options" };
	struct text t = { 0 }, items = { 0 };
	long long max_len = 0, mhp, help_position, len;
	size_t i, sec;
	char *inv;

	format_usage(p, &t);
	if (p->spec->description)
		format_text(p, &t, p->spec->description);

	for (i = 0; i < p->nacts; i++) {
		if (!p->acts[i].help)
			continue;
		inv = format_invocation(&p->acts[i]);
		len = py_len(inv) + 2;
		if (len > max_len)
			max_len = len;
		free(inv);
	}
	mhp = p->width - 20 > 4 ? p->width - 20 : 4;
	if (mhp > 24)
		mhp = 24;
	help_position = max_len + 2 < mhp ? max_len + 2 : mhp;

	for (sec = 0; sec < 2; sec++) {
		for (i = 0; i < p->nacts; i++) {
			if (!p->acts[i].help ||
			    (p->acts[i].kind == ACT_POS) != (sec == 0))
				continue;
			format_action(p, &items, &p->acts[i], help_position);
		}
		if (items.len)
			text_addf(&t, "\n%s:\n%s\n", titles[sec], items.s);
		text_free(&items);
	}
	if (p->spec->epilog)
		format_text(p, &t, p->spec->epilog);

	return finish_help(&t);
}

/* ---- errors ----------------------------------------------------------- */

/*
 * ArgumentParser.error: usage and "PROG: error: MSG" to stderr, exit 2.
 * Takes ownership of msg.
 */
static void __attribute__((noreturn)) parser_error(struct parser *p, char *msg)
{
	struct text t = { 0 };
	char *usage;

	format_usage(p, &t);
	usage = finish_help(&t);
	text_addf(&t, "%s%s: error: %s\n", usage, p->prog, msg);
	free(usage);
	free(msg);
	parser_free(p);
	fflush(stdout);
	write_stderr(text_str(&t));
	text_free(&t);
	exit(2);
}

/* ArgumentError: "argument -p/--pid: MSG" */
static void __attribute__((noreturn)) argument_error(struct parser *p,
						     const struct act *a,
						     struct text *msg)
{
	struct text t = { 0 };

	text_addf(&t, "argument %s: %s", a->name, text_str(msg));
	text_free(msg);
	parser_error(p, text_take(&t));
}

static void __attribute__((noreturn)) argument_error_repr(struct parser *p,
		const struct act *a, const char *what, const char *value)
{
	struct text msg = { 0 };

	text_add(&msg, what);
	add_repr(&msg, value);
	argument_error(p, a, &msg);
}

/* ---- parsing ---------------------------------------------------------- */

static struct act *lookup(struct parser *p, const char *s, size_t len,
			  const char **optstr)
{
	size_t i;

	for (i = 0; i < p->nos; i++) {
		if (strlen(p->os[i].s) == len && !memcmp(p->os[i].s, s, len)) {
			*optstr = p->os[i].s;
			return p->os[i].act;
		}
	}
	return NULL;
}

/*
 * ArgumentParser._parse_optional and _get_option_tuples: does arg name an
 * option ('O') or is it an argument ('A')? Long options may be
 * abbreviated to a unique prefix; "-pVALUE" and "--pid=VALUE" carry their
 * value along.
 */
static bool parse_optional(struct parser *p, const char *arg,
			   struct opt_tuple *tup)
{
	struct opt_tuple *found;
	const char *eq, *optstr;
	struct text msg = { 0 };
	size_t i, n = 0, plen;
	struct act *a;

	memset(tup, 0, sizeof(*tup));
	if (arg[0] != '-')
		return false;
	a = lookup(p, arg, strlen(arg), &optstr);
	if (a) {
		tup->act = a;
		tup->optstr = optstr;
		return true;
	}
	if (!arg[1])
		return false;
	eq = strchr(arg, '=');
	if (eq && (a = lookup(p, arg, (size_t)(eq - arg), &optstr))) {
		tup->act = a;
		tup->optstr = optstr;
		tup->explicit_arg = eq + 1;
		return true;
	}

	found = xcalloc(p->nos, sizeof(*found));
	if (arg[1] == '-') {
		/* only split at the '=' (allow_abbrev) */
		plen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < p->nos; i++) {
			if (strncmp(p->os[i].s, arg, plen))
				continue;
			found[n].act = p->os[i].act;
			found[n].optstr = p->os[i].s;
			found[n++].explicit_arg = eq ? eq + 1 : NULL;
		}
	} else {
		/* single-character options can carry their argument */
		plen = strlen(arg);
		for (i = 0; i < p->nos; i++) {
			if (strlen(p->os[i].s) == 2 &&
			    !memcmp(p->os[i].s, arg, 2)) {
				found[n].explicit_arg = arg + 2;
			} else if (!strncmp(p->os[i].s, arg, plen)) {
				found[n].explicit_arg = NULL;
			} else {
				continue;
			}
			found[n].act = p->os[i].act;
			found[n++].optstr = p->os[i].s;
		}
	}
	if (n > 1) {
		text_addf(&msg, "ambiguous option: %s could match ", arg);
		for (i = 0; i < n; i++)
			text_addf(&msg, "%s%s", i ? ", " : "", found[i].optstr);
		free(found);
		parser_error(p, text_take(&msg));
	}
	if (n == 1) {
		*tup = found[0];
		free(found);
		return true;
	}
	free(found);

	/* a negative number is an argument, unless options look like one */
	if (looks_negative_number(arg) && !p->has_negative_number_optionals)
		return false;
	/* so is anything with a space in it */
	if (strchr(arg, ' '))
		return false;
	/* an option this parser does not know: an "extra" */
	tup->optstr = arg;
	return true;
}

/* Convert and store one value: type conversion, then choices. */
static void store_value(struct parser *p, struct act *a, const char *s)
{
	const struct arg_opt *o = a->opt;
	struct text msg = { 0 };
	size_t i, errlen;
	char *err;

	if (o->parse) {
		/* room for a repr() of s: at most 6 bytes per byte (\udcff) */
		errlen = 6 * strlen(s) + 256;
		err = xcalloc(errlen, 1);
		if (o->parse(s, o->dst, err, errlen)) {
			text_add(&msg, err);
			free(err);
			argument_error(p, a, &msg);
		}
		free(err);
	} else if (o->dst) {
		*(const char **)o->dst = s;
	}
	if (!o->choices)
		return;
	for (i = 0; o->choices[i]; i++)
		if (!strcmp(o->choices[i], s))
			return;
	text_add(&msg, "invalid choice: ");
	add_repr(&msg, s);
	text_add(&msg, " (choose from ");
	for (i = 0; o->choices[i]; i++) {
		if (i)
			text_add(&msg, ", ");
		add_repr(&msg, o->choices[i]);
	}
	text_add(&msg, ")");
	argument_error(p, a, &msg);
}

/* take_action() inside _parse_known_args, with _get_values */
static void take_action(struct parser *p, struct act *a, const char **strs,
			size_t n)
{
	struct text msg = { 0 };
	const char *vals[4];
	size_t i, nv = 0;
	bool removed = false;
	char *help;

	/* strip out the first '--' */
	for (i = 0; i < n; i++) {
		if (!removed && !strcmp(strs[i], "--")) {
			removed = true;
			continue;
		}
		if (nv < sizeof(vals) / sizeof(vals[0]))
			vals[nv++] = strs[i];
	}

	switch (a->kind) {
	case ACT_POS:
		if (!nv)
			return;	/* the default, which does not count */
		store_value(p, a, vals[0]);
		break;
	case ACT_VALUE:
		/*
		 * "-p=--" leaves argparse an empty list, which the Python
		 * tools then treat as "no PID". Say what "-p --" says.
		 */
		if (!nv) {
			text_add(&msg, "expected one argument");
			argument_error(p, a, &msg);
		}
		store_value(p, a, vals[0]);
		break;
	default:
		break;
	}

	a->seen_non_default = true;
	for (i = 0; a->group && i < p->nacts; i++) {
		struct act *other = &p->acts[i];

		if (other != a && other->group == a->group &&
		    other->seen_non_default) {
			text_addf(&msg, "not allowed with argument %s",
				  other->name);
			argument_error(p, a, &msg);
		}
	}

	if (a->kind == ACT_FLAG && a->opt->dst) {
		*(bool *)a->opt->dst = true;
	} else if (a->kind == ACT_HELP) {
		help = format_help(p);
		fputs(help, stdout);
		free(help);
		parser_free(p);
		exit(0);
	}
}

/*
 * consume_positionals(): every positional is nargs="?", whose pattern
 * '(-*A?-*)' always matches, so the first call hands out all of them,
 * greedily, even those that get nothing. That is why "tcptop 1 -C 2"
 * reports "unrecognized arguments: 2" - argparse 3.11 does too.
 */
static size_t consume_positionals(struct parser *p, size_t start)
{
	size_t i, k = start, s0;

	for (i = 0; i < p->npositionals; i++) {
		s0 = k;
		while (p->pattern[k] == '-')
			k++;
		if (p->pattern[k] == 'A')
			k++;
		while (p->pattern[k] == '-')
			k++;
		take_action(p, p->positionals[i], (const char **)p->args + s0,
			    k - s0);
	}
	p->npositionals = 0;
	return k;
}

/* consume_optional(): an option, combined flags (-CS), and its value */
static size_t consume_optional(struct parser *p, size_t start)
{
	struct opt_tuple *tup = &p->tuples[start];
	struct act *a = tup->act;
	const char *optstr = tup->optstr, *explicit_arg = tup->explicit_arg;
	size_t ntodo = 0, stop, i;
	struct text msg = { 0 };

	if (!a) {
		p->extras[p->nextras++] = p->args[start];
		return start + 1;
	}
	/* one per flag in "-CSv", at most one per character */
	free(p->todo);
	p->todo = xcalloc(strlen(p->args[start]) + 1, sizeof(*p->todo));
	for (;;) {
		bool takes_value = a->kind == ACT_VALUE;

		if (!explicit_arg) {
			if (takes_value && p->pattern[start + 1] != 'A') {
				text_add(&msg, "expected one argument");
				argument_error(p, a, &msg);
			}
			p->todo[ntodo].act = a;
			p->todo[ntodo++].arg = takes_value ?
					       p->args[start + 1] : NULL;
			stop = start + 1 + takes_value;
			break;
		}
		if (takes_value) {
			p->todo[ntodo].act = a;
			p->todo[ntodo++].arg = explicit_arg;
			stop = start + 1;
			break;
		}
		if (optstr[1] != '-' && *explicit_arg) {
			/* -CS: the rest may be more single-dash flags */
			char next[3] = { '-', explicit_arg[0], '\0' };
			struct act *b;

			p->todo[ntodo++].act = a;
			b = lookup(p, next, 2, &optstr);
			if (b) {
				a = b;
				explicit_arg = explicit_arg[1] ?
					       explicit_arg + 1 : NULL;
				continue;
			}
		}
		argument_error_repr(p, a, "ignored explicit argument ",
				    explicit_arg);
	}
	/* errors above come before any of these actions is taken */
	for (i = 0; i < ntodo; i++) {
		const char *arg = p->todo[i].arg;

		take_action(p, p->todo[i].act, &arg, arg ? 1 : 0);
	}
	return stop;
}

static const char *py_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int args_parse(const struct arg_spec *spec, int argc, char **argv)
{
	struct parser p;
	size_t i, start, next, stop, max_option = 0;
	bool any_option = false, dashdash = false;
	struct text msg = { 0 };

	last_prog = spec->prog ? spec->prog :
		    argc > 0 && argv[0] ? py_basename(argv[0]) : "";
	parser_init(&p, spec, last_prog);
	p.args = argc > 1 ? argv + 1 : argv + argc;
	p.nargs = argc > 1 ? (size_t)argc - 1 : 0;
	p.pattern = xcalloc(p.nargs + 2, 1);
	p.tuples = xcalloc(p.nargs + 1, sizeof(*p.tuples));
	p.extras = xcalloc(p.nargs + 1, sizeof(*p.extras));
	p.positionals = xcalloc(p.nacts, sizeof(*p.positionals));
	for (i = 0; i < p.nacts; i++)
		if (p.acts[i].kind == ACT_POS)
			p.positionals[p.npositionals++] = &p.acts[i];

	/* 'O' for an option, 'A' for an argument, '-' for the first "--" */
	for (i = 0; i < p.nargs; i++) {
		if (dashdash) {
			p.pattern[i] = 'A';
		} else if (!strcmp(p.args[i], "--")) {
			p.pattern[i] = '-';
			dashdash = true;
		} else if (parse_optional(&p, p.args[i], &p.tuples[i])) {
			p.pattern[i] = 'O';
			max_option = i;
			any_option = true;
		} else {
			p.pattern[i] = 'A';
		}
	}

	/* consume positionals and optionals alternately, as argparse does */
	start = 0;
	while (any_option && start <= max_option) {
		for (next = start; p.pattern[next] != 'O'; next++)
			;
		if (start != next) {
			stop = consume_positionals(&p, start);
			if (stop > start) {
				start = stop;
				continue;
			}
		}
		if (p.pattern[start] != 'O') {
			for (; start < next; start++)
				p.extras[p.nextras++] = p.args[start];
		}
		start = consume_optional(&p, start);
	}
	stop = consume_positionals(&p, start);
	for (i = stop; i < p.nargs; i++)
		p.extras[p.nextras++] = p.args[i];

	if (p.nextras) {
		text_add(&msg, "unrecognized arguments:");
		for (i = 0; i < p.nextras; i++)
			text_addf(&msg, " %s", p.extras[i]);
		parser_error(&p, text_take(&msg));
	}
	parser_free(&p);
	return 0;
}

void args_error(const struct arg_spec *spec, const char *fmt, ...)
{
	struct parser p;
	struct text msg = { 0 };
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	text_add(&msg, s);
	free(s);
	parser_init(&p, spec, spec->prog ? spec->prog :
			      last_prog ? last_prog : "");
	parser_error(&p, text_take(&msg));
}

/* ---- strict value parsers --------------------------------------------- */

static int fail(char *err, size_t errlen, const char *what, const char *s,
		const char *tail)
{
	struct text t = { 0 };

	text_add(&t, what);
	if (s)
		add_repr(&t, s);
	text_add(&t, tail);
	snprintf(err, errlen, "%s", text_str(&t));
	text_free(&t);
	return -1;
}

/*
 * Digits only, optionally signed: the integer Python's int() would print
 * (no leading zeros, no "-0"), without converting, so any length works.
 * Returns false for anything else.
 */
static bool plain_integer(const char *s, bool allow_sign, bool *neg,
			  const char **digits, size_t *ndigits)
{
	*neg = false;
	if (allow_sign && (*s == '+' || *s == '-'))
		*neg = *s++ == '-';
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	while (s[0] == '0' && s[1])
		s++;
	*digits = s;
	*ndigits = strlen(s);
	if (*ndigits == 1 && s[0] == '0')
		*neg = false;
	return true;
}

/* The value of a digit string, or ULLONG_MAX if it does not fit. */
static unsigned long long digits_value(const char *d, size_t n)
{
	unsigned long long v;
	char *end;

	if (n > 19)
		return ~0ULL;
	errno = 0;
	v = strtoull(d, &end, 10);
	return errno ? ~0ULL : v;
}

int args_parse_pid(const char *s, void *dst, char *err, size_t errlen)
{
	unsigned long long v;
	const char *d;
	size_t n;
	bool neg;

	/*
	 * Python's tcptop pastes any -p string into the BPF text, where
	 * "12abc" fails to compile much later; reject it here.
	 */
	if (!plain_integer(s, false, &neg, &d, &n))
		return fail(err, errlen, "invalid pid value: ", s, "");
	v = digits_value(d, n);
	if (v < 1 || v > ARGS_PID_MAX) {
		char tail[64];

		snprintf(tail, sizeof(tail), " (must be 1..%d)", ARGS_PID_MAX);
		return fail(err, errlen, "invalid pid value: ", s, tail);
	}
	*(int *)dst = (int)v;
	return 0;
}

int args_parse_positive_int(const char *s, void *dst, char *err,
			    size_t errlen)
{
	unsigned long long v;
	const char *d;
	size_t n;
	bool neg;

	/*
	 * Python's int() also takes " 5", "1_0" and non-ASCII digits; we
	 * take plain decimal only and report the rest as it reports junk.
	 */
	if (!plain_integer(s, true, &neg, &d, &n))
		return fail(err, errlen, "invalid range_check value: ", s, "");
	v = digits_value(d, n);
	if (neg || v < 1) {
		snprintf(err, errlen,
			 "value must be stricly positive, got %s%s",
			 neg ? "-" : "", d);
		return -1;
	}
	/* Python takes any size; the tool multiplies by 1000 into an int */
	if (v > ARGS_POSITIVE_INT_MAX) {
		snprintf(err, errlen, "value too large, got %s (max %d)", d,
			 ARGS_POSITIVE_INT_MAX);
		return -1;
	}
	*(int *)dst = (int)v;
	return 0;
}

/*
 * Python's float() syntax minus whitespace and '_':
 * [+-](digits[.[digits]] | .digits)[(e|E)[+-]digits]
 */
static bool decimal_float(const char *s)
{
	size_t before, after = 0;

	if (*s == '+' || *s == '-')
		s++;
	before = strspn(s, "0123456789");
	s += before;
	if (*s == '.') {
		after = strspn(s + 1, "0123456789");
		s += 1 + after;
	}
	if (!before && !after)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!strspn(s, "0123456789"))
			return false;
		s += strspn(s, "0123456789");
	}
	return !*s;
}

/* "inf", "infinity" or "nan" in any case, signed: float() takes them */
static bool special_float(const char *s, bool *neg, bool *nan)
{
	*neg = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	*nan = !strcasecmp(s, "nan");
	return *nan || !strcasecmp(s, "inf") || !strcasecmp(s, "infinity");
}

int args_parse_duration_ms(const char *s, void *dst, char *err, size_t errlen)
{
	bool neg, nan;
	double v;

	if (special_float(s, &neg, &nan)) {
		/* Python rejects "-inf" too, with its own words */
		snprintf(err, errlen, "%s", !nan && neg ? "must be positive" :
			 "must be a finite number");
		return -1;
	}
	if (!decimal_float(s)) {
		snprintf(err, errlen, "must be a float");
		return -1;
	}
	/* The tools never call setlocale(), so '.' is the decimal point. */
	v = strtod(s, NULL);
	if (v < 0) {
		snprintf(err, errlen, "must be positive");
		return -1;
	}
	/* 1e400 overflows to inf, which Python accepts and then crashes on */
	if (isinf(v)) {
		snprintf(err, errlen, "must be a finite number");
		return -1;
	}
	/* the tool compares against ms * 1000 as a u64 */
	if (!(v * 1000.0 < 18446744073709551616.0)) {
		snprintf(err, errlen,
			 "too large: the microseconds must fit in 64 bits");
		return -1;
	}
	*(double *)dst = v == 0 ? 0 : v;	/* no "-0" */
	return 0;
}

/*
 * bcc's filter_by_containers() pastes the path into the BPF text as
 * BPF_TABLE_PINNED(..., "PATH"): a '"', a '\' or a control character
 * would end or change that C string literal, so they are refused here
 * rather than surfacing as a compiler error (or a different program).
 * Relative paths are accepted, as bcc accepts them: libbcc opens the pin
 * from this process, so they resolve against its working directory.
 */
int args_parse_map_path(const char *s, void *dst, char *err, size_t errlen)
{
	const unsigned char *c;

	if (!*s) {
		snprintf(err, errlen, "map path must not be empty");
		return -1;
	}
	if (strlen(s) >= 4096) {
		snprintf(err, errlen, "map path too long (max 4095 bytes)");
		return -1;
	}
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\' || *c < 0x20 || *c == 0x7f)
			return fail(err, errlen, "invalid map path: ", s,
				    " (quotes, backslashes and control "
				    "characters are not allowed)");
	}
	*(const char **)dst = s;
	return 0;
}
