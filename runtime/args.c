// SPDX-License-Identifier: Apache-2.0
/*
 * args: a table-driven command-line parser that accepts what Python's
 * argparse (3.11) accepts for the same parser, with its messages and its
 * exit status 2, and lays out help as argparse does at 80 columns: bcc's
 * tcptop and tcpconnlat are argparse tools, and scripts call them.
 *
 * It does not emulate argparse beyond that (README.md, "Differences from
 * bcc"): the layout is always for 80 columns, values in messages are
 * quoted like Python's repr() only as far as ASCII goes, and help text
 * wraps at spaces only.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "text.h"

#define WIDTH		78	/* argparse's: 80 columns - 2 */
#define USAGE		"usage: "
#define WS		" \t\n\v\f\r"

/* argparse's add_help=True: -h/--help, before the table's options */
static const struct arg_opt help_opt = {
	.short_name = 'h', .long_name = "help", .kind = ARG_FLAG,
	.help = "show this help message and exit",
};

struct parser {
	const struct arg_spec *spec;
	const char *prog;
	size_t nall;		/* help_opt and the table */
	struct text *out;	/* the help, or the usage error */
	bool *seen;		/* per option: given (mutually exclusive groups) */
	struct text extras;	/* " ARG" per unrecognized argument */
};

/* One command-line argument, classified before any is acted on. */
struct tok {
	const struct arg_opt *opt;	/* the option it names, if known */
	const char *val;	/* attached value: "-p5", "--pid=5", "-CS" */
	bool is_opt;		/* looks like an option (argparse's 'O') */
	bool dashdash;		/* the first "--" */
	bool shortform;		/* named as "-X": "-XYZ" may go on with -Y */
};

static const struct arg_opt *opt_at(const struct parser *p, size_t i)
{
	return i ? &p->spec->opts[i - 1] : &help_opt;
}

static size_t opt_index(const struct parser *p, const struct arg_opt *o)
{
	return o == &help_opt ? 0 : (size_t)(o - p->spec->opts) + 1;
}

static void *xcalloc(size_t n, size_t size)
{
	void *ptr = calloc(n ? n : 1, size);

	if (!ptr) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return ptr;
}

/* Characters (UTF-8 code points), which is what argparse counts. */
static size_t ulen(const char *s, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += ((unsigned char)s[i] & 0xc0) != 0x80;
	return len;
}

/*
 * Python's repr() of a str, as argparse's %r shows a value, for ASCII;
 * other bytes are copied as they are.
 */
static void add_repr(struct text *t, const char *s)
{
	static const char ctl[] = "\t\n\r", esc[] = "tnr";
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	const char *e;

	text_addf(t, "%c", q);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == q || c == '\\')
			text_addf(t, "\\%c", c);
		else if (c && (e = strchr(ctl, c)))
			text_addf(t, "\\%c", esc[e - ctl]);
		else if (c < 0x20 || c == 0x7f)
			text_addf(t, "\\x%02x", c);
		else
			text_addf(t, "%c", c);
	}
	text_addf(t, "%c", q);
}

/* The metavar: {choices}, else the dest (upper-cased for an option). */
static void add_metavar(struct text *t, const struct arg_opt *o)
{
	const char *s;
	size_t i;

	if (o->metavar) {
		text_add(t, o->metavar);
	} else if (o->choices) {
		text_add(t, "{");
		for (i = 0; o->choices[i]; i++)
			text_addf(t, "%s%s", i ? "," : "", o->choices[i]);
		text_add(t, "}");
	} else if (o->kind == ARG_POSITIONAL) {
		text_add(t, o->long_name);
	} else if (!o->long_name) {
		text_addf(t, "%c", toupper((unsigned char)o->short_name));
	} else {
		for (s = o->long_name; *s; s++)
			text_addf(t, "%c", *s == '-' ? '_' :
				  toupper((unsigned char)*s));
	}
}

/* How usage shows an option: "-p PID", "-C", "interval". */
static void add_usage_item(struct text *t, const struct arg_opt *o)
{
	if (o->kind == ARG_POSITIONAL) {
		add_metavar(t, o);
		return;
	}
	if (o->short_name)
		text_addf(t, "-%c", o->short_name);
	else
		text_addf(t, "--%s", o->long_name);
	if (o->kind == ARG_VALUE) {
		text_add(t, " ");
		add_metavar(t, o);
	}
}

/* How help lists an option: "-p PID, --pid PID". */
static void add_invocation(struct text *t, const struct arg_opt *o)
{
	if (o->kind == ARG_POSITIONAL) {
		add_metavar(t, o);
		return;
	}
	if (o->short_name)
		text_addf(t, "-%c", o->short_name);
	if (o->short_name && o->kind == ARG_VALUE) {
		text_add(t, " ");
		add_metavar(t, o);
	}
	if (o->long_name)
		text_addf(t, "%s--%s", o->short_name ? ", " : "", o->long_name);
	if (o->long_name && o->kind == ARG_VALUE) {
		text_add(t, " ");
		add_metavar(t, o);
	}
}

/* How messages name an option: "-p/--pid", "--attach", "interval". */
static void add_name(struct text *t, const struct arg_opt *o)
{
	if (o->kind == ARG_POSITIONAL)
		text_add(t, o->metavar ? o->metavar : o->long_name);
	else if (o->short_name && o->long_name)
		text_addf(t, "-%c/--%s", o->short_name, o->long_name);
	else if (o->short_name)
		text_addf(t, "-%c", o->short_name);
	else
		text_addf(t, "--%s", o->long_name);
}

/*
 * The usage's parts: options, then positionals, each in brackets, the
 * members of a mutually exclusive group in one "[-4 | -6]" (they must be
 * adjacent in the table, the first one visible). Returns how many; *nopt
 * of them are options.
 */
static size_t usage_parts(const struct parser *p, struct text *parts,
			  size_t *nopt)
{
	const struct arg_opt *o, *m;
	size_t n = 0, i, j;
	int pos;

	for (pos = 0; pos < 2; pos++) {
		*nopt = pos ? n : 0;
		for (i = 0; i < p->nall; i++) {
			o = opt_at(p, i);
			if (!o->help || (o->kind == ARG_POSITIONAL) != pos ||
			    (o->group && opt_at(p, i - 1)->group == o->group))
				continue;
			text_add(&parts[n], "[");
			add_usage_item(&parts[n], o);
			for (j = i + 1; o->group && j < p->nall; j++) {
				m = opt_at(p, j);
				if (m->group != o->group)
					break;
				if (!m->help)
					continue;
				text_add(&parts[n], " | ");
				add_usage_item(&parts[n], m);
			}
			text_add(&parts[n++], "]");
		}
	}
	return n;
}

/*
 * argparse's get_lines(): the parts, wrapped at WIDTH, each new line
 * indented; cont: the first part goes on the line t ends with. Returns
 * the number of lines started.
 */
static size_t add_lines(struct text *t, const struct text *parts, size_t n,
			size_t indent, bool cont)
{
	size_t i, len = indent - 1, plen, lines = 0;
	bool empty = !cont;

	for (i = 0; i < n; i++) {
		plen = ulen(parts[i].s, parts[i].len);
		if (!empty && len + 1 + plen > WIDTH) {
			empty = true;
			len = indent - 1;
		}
		if (empty)
			text_addf(t, "\n%*s", (int)indent, "");
		else
			text_add(t, " ");
		lines += empty;
		text_add(t, parts[i].s);
		empty = false;
		len += plen + 1;
	}
	return lines;
}

/* HelpFormatter._format_usage: "usage: PROG [-h] ...\n\n" */
static void add_usage(const struct parser *p, struct text *t)
{
	struct text *parts = xcalloc(p->nall, sizeof(*parts)), all = { 0 };
	size_t n, nopt, i, len, plen = strlen(USAGE);

	plen += ulen(p->prog, strlen(p->prog));
	n = usage_parts(p, parts, &nopt);
	for (i = 0, len = plen; i < n; i++)
		len += ulen(parts[i].s, parts[i].len) + 1;
	text_addf(t, USAGE "%s", p->prog);
	if (len <= WIDTH) {
		for (i = 0; i < n; i++)
			text_addf(t, " %s", parts[i].s);
	} else if (4 * plen <= 3 * WIDTH) {
		/* a short prog: wrap after it */
		add_lines(t, parts, nopt, plen + 1, true);
		add_lines(t, parts + nopt, n - nopt, plen + 1, false);
	} else if (add_lines(&all, parts, n, strlen(USAGE), false) > 1) {
		/* a long prog on a line of its own */
		add_lines(t, parts, nopt, strlen(USAGE), false);
		add_lines(t, parts + nopt, n - nopt, strlen(USAGE), false);
	} else {
		text_add(t, text_str(&all));
	}
	text_add(t, "\n\n");
	for (i = 0; i < n; i++)
		text_free(&parts[i]);
	free(parts);
	text_free(&all);
}

/*
 * argparse's textwrap.wrap() of a help text, for words: greedy at
 * whitespace, a word wider than the column on a line of its own.
 */
static void add_wrapped(struct text *t, const char *s, size_t first,
			size_t indent)
{
	size_t width = WIDTH - indent, len = 0, n, wlen;
	bool any = false;

	while (*(s += strspn(s, WS))) {
		n = strcspn(s, WS);
		wlen = ulen(s, n);
		if (any && len + 1 + wlen > width) {
			text_add(t, "\n");
			len = 0;
		}
		text_addf(t, "%*s%.*s", (int)(!len ? any ? indent : first : 1),
			  "", (int)n, s);
		len += (len ? 1 : 0) + wlen;
		any = true;
		s += n;
	}
	if (any || !first)
		text_add(t, "\n");
}

/* HelpFormatter._format_action, at help position pos */
static void add_action(struct text *t, const struct arg_opt *o, size_t pos)
{
	struct text inv = { 0 };
	size_t len;

	add_invocation(&inv, o);
	len = ulen(inv.s, inv.len);
	if (!*o->help) {
		text_addf(t, "  %s\n", inv.s);
	} else if (len <= pos - 4) {
		text_addf(t, "  %s%*s  ", inv.s, (int)(pos - 4 - len), "");
		add_wrapped(t, o->help, 0, pos);
	} else {
		text_addf(t, "  %s\n", inv.s);
		add_wrapped(t, o->help, pos, pos);
	}
	text_free(&inv);
}

/* The end of format_help(): no run of blank lines, one '\n' at the end. */
static void tidy(struct text *t)
{
	char *r, *w;

	for (r = w = t->s; *r; r++)
		if (*r != '\n' || w - t->s < 2 || w[-1] != '\n' ||
		    w[-2] != '\n')
			*w++ = *r;
	while (w > t->s && w[-1] == '\n')
		w--;
	*w = '\0';
	t->len = (size_t)(w - t->s);
	text_add(t, "\n");
}

static void add_help(const struct parser *p, struct text *t)
{
	static const char *const titles[] = { "options", "positional arguments" };
	struct text inv = { 0 };
	size_t i, pos = 0;
	int sec, any;

	add_usage(p, t);
	if (p->spec->description)
		text_addf(t, "%s\n\n", p->spec->description);
	for (i = 0; i < p->nall; i++) {
		if (!opt_at(p, i)->help)
			continue;
		add_invocation(&inv, opt_at(p, i));
		if (ulen(inv.s, inv.len) + 4 > pos)
			pos = ulen(inv.s, inv.len) + 4;
		text_free(&inv);
	}
	pos = pos < 24 ? pos : 24;
	for (sec = 1; sec >= 0; sec--) {
		for (i = 0, any = 0; i < p->nall; i++) {
			if (!opt_at(p, i)->help ||
			    (opt_at(p, i)->kind == ARG_POSITIONAL) != sec)
				continue;
			if (!any++)
				text_addf(t, "\n%s:\n", titles[sec]);
			add_action(t, opt_at(p, i), pos);
		}
		text_add(t, "\n");
	}
	if (p->spec->epilog)
		text_addf(t, "%s\n\n", p->spec->epilog);
	tidy(t);
}

/* ArgumentParser.error(): usage, then "PROG: error: [argument NAME: ]MSG" */
static int usage_error(struct parser *p, const struct arg_opt *o,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(struct parser *p, const struct arg_opt *o,
		       const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	text_free(p->out);
	add_usage(p, p->out);
	tidy(p->out);
	text_addf(p->out, "%s: error: ", p->prog);
	if (o) {
		text_add(p->out, "argument ");
		add_name(p->out, o);
		text_add(p->out, ": ");
	}
	text_addf(p->out, "%s\n", msg);
	free(msg);
	return ARGS_USAGE;
}

/* An option's message that quotes a value, or names another option. */
static int value_error(struct parser *p, const struct arg_opt *o,
		       const char *what, const char *val,
		       const struct arg_opt *other)
{
	struct text msg = { 0 };
	size_t i;
	int ret;

	text_add(&msg, what);
	if (other)
		add_name(&msg, other);
	else
		add_repr(&msg, val);
	for (i = 0; !other && o->choices && o->choices[i]; i++) {
		text_add(&msg, i ? ", " : " (choose from ");
		add_repr(&msg, o->choices[i]);
	}
	text_add(&msg, !other && o->choices ? ")" : "");
	ret = usage_error(p, o, "%s", msg.s);
	text_free(&msg);
	return ret;
}

/* take_action(): convert, check choices and the group, store. */
static int take(struct parser *p, const struct arg_opt *o, const char *val)
{
	size_t i, idx = opt_index(p, o), errlen;
	char *err;
	int ret = 0;

	if (o == &help_opt) {
		text_free(p->out);
		add_help(p, p->out);
		return ARGS_HELP;
	}
	if (o->kind != ARG_FLAG && o->parse) {
		errlen = 4 * strlen(val) + 256;
		err = xcalloc(errlen, 1);
		if (o->parse(val, o->dst, err, errlen))
			ret = usage_error(p, o, "%s", err);
		free(err);
		if (ret)
			return ret;
	} else if (o->kind != ARG_FLAG && o->dst) {
		*(const char **)o->dst = val;
	}
	for (i = 0; o->kind != ARG_FLAG && o->choices && o->choices[i]; i++)
		if (!strcmp(o->choices[i], val))
			break;
	if (o->kind != ARG_FLAG && o->choices && !o->choices[i])
		return value_error(p, o, "invalid choice: ", val, NULL);
	for (i = 0; o->group && i < p->nall; i++)
		if (i != idx && p->seen[i] && opt_at(p, i)->group == o->group)
			return value_error(p, o, "not allowed with argument ",
					   NULL, opt_at(p, i));
	p->seen[idx] = true;
	if (o->kind == ARG_FLAG && o->dst)
		*(bool *)o->dst = true;
	return 0;
}

/* The option named exactly by s[0..len): "-p" or "--pid". */
static const struct arg_opt *find(const struct parser *p, const char *s,
				  size_t len)
{
	const struct arg_opt *o;
	size_t i;

	for (i = 0; i < p->nall; i++) {
		o = opt_at(p, i);
		if (o->kind == ARG_POSITIONAL)
			continue;
		if (len == 2 && s[0] == '-' && s[1] != '-' &&
		    s[1] == o->short_name)
			return o;
		if (len > 2 && !strncmp(s, "--", 2) && o->long_name &&
		    strlen(o->long_name) == len - 2 &&
		    !memcmp(o->long_name, s + 2, len - 2))
			return o;
	}
	return NULL;
}

/*
 * _parse_optional(): is arg an option, and which? Long options may be
 * abbreviated to a unique prefix; "-pVALUE", "-p=VALUE" and
 * "--pid=VALUE" carry their value along.
 */
static int classify(struct parser *p, const char *arg, struct tok *t)
{
	const char *eq = strchr(arg, '=');
	size_t plen = eq ? (size_t)(eq - arg) : strlen(arg), i, n = 0;
	struct text msg = { 0 };
	const struct arg_opt *o;
	int ret;

	t->dashdash = !strcmp(arg, "--");
	if (arg[0] != '-' || !arg[1] || t->dashdash)
		return 0;
	t->is_opt = true;
	t->shortform = arg[1] != '-';
	if ((t->opt = find(p, arg, strlen(arg))))
		return 0;
	if (eq && (t->opt = find(p, arg, plen))) {
		t->val = eq + 1;
	} else if (arg[1] != '-') {
		if ((t->opt = find(p, arg, 2)))
			t->val = arg + 2;
	} else {
		text_addf(&msg, "ambiguous option: %s could match", arg);
		for (i = 0; i < p->nall; i++) {
			o = opt_at(p, i);
			if (o->kind == ARG_POSITIONAL || !o->long_name ||
			    strncmp(o->long_name, arg + 2, plen - 2))
				continue;
			text_addf(&msg, "%s --%s", n++ ? "," : "", o->long_name);
			t->opt = o;
			t->val = eq ? eq + 1 : NULL;
		}
		ret = n > 1 ? usage_error(p, NULL, "%s", msg.s) : 0;
		text_free(&msg);
		if (ret)
			return ret;
	}
	/* argparse: an unknown option with a space in it is an argument */
	t->is_opt = t->opt || !strchr(arg, ' ');
	return 0;
}

/*
 * consume_optional(): an option and its value ("-p 5", "--pid=5"), or
 * flags run together ("-CSp5"). argparse checks the whole argument before
 * acting on any of it ("-hx" is an error, not help): two passes.
 */
static int consume_optional(struct parser *p, const struct tok *toks,
			    char **args, size_t n, size_t *i)
{
	const struct arg_opt *o, *next = NULL;
	const char *ex, *val;
	size_t used = 1;
	int pass, ret;
	bool shortform;

	for (pass = 0; pass < 2; pass++) {
		o = toks[*i].opt;
		ex = toks[*i].val;
		shortform = toks[*i].shortform;
		while (o->kind == ARG_FLAG) {
			if (ex && (!shortform || !*ex ||
				   !(next = find(p, (char[]){ '-', *ex }, 2))))
				return value_error(p, o,
					"ignored explicit argument ", ex, NULL);
			if (pass && (ret = take(p, o, NULL)))
				return ret;
			if (!ex)
				break;
			o = next;
			ex = ex[1] ? ex + 1 : NULL;
		}
		if (o->kind == ARG_FLAG)
			continue;
		val = ex;
		if (!ex && *i + 1 < n && !toks[*i + 1].is_opt &&
		    !toks[*i + 1].dashdash) {
			val = args[*i + 1];
			used = 2;
		}
		/* argparse would store [] for "-p=--": say what "-p --" says */
		if (!val || (ex && !strcmp(ex, "--")))
			return usage_error(p, o, "expected one argument");
		if (pass && (ret = take(p, o, val)))
			return ret;
	}
	*i += used;
	return 0;
}

/*
 * The arguments in order. As in argparse, the first run of arguments
 * that are not options gets all the positionals; an argument after the
 * next option is unrecognized ("tcptop 1 -C 2").
 */
static int parse(struct parser *p, struct tok *toks, char **args, size_t n)
{
	bool started = false, closed = false;
	size_t i, next = 0;
	int ret;

	for (i = 0; i < n && !(i && toks[i - 1].dashdash); i++)
		if ((ret = classify(p, args[i], &toks[i])))
			return ret;
	for (i = 0; i < n; ) {
		if (toks[i].is_opt) {
			closed |= started;
			if (toks[i].opt) {
				if ((ret = consume_optional(p, toks, args, n, &i)))
					return ret;
				continue;
			}
		} else {
			started = true;
			while (next < p->nall &&
			       opt_at(p, next)->kind != ARG_POSITIONAL)
				next++;
			if (!closed && toks[i].dashdash) {
				i++;
				continue;
			}
			if (!closed && next < p->nall) {
				if ((ret = take(p, opt_at(p, next++), args[i])))
					return ret;
				i++;
				continue;
			}
			closed = true;
		}
		text_addf(&p->extras, " %s", args[i++]);
	}
	if (p->extras.len)
		return usage_error(p, NULL, "unrecognized arguments:%s",
				   p->extras.s);
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int args_try(const struct arg_spec *spec, int argc, char **argv,
	     struct text *out)
{
	size_t n = argc > 1 ? (size_t)argc - 1 : 0;
	struct parser p = {
		.spec = spec,
		.prog = spec->prog ? spec->prog :
			argc > 0 && argv[0] ? basename_of(argv[0]) : "",
		.nall = spec->nopts + 1,
		.out = out,
	};
	struct tok *toks = xcalloc(n, sizeof(*toks));
	int ret;

	p.seen = xcalloc(p.nall, sizeof(*p.seen));
	ret = parse(&p, toks, argv + (n ? 1 : 0), n);
	free(toks);
	free(p.seen);
	text_free(&p.extras);
	return ret;
}

int args_parse(const struct arg_spec *spec, int argc, char **argv)
{
	struct text out = { 0 };
	int ret = args_try(spec, argc, argv, &out);

	if (!ret)
		return 0;
	fputs(text_str(&out), ret == ARGS_HELP ? stdout : stderr);
	text_free(&out);
	exit(ret == ARGS_HELP ? 0 : 2);
}

void args_error(const struct arg_spec *spec, const char *fmt, ...)
{
	struct text out = { 0 };
	struct parser p = {
		.spec = spec,
		.prog = spec->prog ? spec->prog : program_invocation_short_name,
		.nall = spec->nopts + 1,
		.out = &out,
	};
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	usage_error(&p, NULL, "%s", msg);
	free(msg);
	fflush(stdout);
	fputs(text_str(&out), stderr);
	exit(2);
}

/* ---- strict value parsers --------------------------------------------- */

static int fail(char *err, size_t errlen, const char *what, const char *s,
		const char *tail)
{
	struct text t = { 0 };

	text_add(&t, what);
	add_repr(&t, s);
	text_add(&t, tail);
	snprintf(err, errlen, "%s", t.s);
	text_free(&t);
	return -1;
}

/*
 * Digits, optionally signed: *digits is the number without leading
 * zeros, as Python's int() would print it, however long; *value is
 * UINT64_MAX when it does not fit.
 */
static bool plain_integer(const char *s, bool allow_sign, bool *neg,
			  const char **digits, uint64_t *value)
{
	*neg = allow_sign && *s == '-';
	if (allow_sign && (*s == '+' || *s == '-'))
		s++;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	while (s[0] == '0' && s[1])
		s++;
	*digits = s;
	*neg = *neg && strcmp(s, "0");
	errno = 0;
	*value = strlen(s) > 19 ? UINT64_MAX : strtoull(s, NULL, 10);
	if (errno)
		*value = UINT64_MAX;
	return true;
}

int args_parse_pid(const char *s, void *dst, char *err, size_t errlen)
{
	const char *d;
	uint64_t v;
	bool neg;
	char tail[64];

	/*
	 * Python's tcptop pastes any -p string into the BPF text, where
	 * "12abc" fails to compile much later; reject it here.
	 */
	if (!plain_integer(s, false, &neg, &d, &v))
		return fail(err, errlen, "invalid pid value: ", s, "");
	snprintf(tail, sizeof(tail), " (must be 1..%d)", ARGS_PID_MAX);
	if (v < 1 || v > ARGS_PID_MAX)
		return fail(err, errlen, "invalid pid value: ", s, tail);
	*(int *)dst = (int)v;
	return 0;
}

int args_parse_positive_int(const char *s, void *dst, char *err,
			    size_t errlen)
{
	const char *d;
	uint64_t v;
	bool neg;

	/*
	 * Python's int() also takes " 5", "1_0" and non-ASCII digits; we
	 * take plain decimal only and report the rest as it reports junk.
	 */
	if (!plain_integer(s, true, &neg, &d, &v))
		return fail(err, errlen, "invalid range_check value: ", s, "");
	if (neg || v < 1) {
		snprintf(err, errlen, "value must be stricly positive, got %s%s",
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

/* Python's float() syntax minus whitespace, '_', inf and nan. */
static bool decimal_float(const char *s)
{
	size_t before, after = 0;

	s += *s == '+' || *s == '-';
	before = strspn(s, "0123456789");
	s += before;
	if (*s == '.') {
		after = strspn(s + 1, "0123456789");
		s += 1 + after;
	}
	if (!before && !after)
		return false;
	if (*s == 'e' || *s == 'E') {
		s += 1 + (s[1] == '+' || s[1] == '-');
		if (!strspn(s, "0123456789"))
			return false;
		s += strspn(s, "0123456789");
	}
	return !*s;
}

int args_parse_duration_ms(const char *s, void *dst, char *err, size_t errlen)
{
	const char *u = s + (*s == '+' || *s == '-');
	const char *msg = NULL;
	double v = 0;

	/* float() takes "inf", "infinity" and "nan", signed, in any case */
	if (!strcasecmp(u, "nan") || !strcasecmp(u, "inf") ||
	    !strcasecmp(u, "infinity"))
		msg = *s == '-' && strcasecmp(u, "nan") ? "must be positive" :
		      "must be a finite number";
	else if (!decimal_float(s))
		msg = "must be a float";
	/* The tools never call setlocale(), so '.' is the decimal point. */
	else if ((v = strtod(s, NULL)) < 0)
		msg = "must be positive";
	/* 1e400 is inf, which Python accepts and then crashes on */
	else if (isinf(v))
		msg = "must be a finite number";
	/* the tool compares against ms * 1000 as a u64 */
	else if (!(v * 1000.0 < 18446744073709551616.0))
		msg = "too large: the microseconds must fit in 64 bits";
	if (msg) {
		snprintf(err, errlen, "%s", msg);
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
	for (c = (const unsigned char *)s; *c; c++)
		if (*c == '"' || *c == '\\' || *c < 0x20 || *c == 0x7f)
			return fail(err, errlen, "invalid map path: ", s,
				    " (quotes, backslashes and control "
				    "characters are not allowed)");
	*(const char **)dst = s;
	return 0;
}
