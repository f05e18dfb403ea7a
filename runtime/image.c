// SPDX-License-Identifier: Apache-2.0
/*
 * image: a compiled program from its bytes (wire.h), whether they came
 * from the compiler child, with the maps it made, or from the cache, with
 * maps made here again from their descriptions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/btf.h>

#include "wire.h"

/* Each map fd the child compiled in becomes the fd we hold for it. */
static int renumber(struct cfunc *f, const struct wire_table *wt,
		    const struct compiled *c)
{
	size_t n = f->size / sizeof(struct bpf_insn);

	for (size_t i = 0; i + 1 < n; i++) {
		struct bpf_insn *in = &f->insns[i];
		int t;

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD ||
		    in->src_reg == BPF_PSEUDO_MAP_VALUE) {
			for (t = 0; t < c->ntables && wt[t].child_fd != in->imm; t++)
				;
			if (t == c->ntables)
				return -EPROTO;
			in->imm = c->tables[t].fd;
		}
		i++;	/* the second half of the 16-byte load */
	}
	return 0;
}

/* The blob into c (whose tables already hold their fds). */
static int parse(const char *blob, size_t len, struct compiled *c)
{
	const struct wire_table *wt = (const void *)blob;
	const struct wire_func *wf = (const void *)(wt + c->ntables);
	const char *p = (const char *)(wf + c->nfuncs), *end = blob + len;
	int i;

	if ((size_t)(p - blob) > len)
		return -EPROTO;
	for (i = 0; i < c->ntables; i++) {
		struct ctable *t = &c->tables[i];

		memcpy(t->name, wt[i].name, sizeof(t->name) - 1);
		t->type = wt[i].type;
		t->key_size = wt[i].key_size;
		t->leaf_size = wt[i].leaf_size;
	}
	c->funcs = calloc((size_t)c->nfuncs + 1, sizeof(*c->funcs));
	if (!c->funcs)
		return -ENOMEM;
	for (i = 0; i < c->nfuncs; i++) {
		struct cfunc *f = &c->funcs[i];

		memcpy(f->name, wf[i].name, sizeof(f->name) - 1);
		f->size = wf[i].size;
		if (f->size > (size_t)(end - p) || f->size % sizeof(struct bpf_insn))
			return -EPROTO;
		f->insns = malloc(f->size ? f->size : 1);
		if (!f->insns)
			return -ENOMEM;
		memcpy(f->insns, p, f->size);
		p += f->size;
		if (renumber(f, wt, c))
			return -EPROTO;
	}
	return 0;
}

int wire_build(const struct wire_hdr *h, const char *blob, const int *fds,
		 int nfds, struct compiled *c)
{
	c->tables = calloc((size_t)nfds + 1, sizeof(*c->tables));
	for (int i = 0; i < nfds; i++) {
		if (c->tables)
			c->tables[c->ntables++].fd = fds[i];
		else
			close(fds[i]);
	}
	if (!c->tables)
		return -ENOMEM;
	c->nfuncs = (int)h->nfuncs;
	c->kern_version = h->kern_version;
	memcpy(c->license, h->license, sizeof(c->license) - 1);
	return parse(blob, h->blob_len, c);
}

bool wire_sane(const struct wire_hdr *h, int nfds)
{
	return (int)h->ntables == nfds && h->nfuncs <= MAX_FUNCS &&
	       h->blob_len <= MAX_BLOB;
}

/*
 * The image a cache keeps: the header and blob as the child sent them,
 * when every table can be made again from its description (a map-in-map
 * whose template was found); else none (len 0).
 */
void wire_keep(const struct wire_hdr *h, const char *blob,
		       struct cimage *img)
{
	const struct wire_table *wt = (const void *)blob;

	for (uint32_t i = 0; i < h->ntables; i++)
		if ((!wt[i].max_entries &&
		     wt[i].type != BPF_MAP_TYPE_SK_STORAGE) ||
		    (map_in_map(wt[i].type) && wt[i].inner_id < 0))
			return;
	img->data = malloc(sizeof(*h) + h->blob_len);
	if (!img->data)
		return;
	memcpy(img->data, h, sizeof(*h));
	memcpy((char *)img->data + sizeof(*h), blob, h->blob_len);
	img->len = sizeof(*h) + h->blob_len;
}

/*
 * The BTF a socket-storage map must be made with (the kernel checks it):
 * an int key and a value of value_size bytes (an array of unsigned char).
 * Its fd, or -errno. Enough for the values bcc's programs keep there: a
 * value with a spin lock or a kptr would need its real type.
 */
#define STORAGE_BTF_KEY 1	/* type ids in the blob below */
#define STORAGE_BTF_VALUE 3
static int storage_btf(uint32_t value_size)
{
	static const char strs[] = "\0int\0unsigned char";
	struct {
		struct btf_header h;
		uint32_t types[3 + 1 + 3 + 1 + 3 + 3];
		char strs[sizeof(strs)];
	} __attribute__((packed)) b = {
		.h = { .magic = BTF_MAGIC, .version = BTF_VERSION,
		       .hdr_len = sizeof(struct btf_header),
		       .type_len = sizeof(b.types),
		       .str_off = sizeof(b.types), .str_len = sizeof(strs) },
		.types = {
			/* [1] int: 4 bytes, signed, 32 bits */
			1, BTF_KIND_INT << 24, 4, BTF_INT_SIGNED << 24 | 32,
			/* [2] unsigned char: 1 byte, 8 bits */
			5, BTF_KIND_INT << 24, 1, 8,
			/* [3] unsigned char[value_size], indexed by int */
			0, BTF_KIND_ARRAY << 24, 0, 2, 1, value_size,
		},
	};
	int fd;

	memcpy(b.strs, strs, sizeof(strs));
	fd = bpf_btf_load(&b, sizeof(b), NULL);
	return fd < 0 ? -errno : fd;
}

/*
 * Make table i's map (its template first, for a map-in-map) as the child's
 * kernel made it. fds[i] is -1 until made; depth bounds a template chain.
 */
static int make_map(const struct wire_table *wt, int nt, int i, int *fds,
		    int depth)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = wt[i].map_flags);
	char name[sizeof(wt[i].map_name) + 1] = "";
	int in, e, btf = -1;

	if (fds[i] >= 0)
		return 0;
	if (depth > nt)
		return -ELOOP;
	if (map_in_map(wt[i].type)) {
		for (in = 0; in < nt && wt[in].child_fd != wt[i].inner_id; in++)
			;
		if (in == nt || in == i)
			return -EPROTO;
		e = make_map(wt, nt, in, fds, depth + 1);
		if (e)
			return e;
		o.inner_map_fd = (uint32_t)fds[in];
	}
	if (wt[i].type == BPF_MAP_TYPE_SK_STORAGE) {
		btf = storage_btf(wt[i].leaf_size);
		if (btf < 0)
			return btf;
		o.btf_fd = (uint32_t)btf;
		o.btf_key_type_id = STORAGE_BTF_KEY;
		o.btf_value_type_id = STORAGE_BTF_VALUE;
	}
	memcpy(name, wt[i].map_name, sizeof(wt[i].map_name));
	fds[i] = bpf_map_create((enum bpf_map_type)wt[i].type, name,
				wt[i].key_size, wt[i].leaf_size,
				wt[i].max_entries, &o);
	e = fds[i] < 0 ? -errno : 0;
	if (btf >= 0)
		close(btf);
	return e;
}

int compiled_from_image(const struct cimage *img, struct compiled *c,
			char *err, size_t errlen)
{
	const struct wire_hdr *h = img->data;
	const struct wire_table *wt = (const void *)(h + 1);
	int fds[MAX_TABLES], nt, i, e = 0;
	size_t min;

	memset(c, 0, sizeof(*c));
	if (img->len < sizeof(*h) || h->status || h->ntables > MAX_TABLES ||
	    !wire_sane(h, (int)h->ntables) || img->len - sizeof(*h) != h->blob_len)
		e = -EPROTO;
	nt = e ? 0 : (int)h->ntables;
	min = (size_t)nt * sizeof(*wt) + h->nfuncs * sizeof(struct wire_func);
	if (!e && h->blob_len < min)
		e = -EPROTO;
	for (i = 0; i < nt; i++)
		fds[i] = -1;
	for (i = 0; i < nt && !e; i++)
		e = make_map(wt, nt, i, fds, 0);
	if (e) {
		for (i = 0; i < nt; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		snprintf(err, errlen, "cannot make the program's maps: %s",
			 strerror(-e));
		return e;
	}
	e = wire_build(h, (const char *)(h + 1), fds, nt, c);
	if (e) {
		compiled_free(c);
		snprintf(err, errlen, "bad program image: %s", strerror(-e));
	}
	return e;
}

void cimage_free(struct cimage *img)
{
	free(img->data);
	img->data = NULL;
	img->len = 0;
}

void compiled_free(struct compiled *c)
{
	int i;

	for (i = 0; c->tables && i < c->ntables; i++)
		if (c->tables[i].fd >= 0)
			close(c->tables[i].fd);
	for (i = 0; c->funcs && i < c->nfuncs; i++)
		free(c->funcs[i].insns);
	free(c->tables);
	free(c->funcs);
	memset(c, 0, sizeof(*c));
}
