#include "core/dl.h"

#include <dlfcn.h>
#include <stdio.h>

int lr_dl_load(const char *soname, const lr_dl_sym_t *syms, size_t n, char *why, size_t whylen)
{
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(why, whylen, "%s", dlerror());
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                void *f = dlsym(h, syms[i].name);
                if (!f) {
                        snprintf(why, whylen, "%s lacks %s", soname, syms[i].name);
                        return -1;
                }
                *(void **)syms[i].slot = f;
        }
        return 0;
}
