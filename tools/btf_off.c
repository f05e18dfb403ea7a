// SPDX-License-Identifier: Apache-2.0
/* btf_off: struct member offsets from the running kernel's BTF (libbpf). */
#include <errno.h>
#include <stddef.h>
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

static int lookup(const char *sname, const char *member, __u32 *mtype,
		  long *bits)
{
	struct btf *btf = btf_get();
	int id;

	if (!btf)
		return -ENODATA;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0)
		return -ENOENT;
	*bits = find_member(btf, (__u32)id, member, mtype);
	if (*bits == -2)
		return -EINVAL;
	if (*bits < 0 || *bits % 8)
		return -ENOENT;
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

bool btf_has_type(const char *name)
{
	struct btf *btf = btf_get();

	return btf && btf__find_by_name(btf, name) >= 0;
}

void btf_off_cleanup(void)
{
	btf__free(vmlinux);
	vmlinux = NULL;
	load_err = 0;
}
