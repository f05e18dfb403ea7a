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
 * wraps at whitespace only.
 */
#include <ctype.h>
#include <errno.h>	/* program_invocation_short_name */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "text.h"

#define WIDTH	78	/* argparse's: 80 columns - 2 */
#define USAGE	"usage: "
#define WS	" \t\n\v\f\r"

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
	bool *seen;		/* per table option: given (exclusive groups) */
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

static void *xcalloc(size_t n, size_t size)
{
	void *ptr = calloc(n ? n : 1, size);

	if (!ptr)
		abort();	/* as text.c does */
	return ptr;
}

/* Characters (UTF-8 code points): what argparse counts. */
static size_t ulen(const char *s, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += ((unsigned char)s[i] & 0xc0) != 0x80;
	return len;
}

/* Python's repr() of a str as argparse's %r shows it, for ASCII. */
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
		else if ((e = strchr(ctl, c)))
			text_addf(t, "\\%c", esc[e - ctl]);
		else if (c < 0x20 || c == 0x7f)
			text_addf(t, "\\x%02x", c);
		else
			text_addf(t, "%c", c);	/* UTF-8 as it is */
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
		for (i = 0; o->choices[i]; i++)
			text_addf(t, "%s%s", i ? "," : "{", o->choices[i]);
		text_add(t, i ? "}" : "{}");
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

/*
 * An option as usage shows it ("-p PID"), as help lists it ("-p PID,
 * --pid PID") or as messages name it ("-p/--pid"); a positional by its
 * metavar (messages: without choices).
 */
enum { AS_USAGE, AS_HELP, AS_NAME };

static void add_opt(struct text *t, const struct arg_opt *o, int as)
{
	static const char *const sep[] = { "", ", ", "/" };
	int i, n = 0;

	if (o->kind == ARG_POSITIONAL && as == AS_NAME)
		text_add(t, o->metavar ? o->metavar : o->long_name);
	else if (o->kind == ARG_POSITIONAL)
		add_metavar(t, o);
	for (i = 0; i < 2 && o->kind != ARG_POSITIONAL; i++) {
		if ((i ? !o->long_name : !o->short_name) ||
		    (n && as == AS_USAGE))
			continue;
		text_addf(t, "%s%s%s", n++ ? sep[as] : "", i ? "--" : "-",
			  i ? o->long_name : (char[]){ o->short_name, 0 });
		if (o->kind == ARG_VALUE && as != AS_NAME) {
			text_add(t, " ");
			add_metavar(t, o);
		}
	}
}

/*
 * Append the usage part that starts at option i, if any: "[-p PID]", or
 * a mutually exclusive group's "[-4 | -6]" (members adjacent in the table,
 * the first one shown); pos: positionals only, else options only.
 */
static bool add_part(const struct parser *p, struct text *t, size_t i,
		     bool pos)
{
	const struct arg_opt *o = opt_at(p, i);

	if (!o->help || (o->kind == ARG_POSITIONAL) != pos ||
	    (o->group && opt_at(p, i - 1)->group == o->group))
		return false;
	text_add(t, "[");
	add_opt(t, o, AS_USAGE);
	while (o->group && ++i < p->nall && opt_at(p, i)->group == o->group) {
		if (opt_at(p, i)->help) {
			text_add(t, " | ");
			add_opt(t, opt_at(p, i), AS_USAGE);
		}
	}
	text_add(t, "]");
	return true;
}

/*
 * argparse's get_lines(): the options' (or the positionals') parts
 * wrapped at width, each line started with '\n' and indent, but with cont
 * the first line goes on after what t has.
 */
static void add_lines(const struct parser *p, struct text *t, bool pos,
		      size_t indent, bool cont, size_t width)
{
	struct text part = { 0 };
	size_t i, len = indent - 1, plen;

	for (i = 0; i < p->nall; i++, text_free(&part)) {
		if (!add_part(p, &part, i, pos))
			continue;
		plen = ulen(part.s, part.len);
		if (cont && len + 1 + plen > width) {
			cont = false;
			len = indent - 1;
		}
		text_addf(t, "%s%*s%s", cont ? " " : "\n", cont ? 0 : (int)indent,
			  "", part.s);
		cont = true;
		len += plen + 1;
	}
}

/* HelpFormatter._format_usage, without its final "\n\n" */
static void add_usage(const struct parser *p, struct text *t)
{
	size_t plen = strlen(USAGE) + ulen(p->prog, strlen(p->prog));
	bool short_prog = 4 * plen <= 3 * WIDTH;
	size_t indent = short_prog ? plen + 1 : strlen(USAGE);
	struct text one = { 0 };

	text_addf(t, USAGE "%s", p->prog);
	add_lines(p, &one, false, 1, true, SIZE_MAX);
	add_lines(p, &one, true, 1, true, SIZE_MAX);
	if (plen + ulen(one.s, one.len) <= WIDTH) {
		text_add(t, text_str(&one));
	} else {
		/*
		 * After a short prog, else on lines of their own (argparse
		 * first tries all parts on one line there; they never fit).
		 */
		add_lines(p, t, false, indent, short_prog, WIDTH);
		add_lines(p, t, true, indent, false, WIDTH);
	}
	text_free(&one);
}

/*
 * HelpFormatter._format_action at help column pos: the invocation, then
 * the help wrapped greedily at whitespace (textwrap without its hyphen
 * rules: a word wider than the column gets a line of its own).
 */
static void add_action(struct text *t, const struct arg_opt *o, size_t pos)
{
	const char *s = o->help;
	struct text inv = { 0 };
	size_t n, col;

	add_opt(&inv, o, AS_HELP);
	text_addf(t, "  %s", inv.s);
	/* past the help column: the help starts on the next line */
	col = 2 + ulen(inv.s, inv.len);
	col = *s && col <= pos - 2 ? col : 0;
	text_add(t, col ? "" : "\n");
	while (*(s += strspn(s, WS))) {
		n = strcspn(s, WS);
		if (col > pos && col + 1 + ulen(s, n) > WIDTH) {
			text_add(t, "\n");
			col = 0;
		}
		text_addf(t, "%*s%.*s", col > pos ? 1 : (int)(pos - col), "",
			  (int)n, s);
		col = (col > pos ? col + 1 : pos) + ulen(s, n);
		s += n;
	}
	text_add(t, col ? "\n" : "");
	text_free(&inv);
}

/*
 * format_help(): usage, description, positionals, options, epilog, a
 * blank line between them (description and epilog as given, but for
 * trailing newlines).
 */
static void add_help(const struct parser *p, struct text *t)
{
	static const char *const titles[] = { "options", "positional arguments" };
	struct text inv = { 0 };
	size_t i, pos = 0;
	int sec, any;

	add_usage(p, t);
	text_addf(t, "\n\n%s%s", p->spec->description ? : "",
		  p->spec->description ? "\n\n" : "");
	for (i = 0; i < p->nall; i++, text_free(&inv)) {
		if (opt_at(p, i)->help)
			add_opt(&inv, opt_at(p, i), AS_HELP);
		pos = inv.len + 4 > pos ? ulen(inv.s, inv.len) + 4 : pos;
	}
	pos = pos < 24 ? pos : 24;	/* max_help_position */
	for (sec = 1; sec >= 0; sec--) {
		for (i = 0, any = 0; i < p->nall; i++) {
			if (!opt_at(p, i)->help ||
			    (opt_at(p, i)->kind == ARG_POSITIONAL) != sec)
				continue;
			if (!any++)
				text_addf(t, "%s:\n", titles[sec]);
			add_action(t, opt_at(p, i), pos);
		}
		text_add(t, any ? "\n" : "");
	}
	text_add(t, p->spec->epilog ? p->spec->epilog : "");
	while (t->len && t->s[t->len - 1] == '\n')
		t->s[--t->len] = '\0';
	text_add(t, "\n");
}

/*
 * ArgumentParser.error(): usage, then "PROG: error: MSG", with "argument
 * NAME: " before MSG for an option's error and a quoted val after it.
 * Callers may add to the message; args_try() ends it with '\n'.
 */
static int error(struct parser *p, const struct arg_opt *o, const char *msg,
		 const char *val)
{
	text_free(p->out);
	add_usage(p, p->out);
	text_addf(p->out, "\n%s: error: %s", p->prog, o ? "argument " : "");
	if (o)
		add_opt(p->out, o, AS_NAME);
	text_addf(p->out, "%s%s", o ? ": " : "", msg);
	if (val)
		add_repr(p->out, val);
	return ARGS_USAGE;
}

/* take_action(): convert, check the choices and the group, store. */
static int take(struct parser *p, const struct arg_opt *o, const char *val)
{
	size_t i, idx = (size_t)(o - p->spec->opts), errlen;
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
			ret = error(p, o, err, NULL);
		free(err);
		if (ret)
			return ret;
	} else if (o->kind != ARG_FLAG && o->dst) {
		*(const char **)o->dst = val;
	}
	for (i = 0; o->kind != ARG_FLAG && o->choices && o->choices[i]; i++)
		if (!strcmp(o->choices[i], val))
			break;
	if (o->kind != ARG_FLAG && o->choices && !o->choices[i]) {
		error(p, o, "invalid choice: ", val);
		for (i = 0; o->choices[i]; i++) {
			text_add(p->out, i ? ", " : " (choose from ");
			add_repr(p->out, o->choices[i]);
		}
		text_add(p->out, ")");
		return ARGS_USAGE;
	}
	for (i = 0; o->group && i < p->spec->nopts; i++) {
		if (i != idx && p->seen[i] && p->spec->opts[i].group == o->group)
			break;
	}
	if (o->group && i < p->spec->nopts) {
		error(p, o, "not allowed with argument ", NULL);
		add_opt(p->out, &p->spec->opts[i], AS_NAME);
		return ARGS_USAGE;
	}
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
 * _parse_optional(): is arg an option, and which? A long option may be
 * abbreviated to a unique prefix; "-pVALUE", "-p=VALUE" and "--pid=VALUE"
 * carry their value along.
 */
static int classify(struct parser *p, const char *arg, struct tok *t)
{
	const char *eq = strchr(arg, '=');
	size_t plen = eq ? (size_t)(eq - arg) : strlen(arg), i, n = 0;
	struct text msg = { 0 };
	const struct arg_opt *o;

	t->dashdash = !strcmp(arg, "--");
	if (arg[0] != '-' || !arg[1] || t->dashdash)
		return 0;
	t->is_opt = true;
	t->shortform = arg[1] != '-';
	if ((t->opt = find(p, arg, strlen(arg))))
		return 0;
	if (eq && (t->opt = find(p, arg, plen))) {
		t->val = eq + 1;
		return 0;
	}
	if (t->shortform && (t->opt = find(p, arg, 2)))
		t->val = arg + 2;
	text_addf(&msg, "ambiguous option: %s could match", arg);
	for (i = 0; !t->shortform && i < p->nall; i++) {
		o = opt_at(p, i);
		if (o->kind == ARG_POSITIONAL || !o->long_name ||
		    strncmp(o->long_name, arg + 2, plen - 2))
			continue;
		text_addf(&msg, "%s --%s", n++ ? "," : "", o->long_name);
		t->opt = o;
		t->val = eq ? eq + 1 : NULL;
	}
	if (n > 1)
		error(p, NULL, msg.s, NULL);
	text_free(&msg);
	/* argparse: an unknown option with a space in it is an argument */
	t->is_opt = t->opt || !strchr(arg, ' ');
	return n > 1 ? ARGS_USAGE : 0;
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

	for (pass = 0; pass < 2; pass++) {
		o = toks[*i].opt;
		ex = toks[*i].val;
		while (o->kind == ARG_FLAG) {
			if (ex && (!toks[*i].shortform || !*ex ||
				   !(next = find(p, (char[]){ '-', *ex }, 2))))
				return error(p, o, "ignored explicit argument ",
					     ex);
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
			return error(p, o, "expected one argument", NULL);
		if (pass && (ret = take(p, o, val)))
			return ret;
	}
	*i += used;
	return 0;
}

/*
 * The arguments in order. As in argparse, the first run of arguments
 * that are not options gets all the positionals: an argument after the
 * next option is unrecognized ("tcptop 1 -C 2").
 */
static int parse(struct parser *p, struct tok *toks, char **args, size_t n)
{
	struct text extras = { 0 };
	bool started = false, closed = false;
	size_t i, next = 0;
	int ret = 0;

	for (i = 0; i < n && !ret && !(i && toks[i - 1].dashdash); i++)
		ret = classify(p, args[i], &toks[i]);
	for (i = 0; i < n && !ret; ) {
		while (next < p->nall && opt_at(p, next)->kind != ARG_POSITIONAL)
			next++;
		if (toks[i].is_opt && toks[i].opt) {
			closed |= started;
			ret = consume_optional(p, toks, args, n, &i);
			continue;
		}
		if (toks[i].is_opt) {
			closed |= started;
		} else if (!closed && toks[i].dashdash) {
			started = true;
			i++;
			continue;
		} else if (!closed && next < p->nall) {
			started = true;
			ret = take(p, opt_at(p, next++), args[i++]);
			continue;
		} else {
			closed = true;
		}
		text_addf(&extras, "%s %s", extras.len ? "" :
			  "unrecognized arguments:", args[i++]);
	}
	if (!ret && extras.len)
		ret = error(p, NULL, extras.s, NULL);
	text_free(&extras);
	return ret;
}

int args_try(const struct arg_spec *spec, int argc, char **argv,
	     struct text *out)
{
	size_t n = argc > 1 ? (size_t)argc - 1 : 0;
	const char *prog = argc > 0 && argv[0] ? argv[0] : "";
	struct parser p = {
		.spec = spec,
		.prog = spec->prog ? spec->prog : strrchr(prog, '/') ?
			strrchr(prog, '/') + 1 : prog,	/* basename */
		.nall = spec->nopts + 1,
		.out = out,
	};
	struct tok *toks = xcalloc(n, sizeof(*toks));
	int ret;

	p.seen = xcalloc(spec->nopts, sizeof(*p.seen));
	ret = parse(&p, toks, argv + (n ? 1 : 0), n);
	if (ret == ARGS_USAGE)
		text_add(out, "\n");
	free(toks);
	free(p.seen);
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
	error(&p, NULL, msg, NULL);
	text_add(&out, "\n");
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
	snprintf(err, errlen, "%s%s", t.s, tail);
	text_free(&t);
	return -1;
}

/*
 * Decimal digits only (Python's int() also takes " 5", "1_0" and
 * non-ASCII digits), a sign only for range_check, checked without
 * overflow however long: both limits have 7 digits.
 */
static int parse_int(const char *s, int *dst, char *err, size_t errlen,
		     bool pid)
{
	const char *d = s + (!pid && (*s == '+' || *s == '-'));
	bool neg = !pid && *s == '-';
	char tail[64];
	long v;

	if (!*d || d[strspn(d, "0123456789")])
		return fail(err, errlen, pid ? "invalid pid value: " :
			    "invalid range_check value: ", s, "");
	while (d[0] == '0' && d[1])
		d++;
	v = strlen(d) > 7 ? LONG_MAX : strtol(d, NULL, 10);
	neg = neg && v;
	if (pid ? v >= 1 && v <= ARGS_PID_MAX :
	    !neg && v >= 1 && v <= ARGS_POSITIVE_INT_MAX) {
		*dst = (int)v;
		return 0;
	}
	snprintf(tail, sizeof(tail), " (must be 1..%d)", ARGS_PID_MAX);
	if (pid)
		return fail(err, errlen, "invalid pid value: ", s, tail);
	if (neg || v < 1)
		snprintf(err, errlen, "value must be stricly positive, got %s%s",
			 neg ? "-" : "", d);
	else	/* Python takes any size; the tool makes it ms in an int */
		snprintf(err, errlen, "value too large, got %s (max %d)", d,
			 ARGS_POSITIVE_INT_MAX);
	return -1;
}

/*
 * Python's tcptop pastes any -p string into the BPF text, where "12abc"
 * fails to compile much later; reject it here.
 */
int args_parse_pid(const char *s, void *dst, char *err, size_t errlen)
{
	return parse_int(s, dst, err, errlen, true);
}

int args_parse_positive_int(const char *s, void *dst, char *err,
			    size_t errlen)
{
	return parse_int(s, dst, err, errlen, false);
}

int args_parse_duration_ms(const char *s, void *dst, char *err, size_t errlen)
{
	const char *u = s + (*s == '+' || *s == '-'), *msg = NULL;
	char *end;
	double v;

	/* The tools never call setlocale(), so '.' is the decimal point. */
	v = strtod(s, &end);
	/* float() takes "inf", "infinity" and "nan", signed, in any case */
	if (!strcasecmp(u, "nan") || !strcasecmp(u, "inf") ||
	    !strcasecmp(u, "infinity"))
		msg = *s == '-' && strcasecmp(u, "nan") ? "must be positive" :
		      "must be a finite number";
	/* float()'s decimal syntax: strtod's without hex and whitespace */
	else if (end == s || *end || s[strspn(s, "0123456789.eE+-")])
		msg = "must be a float";
	else if (v < 0)
		msg = "must be positive";
	/* 1e400 is inf, which Python accepts and then crashes on */
	else if (isinf(v))
		msg = "must be a finite number";
	/* the tool compares against ms * 1000 as a u64 */
	else if (!(v * 1000.0 < 18446744073709551616.0))
		msg = "too large: the microseconds must fit in 64 bits";
	if (msg)
		return snprintf(err, errlen, "%s", msg), -1;
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

	if (!*s || strlen(s) >= 4096) {
		snprintf(err, errlen, "%s", *s ? "map path too long (max 4095 "
			 "bytes)" : "map path must not be empty");
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
