// SPDX-License-Identifier: Apache-2.0
/*
 * args: a table-driven command-line parser that accepts what Python's
 * argparse (3.11) accepts for the same parser, with its messages, its exit
 * status 2 and its help layout: bcc's tcptop and tcpconnlat are argparse
 * tools, and scripts call them. Beyond that it does not emulate argparse
 * (README.md, "Differences from bcc"): help is laid out for 80 columns
 * and wraps at whitespace only; only ASCII is escaped as repr() does.
 */
#include <ctype.h>
#include <errno.h>	/* program_invocation_short_name */
#include <stdarg.h>
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

/* The metavar: {choices}, else the dest (upper-cased for an option). */
static void add_metavar(struct text *t, const struct arg_opt *o)
{
	const char *s = o->long_name ? : (char[]){ o->short_name, 0 };
	size_t i;

	if (o->metavar) {
		text_add(t, o->metavar);
	} else if (o->choices) {
		for (i = 0; o->choices[i]; i++)
			text_addf(t, "%s%s", i ? "," : "{", o->choices[i]);
		text_add(t, i ? "}" : "{}");
	} else {
		for (; *s; s++)
			text_addf(t, "%c", o->kind == ARG_POSITIONAL ? *s :
				  *s == '-' ? '_' : toupper((unsigned char)*s));
	}
}

/* An option as usage ("-p PID"), help ("-p PID, --pid PID") or messages
 * ("-p/--pid") show it; a positional by its metavar (messages: no choices) */
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
 * The usage part that starts at option i, if any: "[-p PID]", or a group's
 * "[-4 | -6]" (members adjacent); pos: positionals only, else options.
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
 * get_lines(): the options' parts, then the positionals' (apart: from a new
 * line), wrapped at width, a line started with '\n' and indent (cont: the
 * first goes on after what t has).
 */
static void add_lines(const struct parser *p, struct text *t, size_t indent,
		      bool cont, bool apart, size_t width)
{
	struct text part = { 0 };
	size_t i, len = indent - 1, plen;

	for (i = 0; i < 2 * p->nall; i++, text_free(&part)) {
		cont = cont && !(apart && i == p->nall);
		if (!add_part(p, &part, i % p->nall, i >= p->nall))
			continue;
		plen = ulen(part.s, part.len);
		cont = cont && len + 1 + plen <= width;
		len = (cont ? len : indent - 1) + plen + 1;
		text_addf(t, "%s%*s%s", cont ? " " : "\n",
			  cont ? 0 : (int)indent, "", part.s);
		cont = true;
	}
}

/* HelpFormatter._format_usage, without its final "\n\n" */
static void add_usage(const struct parser *p, struct text *t)
{
	size_t plen = strlen(USAGE) + ulen(p->prog, strlen(p->prog));
	bool short_prog = 4 * plen <= 3 * WIDTH;
	struct text one = { 0 };

	text_addf(t, USAGE "%s", p->prog);
	add_lines(p, &one, 1, true, false, SIZE_MAX);
	/* too long: after a short prog, else on lines of their own (argparse
	 * first tries one line there; it never fits) */
	if (plen + ulen(one.s, one.len) <= WIDTH)
		text_add(t, text_str(&one));
	else
		add_lines(p, t, short_prog ? plen + 1 : strlen(USAGE),
			  short_prog, true, WIDTH);
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

/* format_help(): usage, description, positionals, options, epilog, a blank
 * line between them (description and epilog as given, less final '\n's) */
static void add_help(const struct parser *p, struct text *t)
{
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
				text_addf(t, "%s:\n", sec ?
					  "positional arguments" : "options");
			add_action(t, opt_at(p, i), pos);
		}
		text_add(t, any ? "\n" : "");
	}
	text_add(t, p->spec->epilog ? : "");
	while (t->len && t->s[t->len - 1] == '\n')
		t->s[--t->len] = '\0';
	text_add(t, "\n");
}

/*
 * ArgumentParser.error(): usage, "PROG: error: [argument NAME: ]MSG" and
 * val quoted. Callers may add to it; args_try() ends it with '\n'.
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
		args_repr(p->out, val);
	return ARGS_USAGE;
}

/* take_action(): convert, check the choices and the group, store */
static int take(struct parser *p, const struct arg_opt *o, const char *val)
{
	size_t i, idx = (size_t)(o - p->spec->opts), errlen;
	char *err;
	int ret;

	if (o == &help_opt) {
		text_free(p->out);
		add_help(p, p->out);
		return ARGS_HELP;
	}
	if (val && o->parse) {
		errlen = 4 * strlen(val) + 256;
		err = xcalloc(errlen, 1);
		ret = o->parse(val, o->dst, err, errlen) ?
		      error(p, o, err, NULL) : 0;
		free(err);
		if (ret)
			return ret;
	} else if (val && o->dst) {
		*(const char **)o->dst = val;
	}
	for (i = 0; val && o->choices && o->choices[i]; i++)
		if (!strcmp(o->choices[i], val))
			break;
	if (val && o->choices && !o->choices[i]) {
		error(p, o, "invalid choice: ", val);
		for (i = 0; o->choices[i]; i++) {
			text_add(p->out, i ? ", " : " (choose from ");
			args_repr(p->out, o->choices[i]);
		}
		text_add(p->out, ")");
		return ARGS_USAGE;
	}
	for (i = 0; o->group && i < p->spec->nopts; i++) {
		if (i != idx && p->seen[i] &&
		    p->spec->opts[i].group == o->group) {
			error(p, o, "not allowed with argument ", NULL);
			add_opt(p->out, &p->spec->opts[i], AS_NAME);
			return ARGS_USAGE;
		}
	}
	p->seen[idx] = true;
	if (!val && o->dst)
		*(bool *)o->dst = true;
	return 0;
}

static const struct arg_opt *find_short(const struct parser *p, char c)
{
	size_t i;

	for (i = 0; i < p->nall; i++)
		if (opt_at(p, i)->kind != ARG_POSITIONAL &&
		    opt_at(p, i)->short_name == c)
			return opt_at(p, i);
	return NULL;
}

/* _parse_optional(): is arg an option, and which? "--pi" abbreviates
 * --pid; "-p5", "-p=5" and "--pid=5" carry their value along. */
static int classify(struct parser *p, const char *arg, struct tok *t)
{
	const char *eq = strchr(arg, '=');
	size_t plen = eq ? (size_t)(eq - arg) : strlen(arg), i, n = 0;
	struct text msg = { 0 };
	const struct arg_opt *o;

	t->dashdash = !strcmp(arg, "--");
	if (arg[0] != '-' || !arg[1] || t->dashdash)
		return 0;
	t->val = arg[1] != '-' && plen != 2 ? arg + 2 : eq ? eq + 1 : NULL;
	if (arg[1] != '-')
		t->opt = find_short(p, arg[1]);
	text_addf(&msg, "ambiguous option: %s could match", arg);
	for (i = 0; arg[1] == '-' && i < p->nall; i++) {
		o = opt_at(p, i);
		if (o->kind == ARG_POSITIONAL || !o->long_name ||
		    strncmp(o->long_name, arg + 2, plen - 2))
			continue;
		t->opt = o;
		if (!o->long_name[plen - 2]) {	/* exact, not a prefix */
			n = 0;
			break;
		}
		text_addf(&msg, "%s --%s", n++ ? "," : "", o->long_name);
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
 * acting on any of it ("-hx" is an error, not help).
 */
static int consume_optional(struct parser *p, const struct tok *toks,
			    char **args, size_t n, size_t *i)
{
	const struct tok *t = &toks[*i];
	const struct arg_opt *o = t->opt, *next;
	const char *ex = t->val;
	size_t k, flags = 0;
	int ret = 0;

	for (; o->kind == ARG_FLAG && ex; flags++) {
		if (args[*i][1] == '-' || !*ex ||
		    !(next = find_short(p, *ex)))
			return error(p, o, "ignored explicit argument ", ex);
		o = next;
		ex = ex[1] ? ex + 1 : NULL;
	}
	if (o->kind == ARG_VALUE && !ex && *i + 1 < n &&
	    !toks[*i + 1].is_opt && !toks[*i + 1].dashdash)
		ex = args[++*i];	/* never "--": that one is dashdash */
	/* argparse would store [] for "-p=--": say what "-p --" says */
	if (o->kind == ARG_VALUE && (!ex || !strcmp(ex, "--")))
		return error(p, o, "expected one argument", NULL);
	for (k = 0; k <= flags && !ret; k++) {
		o = k ? find_short(p, t->val[k - 1]) : t->opt;
		ret = take(p, o, o->kind == ARG_FLAG ? NULL : ex);
	}
	return ret;
}

/* As in argparse, the first run of arguments that are not options gets all
 * the positionals: one after the next option is unrecognized ("1 -C 2"). */
static int parse(struct parser *p, struct tok *toks, char **args, size_t n)
{
	struct text extras = { 0 };
	bool started = false, closed = false;
	size_t i, next = 0;
	int ret = 0;

	for (i = 0; i < n && !ret && !(i && toks[i - 1].dashdash); i++)
		ret = classify(p, args[i], &toks[i]);
	for (i = 0; i < n && !ret; i++) {
		while (next < p->nall && opt_at(p, next)->kind != ARG_POSITIONAL)
			next++;
		closed |= started && toks[i].is_opt;
		if (toks[i].opt) {
			ret = consume_optional(p, toks, args, n, &i);
		} else if (!toks[i].is_opt && !closed &&
			   (toks[i].dashdash || next < p->nall)) {
			started = true;
			if (!toks[i].dashdash)
				ret = take(p, opt_at(p, next++), args[i]);
		} else {
			closed |= !toks[i].is_opt;
			text_addf(&extras, "%s %s", extras.len ? "" :
				  "unrecognized arguments:", args[i]);
		}
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
	struct parser p = { spec, spec->prog ? : strrchr(prog, '/') ?
			    strrchr(prog, '/') + 1 : prog, spec->nopts + 1, out,
			    xcalloc(spec->nopts, sizeof(bool)) };
	struct tok *toks = xcalloc(n, sizeof(*toks));
	int ret = parse(&p, toks, argv + (n ? 1 : 0), n);

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
	struct parser p = { spec, spec->prog ? : program_invocation_short_name,
			    spec->nopts + 1, &out, NULL };
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
