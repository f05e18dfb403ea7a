// SPDX-License-Identifier: Apache-2.0
/* host: root, kernel headers, kprobes, preemption and CPU lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "host.h"
#include "msg.h"

static void release(struct utsname *u)
{
	if (uname(u))
		snprintf(u->release, sizeof(u->release), "$(uname -r)");
}

bool host_kernel_headers(char *dir, size_t len)
{
	const char *env = getenv("BCC_KERNEL_SOURCE");
	struct utsname u;
	char path[600];
	bool source;

	release(&u);
	if (env) {
		snprintf(dir, len, "%s", env);
		return true;
	}
	snprintf(path, sizeof(path), "/lib/modules/%s/source", u.release);
	source = access(path, F_OK) == 0;
	snprintf(dir, len, "/lib/modules/%s/%s", u.release,
		 source ? "source" : "build");
	if (access("/sys/kernel/kheaders.tar.xz", R_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "/lib/modules/%s/build/include", u.release);
	if (access(path, R_OK))
		return false;
	snprintf(path, sizeof(path), "%s/include/linux", dir);
	return !source || access(path, R_OK) == 0;
}

bool host_ready(void)
{
	char dir[300];
	struct utsname u;

	if (geteuid() != 0) {
		p_err("must be run as root: loading BPF programs needs CAP_BPF and CAP_PERFMON (try: sudo %s)",
		      program_invocation_short_name);
		return false;
	}
	if (!host_kernel_headers(dir, sizeof(dir))) {
		release(&u);
		p_err("kernel headers not found at /lib/modules/%s/build: install linux-headers-%s, or run scripts/setup.sh",
		      u.release, u.release);
		return false;
	}
	return true;
}

bool host_has_kprobes(void)
{
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
}

bool host_version_is_rt(const char *version)
{
	/* "PREEMPT_RT" since the merge (6.12); "PREEMPT RT" in older patches. */
	return strstr(version, "PREEMPT_RT") || strstr(version, "PREEMPT RT");
}

static bool preempt_rt(void)
{
	struct utsname u;
	char buf[8] = "";
	FILE *f = fopen("/sys/kernel/realtime", "re");

	if (f) {
		bool rt = fgets(buf, sizeof(buf), f) && buf[0] == '1';

		fclose(f);
		if (rt)
			return true;
	}
	return !uname(&u) && host_version_is_rt(u.version);
}

/* Asked when the text is built and again when programs load: read once. */
bool host_preempt_rt(void)
{
	static int rt = -1;

	if (rt < 0)
		rt = preempt_rt();
	return rt;
}

/* Whether a preemption model's name (none, voluntary, full, lazy) preempts. */
static int model_preempts(const char *name, size_t len)
{
	if ((len == 4 && !strncmp(name, "full", 4)) ||
	    (len == 4 && !strncmp(name, "lazy", 4)))
		return 1;
	if ((len == 4 && !strncmp(name, "none", 4)) ||
	    (len == 9 && !strncmp(name, "voluntary", 9)))
		return 0;
	return -1;
}

/* Whether version has the word w (followed by a space or its end). */
static bool has_word(const char *version, const char *w)
{
	size_t n = strlen(w);

	for (const char *s = version; (s = strstr(s, w)); s += n)
		if ((s == version || s[-1] == ' ') && (!s[n] || s[n] == ' '))
			return true;
	return false;
}

bool host_model_preempts(const char *version, const char *sched_preempt,
			 const char *cmdline, const char *config)
{
	const char *s, *e;
	int r, boot = -1;

	if (host_version_is_rt(version))
		return true;
	if (!has_word(version, "PREEMPT_DYNAMIC"))
		return has_word(version, "PREEMPT") ||
		       has_word(version, "PREEMPT_LAZY");
	/* Dynamic: the model in force, as debugfs shows it: "none (full)". */
	if (sched_preempt && (s = strchr(sched_preempt, '(')) &&
	    (e = strchr(s, ')')) &&
	    (r = model_preempts(s + 1, (size_t)(e - s - 1))) >= 0)
		return r;
	/* Else as chosen at boot (the last preempt= wins)... */
	for (s = cmdline; s && (s = strstr(s, "preempt="));
	     s += strlen("preempt=")) {
		const char *v = s + strlen("preempt=");

		if (s == cmdline || s[-1] == ' ') {
			r = model_preempts(v, strcspn(v, " \n"));
			boot = r >= 0 ? r : boot;
		}
	}
	if (boot >= 0)
		return boot;
	/* ...else the build's default. */
	if (config && (strstr(config, "\nCONFIG_PREEMPT_VOLUNTARY=y") ||
		       strstr(config, "\nCONFIG_PREEMPT_NONE=y")))
		return false;
	/* CONFIG_PREEMPT=y, _LAZY=y, or unknown: it may preempt. */
	return true;
}

/* A whole small file as a string (NULL when unreadable); free() it. */
static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? malloc(max + 1) : NULL;
	size_t n;

	if (!buf) {
		if (f)
			fclose(f);
		return NULL;
	}
	/* A leading newline, so that every line can be matched as "\nX". */
	buf[0] = '\n';
	n = fread(buf + 1, 1, max - 1, f);
	buf[n + 1] = '\0';
	fclose(f);
	return buf;
}

bool host_lockdown_in_force(const char *lockdown)
{
	const char *s = lockdown ? strchr(lockdown, '[') : NULL;

	return s && strncmp(s, "[none]", strlen("[none]"));
}

static bool preempts(void)
{
	char *sched = NULL, *cmdline, *config, path[128];
	struct utsname u;
	bool r;

	if (uname(&u) || host_preempt_rt())
		return true;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	/*
	 * debugfs only where it decides (PREEMPT_DYNAMIC), and not under
	 * lockdown, which refuses its writable files with a notice in the
	 * kernel log (where securityfs is not mounted the mode is unknown:
	 * then it is tried, and a refusal is only that notice).
	 */
	if (has_word(u.version, "PREEMPT_DYNAMIC")) {
		char *lock = slurp("/sys/kernel/security/lockdown", 128);

		if (!host_lockdown_in_force(lock ? lock + 1 : NULL))
			sched = slurp("/sys/kernel/debug/sched/preempt", 256);
		free(lock);
	}
	cmdline = slurp("/proc/cmdline", 4096);
	config = slurp(path, 1 << 20);
	r = host_model_preempts(u.version, sched ? sched + 1 : NULL,
				cmdline ? cmdline + 1 : NULL, config);
	free(sched);
	free(cmdline);
	free(config);
	return r;
}

bool host_preempts(void)
{
	static int r = -1;

	if (r < 0)
		r = preempts();
	return r;
}

int host_cpu_list(const char *which, bool *cpus, int max)
{
	char path[64];
	FILE *f;
	int a, b, n = 0;
	char sep;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", which);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (int c = a; c <= b && c < max; c++, n++)
			cpus[c] = true;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n ? 0 : -EINVAL;
}
