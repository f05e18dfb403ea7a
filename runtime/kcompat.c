// SPDX-License-Identifier: Apache-2.0
/* kcompat: uapi structs the kernel's headers need and libbcc's bpf.h lacks. */
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btf_off.h"
#include "host.h"
#include "kcompat.h"

/* The file's contents, NUL-terminated, or NULL. */
static char *slurp(const char *dir, const char *rel)
{
	char path[512];
	struct stat st;
	char *buf = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (!fstat(fileno(f), &st) && st.st_size > 0 && st.st_size < (64 << 20)) {
		buf = malloc((size_t)st.st_size + 1);
		if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[st.st_size] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* The uapi and kernel bpf.h of the headers bcc compiles against. */
static void read_kernel_headers(char **uapi, char **kbpf)
{
	char dir[300];

	host_kernel_headers(dir, sizeof(dir));
	*uapi = slurp(dir, "include/uapi/linux/bpf.h");
	*kbpf = *uapi ? slurp(dir, "include/linux/bpf.h") : NULL;
	if (!*kbpf) {
		free(*uapi);
		*uapi = NULL;
	}
}

/*
 * libbcc's built-in uapi/linux/bpf.h is text inside libbcc: find it in the
 * read-only segments of the loaded libbcc.so, between its include guard and
 * the guard's #endif. Only there: other objects' segments hold their own
 * globals (AddressSanitizer's poisoned redzones among them), and a libbcc
 * linked in statically is simply not found (then no prelude).
 */
struct bcc_header {
	const char *start, *end;
};

static const char guard_open[] = "#define _UAPI__LINUX_BPF_H__\n";
static const char guard_close[] = "#endif /* _UAPI__LINUX_BPF_H__ */";

static int find_bcc_header(struct dl_phdr_info *info, size_t size, void *data)
{
	struct bcc_header *h = data;
	const char *name = info->dlpi_name;

	(void)size;
	if (!name || !strstr(name, "/libbcc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *seg, *s, *e;

		if (ph->p_type != PT_LOAD || (ph->p_flags & (PF_W | PF_X)))
			continue;
		seg = (const char *)(info->dlpi_addr + ph->p_vaddr);
		s = memmem(seg, ph->p_memsz, guard_open, sizeof(guard_open) - 1);
		if (!s)
			continue;
		e = memmem(s, ph->p_memsz - (size_t)(s - seg), guard_close,
			   sizeof(guard_close) - 1);
		if (e) {
			h->start = s;
			h->end = e;
			return 1;
		}
	}
	return 0;
}

/* Whether text[0, len) has "\nstruct NAME {" (a definition). */
static bool defines(const char *text, size_t len, const char *name)
{
	char pat[160];

	snprintf(pat, sizeof(pat), "\nstruct %s {", name);
	return memmem(text, len, pat, strlen(pat)) != NULL;
}

/* Whether text names "struct NAME" as a whole word. */
static bool names(const char *text, const char *name)
{
	char pat[160];
	size_t n;

	n = (size_t)snprintf(pat, sizeof(pat), "struct %s", name);
	for (const char *p = text; (p = strstr(p, pat)); p += n) {
		char c = p[n];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return true;
	}
	return false;
}

void kcompat_prelude(struct text *t)
{
	struct bcc_header bcc = { 0 };
	struct text defs = { 0 };
	char *uapi, *kbpf, name[128];
	const char *p;
	size_t len;

	read_kernel_headers(&uapi, &kbpf);
	/* Unknown libbcc header: defining what it may have would break. */
	if (!uapi || !dl_iterate_phdr(find_bcc_header, &bcc))
		goto out;
	len = (size_t)(bcc.end - bcc.start);
	for (p = uapi; (p = strstr(p, "\nstruct bpf_")); p++) {
		unsigned int size, align;
		int n = 0;

		if (sscanf(p + 8, "%127[A-Za-z0-9_] {%n", name, &n) != 1 || !n ||
		    defines(bcc.start, len, name) || !names(kbpf, name))
			continue;
		/* BTF as the rest of the tool reads it (btf_off.c: loaded once). */
		if (btf_struct_layout(name, &size, &align))
			continue;
		text_addf(&defs, "struct %s { char __opaque[%u]; } __attribute__((aligned(%u)));\n",
			  name, size, align);
	}
	if (defs.len) {
		text_add(t, "// uapi structs the kernel's linux/bpf.h needs, missing from libbcc's bpf.h (size and alignment from BTF)\n");
		text_add(t, text_str(&defs));
	}
out:
	text_free(&defs);
	free(uapi);
	free(kbpf);
}
