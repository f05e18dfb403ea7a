// SPDX-License-Identifier: Apache-2.0
/* kcompat: uapi structs the kernel's headers need and libbcc's bpf.h lacks. */
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * libbcc's built-in uapi/linux/bpf.h is text inside libbcc.so: find it in
 * the read-only segments of that file, between its include guard and the
 * guard's #endif. The tool maps only libbcc_bpf (the compile dlopen()s
 * libbcc in a child): libbcc.so.0 is its sibling, read from disk. Only the
 * read-only segments: the first copy there is the one bcc compiles with. A
 * libbcc not found is simply not read (then no prelude).
 */
struct bcc_header {
	char *text;	/* owned */
	size_t len;
};

static const char guard_open[] = "#define _UAPI__LINUX_BPF_H__\n";
static const char guard_close[] = "#endif /* _UAPI__LINUX_BPF_H__ */";

/* The directory of the loaded libbcc_bpf (or libbcc), into data. */
static int find_bcc_dir(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name, *slash;
	char *dir = data;

	(void)size;
	if (!name || !(strstr(name, "/libbcc_bpf.so") || strstr(name, "/libbcc.so")))
		return 0;
	slash = strrchr(name, '/');
	snprintf(dir, PATH_MAX, "%.*s", (int)(slash - name), name);
	return 1;
}

/* The header in the read-only segment [off, off + len) of fd, if there. */
static bool scan_segment(int fd, off_t off, size_t len, struct bcc_header *h)
{
	char *seg = malloc(len ? len : 1);
	const char *s, *e = NULL;

	if (seg && pread(fd, seg, len, off) == (ssize_t)len &&
	    (s = memmem(seg, len, guard_open, sizeof(guard_open) - 1)) &&
	    (e = memmem(s, len - (size_t)(s - seg), guard_close,
			sizeof(guard_close) - 1))) {
		h->len = (size_t)(e - s);
		h->text = malloc(h->len + 1);
		if (h->text) {
			memcpy(h->text, s, h->len);
			h->text[h->len] = '\0';
		}
	}
	free(seg);
	return h->text != NULL;
}

static bool read_bcc_header(struct bcc_header *h)
{
	char dir[PATH_MAX] = "", path[PATH_MAX + 16];
	ElfW(Ehdr) eh;
	int fd;

	if (!dl_iterate_phdr(find_bcc_dir, dir))
		return false;
	snprintf(path, sizeof(path), "%s/libbcc.so.0", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_phentsize == sizeof(ElfW(Phdr))) {
		for (int i = 0; i < eh.e_phnum && !h->text; i++) {
			ElfW(Phdr) ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
			    (ssize_t)sizeof(ph) || ph.p_type != PT_LOAD ||
			    (ph.p_flags & (PF_W | PF_X)) || ph.p_filesz > (64u << 20))
				continue;
			scan_segment(fd, (off_t)ph.p_offset, ph.p_filesz, h);
		}
	}
	close(fd);
	return h->text != NULL;
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
	if (!uapi || !read_bcc_header(&bcc))
		goto out;
	len = bcc.len;
	for (p = uapi; (p = strstr(p, "\nstruct bpf_")); p++) {
		unsigned int size, align;
		int n = 0;

		if (sscanf(p + 8, "%127[A-Za-z0-9_] {%n", name, &n) != 1 || !n ||
		    defines(bcc.text, len, name) || !names(kbpf, name))
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
	free(bcc.text);
	text_free(&defs);
	free(uapi);
	free(kbpf);
}
