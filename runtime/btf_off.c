// SPDX-License-Identifier: Apache-2.0
/* btf_off: struct member offsets from the running kernel's BTF (libbpf). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf_off.h"

static struct btf *vmlinux;
static int load_err;

static struct btf *btf_get(void)
{
	if (!vmlinux && !load_err) {
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux)
			load_err = errno ? errno : ENODATA;
	}
	return vmlinux;
}

bool btf_available(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0 && btf_get();
}

/*
 * Find member in type id (a struct or union), descending into anonymous
 * members, which kernel structs use for unions and cacheline groups.
 * Returns the bit offset, or -1.
 */
static long find_member(const struct btf *btf, __u32 id, const char *member,
			__u32 *member_type)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	int i, n;

	if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, i);

		if (name && *name) {
			if (!strcmp(name, member)) {
				if (btf_member_bitfield_size(t, i))
					return -2;
				*member_type = m->type;
				return off;
			}
			continue;
		}
		int inner = btf__resolve_type(btf, m->type);
		long sub;

		if (inner < 0)
			continue;
		sub = find_member(btf, (__u32)inner, member, member_type);
		if (sub == -2)
			return -2;
		if (sub >= 0)
			return off + sub;
	}
	return -1;
}

/* Walk a member path ("ns.inum") from struct sname; bits: its bit offset. */
static int lookup(const char *sname, const char *member, __u32 *mtype,
		  long *bits)
{
	struct btf *btf = btf_get();
	char path[128], *tok, *save = NULL;
	long total = 0;
	int id;

	if (!btf)
		return -ENODATA;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0 || snprintf(path, sizeof(path), "%s", member) >= (int)sizeof(path))
		return -ENOENT;
	for (tok = strtok_r(path, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		long b;

		if (id < 0)
			return -ENOENT;
		b = find_member(btf, (__u32)id, tok, mtype);
		if (b == -2)
			return -EINVAL;
		if (b < 0)
			return -ENOENT;
		total += b;
		id = btf__resolve_type(btf, *mtype);
	}
	if (total % 8)
		return -ENOENT;
	*bits = total;
	return 0;
}

int btf_member_offset(const char *sname, const char *member)
{
	__u32 mtype;
	long bits;
	int err = lookup(sname, member, &mtype, &bits);

	return err ? err : (int)(bits / 8);
}

int btf_member_size(const char *sname, const char *member)
{
	__u32 mtype;
	long bits, size;
	int err = lookup(sname, member, &mtype, &bits);

	if (err)
		return err;
	size = btf__resolve_size(vmlinux, mtype);
	return (int)size;
}

int btf_struct_layout(const char *sname, unsigned int *size,
		      unsigned int *align)
{
	struct btf *btf = btf_get();
	int id, a;

	if (!btf)
		return -ENODATA;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id <= 0)
		return -ENOENT;
	a = btf__align_of(btf, (__u32)id);
	if (a <= 0)
		return -ENOENT;
	*size = btf__type_by_id(btf, (__u32)id)->size;
	*align = (unsigned int)a;
	return 0;
}

bool btf_has_type(const char *name)
{
	struct btf *btf = btf_get();

	return btf && btf__find_by_name(btf, name) >= 0;
}

static int id_of_kind(const char *name, __u32 kind)
{
	struct btf *btf = btf_get();
	int id;

	if (!btf)
		return -ENODATA;
	id = btf__find_by_name_kind(btf, name, kind);
	return id < 0 ? -ENOENT : id;
}

int btf_typedef_id(const char *name)
{
	return id_of_kind(name, BTF_KIND_TYPEDEF);
}

int btf_func_id(const char *name)
{
	return id_of_kind(name, BTF_KIND_FUNC);
}

void btf_off_cleanup(void)
{
	btf__free(vmlinux);
	vmlinux = NULL;
	load_err = 0;
}
