/* dl.h - optional libraries loaded on first use.
 *
 * libcurl (docker backend) and libgit2 (edit_file diffs) bring dozens of
 * shared libraries between them; linked, their loading cost milliseconds on
 * every run of the binary.  They are opened with dlopen when first needed,
 * and their functions are called through a table of pointers. */
#ifndef LR_DL_H
#define LR_DL_H

#include <stddef.h>

typedef struct {
        void *slot;       /* address of a function-pointer variable */
        const char *name; /* the symbol to store there */
} lr_dl_sym_t;

/* dlopen `soname` (RTLD_NOW | RTLD_LOCAL) and fill every slot.  Returns 0,
 * or -1 with the reason in why ("libfoo.so.1: cannot open shared object
 * file...", or "libfoo.so.1 lacks foo_init"). */
int lr_dl_load(const char *soname, const lr_dl_sym_t *syms, size_t n, char *why, size_t whylen);

#endif
