// SPDX-License-Identifier: Apache-2.0
/*
 * progcache: see progcache.h. An entry's file:
 *
 *	struct entry_hdr	magic, format, the lengths, the checksum
 *	key			key_len bytes (compared whole)
 *	image			image_len bytes (compile.h's cimage)
 *
 * The checksum (64-bit, over key and image) finds a torn or damaged
 * entry; it is not what keeps others out: the directory's and the file's
 * owner and mode are.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bcc/libbpf.h>

#include "fdio.h"
#include "host.h"
#include "msg.h"
#include "progcache.h"
#include "text.h"

#define ENTRY_MAGIC	"TCPTBPFC"
#define ENTRY_FORMAT	1
#define ENTRY_MAX	(80u << 20)
#define KEY_MAX		(4u << 20)

#ifndef TOOLS_VERSION
#define TOOLS_VERSION	"unknown"
#endif

struct entry_hdr {
	char magic[8];
	uint32_t format, key_len;
	uint64_t image_len;
	uint64_t sum;
};

/* FNV-1a over 64-bit words: fast enough to hash the kernel's BTF (5 MB). */
static uint64_t hash64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; len; p++, len--)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

#define HASH_SEED	0xcbf29ce484222325ull

/* "label: realpath size mtime inode", or "label: none". */
static void key_file(struct text *key, const char *label, const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(path, &st) || !realpath(path, real)) {
		text_addf(key, "%s: none\n", label);
		return;
	}
	text_addf(key, "%s: %s %lld %lld.%09ld %llu\n", label, real,
		  (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		  st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
}

/* The kernel's BTF by size and hash (programs read its offsets). */
static void key_btf(struct text *key)
{
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	uint64_t h = HASH_SEED, size = 0;
	static char buf[1 << 16];
	ssize_t n;

	if (fd < 0) {
		text_add(key, "btf: none\n");
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		h = hash64(h, buf, (size_t)n);
		size += (uint64_t)n;
	}
	close(fd);
	text_addf(key, "btf: %llu %016llx\n", (unsigned long long)size,
		  (unsigned long long)h);
}

/* libbcc.so.0 beside the libbcc_bpf this process runs with. */
static void key_libbcc(struct text *key)
{
	char path[PATH_MAX], *slash;
	Dl_info info;

	if (!dladdr((void *)bcc_prog_load_xattr, &info) || !info.dli_fname ||
	    !strchr(info.dli_fname, '/')) {
		text_add(key, "libbcc: unknown\n");
		return;
	}
	snprintf(path, sizeof(path), "%s", info.dli_fname);
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path),
		 "libbcc.so.0");
	key_file(key, "libbcc", path);
	key_file(key, "libbcc_bpf", info.dli_fname);
}

/* The kernel headers bcc compiles against (the kprobe text includes them). */
static void key_headers(struct text *key, const char *release)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("BCC_KERNEL_SOURCE");

	text_addf(key, "BCC_KERNEL_SOURCE: %s\n", env ? env : "unset");
	host_kernel_headers(dir, sizeof(dir));
	key_file(key, "headers", dir);
	snprintf(path, sizeof(path), "/lib/modules/%s/build/Makefile", release);
	key_file(key, "build Makefile", path);
	snprintf(path, sizeof(path),
		 "/lib/modules/%s/build/include/generated/autoconf.h", release);
	key_file(key, "autoconf.h", path);
	snprintf(path, sizeof(path), "%s/Makefile", dir);
	key_file(key, "source Makefile", path);
	key_file(key, "kheaders", "/sys/kernel/kheaders.tar.xz");
}

static void make_key(struct text *key, const char *text,
		   const char *const *cflags, int ncflags)
{
	struct utsname u;

	uname(&u);
	text_addf(key, "tcptools program cache %d\ntool: %s\n", ENTRY_FORMAT,
		  TOOLS_VERSION);
	key_file(key, "binary", "/proc/self/exe");
	key_libbcc(key);
	text_addf(key, "kernel: %s %s %s\n", u.release, u.version, u.machine);
	key_btf(key);
	key_headers(key, u.release);
	for (int i = 0; i < ncflags; i++)
		text_addf(key, "cflag: %s\n", cflags[i]);
	text_addf(key, "text:\n%s", text);
}

static const char *cache_dir(void)
{
	const char *env = getenv("TCPTOOLS_CACHE_DIR");

	return env && *env ? env : PROGCACHE_DIR;
}

static void entry_name(const struct text *key, char *name, size_t len)
{
	snprintf(name, len, "%016llx.prog",
		 (unsigned long long)hash64(HASH_SEED, key->s, key->len));
}

/*
 * The directory, opened, if it is ours with mode 0700; create makes it
 * (one level) when missing. -EACCES with note when it is not to be used.
 */
static int open_dir(bool create, char *note, size_t len)
{
	const char *dir = cache_dir();
	struct stat st;
	int fd;

	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		int e = -errno;

		snprintf(note, len, "cannot create %s: %s", dir, strerror(-e));
		return e;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;

		if (e == -ENOENT)
			snprintf(note, len, "miss (no %s)", dir);
		else if (!lstat(dir, &st) && S_ISLNK(st.st_mode))
			snprintf(note, len, "not used: %s is a symbolic link", dir);
		else
			snprintf(note, len, "not used: %s: %s", dir, strerror(-e));
		return e == -ENOENT ? e : -EACCES;
	}
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		snprintf(note, len,
			 "not used: %s is not a directory of uid %u with mode 0700",
			 dir, (unsigned)geteuid());
		return -EACCES;
	}
	return fd;
}

/* Why the open entry fd (of size st) is not to be loaded, or NULL. */
static const char *distrust(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != geteuid())
		return "not owned by us";
	if (st->st_mode & 022)
		return "writable by others";
	if ((uint64_t)st->st_size < sizeof(struct entry_hdr) ||
	    (uint64_t)st->st_size > ENTRY_MAX)
		return "truncated or too large";
	return NULL;
}

/* Check buf (a whole entry, size bytes) against key; NULL if it is good. */
static const char *check_entry(const char *buf, size_t size,
			       const struct text *key)
{
	const struct entry_hdr *h = (const void *)buf;
	const char *body = buf + sizeof(*h);

	if (memcmp(h->magic, ENTRY_MAGIC, sizeof(h->magic)) ||
	    h->format != ENTRY_FORMAT)
		return "not an entry of this format";
	if (h->key_len > KEY_MAX || h->image_len > ENTRY_MAX ||
	    size - sizeof(*h) != h->key_len + h->image_len)
		return "truncated";
	if (hash64(HASH_SEED, body, size - sizeof(*h)) != h->sum)
		return "checksum mismatch";
	if (h->key_len != key->len || memcmp(body, key->s, key->len))
		return "another key (a hash collision)";
	return NULL;
}

/*
 * The entry for key into img: 0. -ENOENT: none. -EACCES: the directory is
 * not one to trust (nothing is read or written). Else the entry was bad
 * and not loaded. note says which.
 */
static int cache_get(const struct text *key, struct cimage *img, char *note,
		  size_t len)
{
	int dfd = open_dir(false, note, len), fd, e = 0;
	const char *why = NULL;
	char name[32], *buf = NULL;
	struct stat st;

	memset(img, 0, sizeof(*img));
	if (dfd < 0)
		return dfd;
	entry_name(key, name, sizeof(name));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		if (e == -ENOENT)
			snprintf(note, len, "miss");
		else
			why = e == -ELOOP ? "a symbolic link" : strerror(-e);
	} else if (fstat(fd, &st)) {
		why = strerror(errno);
	} else if (!(why = distrust(&st))) {
		buf = malloc((size_t)st.st_size);
		if (!buf || fd_read_all(fd, buf, (size_t)st.st_size))
			why = buf ? "truncated" : "out of memory";
		else
			why = check_entry(buf, (size_t)st.st_size, key);
	}
	if (fd >= 0)
		close(fd);
	close(dfd);
	if (why) {
		snprintf(note, len, "ignored %s/%s: %s", cache_dir(), name, why);
		free(buf);
		return -EBADMSG;
	}
	if (e) {
		free(buf);
		return e;
	}
	img->len = ((const struct entry_hdr *)buf)->image_len;
	img->data = malloc(img->len ? img->len : 1);
	if (!img->data) {
		free(buf);
		img->len = 0;
		snprintf(note, len, "ignored: out of memory");
		return -ENOMEM;
	}
	memcpy(img->data, buf + sizeof(struct entry_hdr) + key->len, img->len);
	free(buf);
	snprintf(note, len, "hit %s/%s", cache_dir(), name);
	return 0;
}

/*
 * Store img under key, replacing a bad entry: 0 or -errno; note says.
 * No fsync: an entry torn by a crash fails its length or checksum check
 * and is compiled again, which is all a cache owes.
 */
static int cache_put(const struct text *key, const struct cimage *img,
		  char *note, size_t len)
{
	struct entry_hdr *h;
	size_t size = sizeof(*h) + key->len + img->len;
	int dfd = open_dir(true, note, len), fd = -1, e = 0;
	char name[32], tmp[64], *buf;

	if (dfd < 0)
		return dfd;
	entry_name(key, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	buf = calloc(1, size);
	if (!buf) {
		e = -ENOMEM;
		goto out;
	}
	h = (struct entry_hdr *)buf;
	memcpy(h->magic, ENTRY_MAGIC, sizeof(h->magic));
	h->format = ENTRY_FORMAT;
	h->key_len = (uint32_t)key->len;
	h->image_len = img->len;
	memcpy(buf + sizeof(*h), key->s, key->len);
	memcpy(buf + sizeof(*h) + key->len, img->data, img->len);
	h->sum = hash64(HASH_SEED, buf + sizeof(*h), size - sizeof(*h));
	errno = 0;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a killed process that had our pid: ours to remove. */
		unlinkat(dfd, tmp, 0);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
	}
	if (fd < 0 || fd_write_all(fd, buf, size))
		e = errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !e)
		e = -errno;
	if (!e && renameat(dfd, tmp, dfd, name))
		e = -errno;
	if (e && fd >= 0)
		unlinkat(dfd, tmp, 0);
out:
	free(buf);
	close(dfd);
	if (e)
		snprintf(note, len, "cannot store %s/%s: %s", cache_dir(), name,
			 strerror(-e));
	else
		snprintf(note, len, "stored %s/%s", cache_dir(), name);
	return e;
}

/*
 * A program with pinned maps is never cached: its maps are shared with
 * whoever pinned them and cannot be made anew.
 */
int progcache_compile(const char *text, const char *const *cflags,
		      int ncflags, bool use, volatile const sig_atomic_t *stop,
		      struct compiled *c, char *note, size_t notelen,
		      char *err, size_t errlen)
{
	struct cimage img = { 0 };
	struct text key = { 0 };
	char got[300] = "", put[300] = "";
	int e, g = -EACCES;

	if (!use)
		snprintf(got, sizeof(got), "off");
	else if (strstr(text, "BPF_TABLE_PINNED"))
		snprintf(got, sizeof(got), "off (the program has pinned maps)");
	else
		make_key(&key, text, cflags, ncflags);
	if (key.len)
		g = cache_get(&key, &img, got, sizeof(got));
	if (!g) {
		e = compiled_from_image(&img, c, err, errlen);
		cimage_free(&img);
		if (!e) {
			snprintf(note, notelen, "%s", got);
			text_free(&key);
			return 0;
		}
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 " but not usable: %s", err);
	}
	e = compile_text(text, cflags, ncflags, stop, c,
			 g == -EACCES ? NULL : &img, err, errlen);
	if (!e && img.len)
		cache_put(&key, &img, put, sizeof(put));
	else if (!e && g != -EACCES)
		snprintf(put, sizeof(put), "not stored (its maps cannot be made again)");
	snprintf(note, notelen, "%s%s%s", got, *put ? "; " : "", put);
	if (g == -EACCES && key.len)
		p_warn("program cache %s", got);
	cimage_free(&img);
	text_free(&key);
	return e;
}
