/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compile: compile a BPF C text in a short-lived child that dlopen()s
 * libbcc (so LLVM and clang never map into the tool), and receive what the
 * parent needs to load and run it: the tables libbcc created (their fds,
 * over SCM_RIGHTS), each function's instructions with its map references
 * renumbered to the received fds, the license and kernel version.
 */
#ifndef COMPILE_H
#define COMPILE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_insn;

struct ctable {
	char name[128];
	int type;		/* enum bpf_map_type */
	uint32_t key_size, leaf_size;
	int fd;			/* owned */
};

struct cfunc {
	char name[128];
	struct bpf_insn *insns;	/* owned */
	size_t size;		/* bytes */
};

struct compiled {
	struct ctable *tables;
	int ntables;
	struct cfunc *funcs;
	int nfuncs;
	char license[64];
	unsigned int kern_version;
};

/*
 * A compiled program as bytes (wire.h), for a cache to keep: the
 * instructions, and how to make each map again.
 */
struct cimage {
	void *data;		/* owned */
	size_t len;
};

/*
 * Compile text with cflags into c, and when img is not NULL, its image into
 * img (len 0 if its maps cannot be made again, as a map-in-map whose
 * template is unknown). A set *stop (the tool's Ctrl-C flag, or NULL) kills
 * the child and fails with -EINTR. Compiler messages go to stderr; on
 * failure err says why and -errno is returned.
 */
int compile_text(const char *text, const char *const *cflags, int ncflags,
		 volatile const sig_atomic_t *stop, struct compiled *c,
		 struct cimage *img, char *err, size_t errlen);

/*
 * c from an image: its maps made anew, its instructions pointed at them.
 * The image is checked for bounds and consistency; on failure err says why.
 */
int compiled_from_image(const struct cimage *img, struct compiled *c,
			char *err, size_t errlen);

void cimage_free(struct cimage *img);

/* Close the fds and free everything c holds. */
void compiled_free(struct compiled *c);

#endif
