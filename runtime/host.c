// SPDX-License-Identifier: Apache-2.0
/* host: root, kernel headers, kprobes, PREEMPT_RT and CPU lists. */
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
