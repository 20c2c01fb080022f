/* glob.c - path globs (see glob.h). */
#include "core/glob.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- one component: *, ?, [set], \c, literals ---- */

/* Match one character against the bracket expression starting at p (just
 * after '[').  Sets *end past the closing ']'.  Returns -1 if there is no
 * closing bracket (the '[' is then a literal). */
static int class_match(const char *p, const char *pend, char c, const char **end)
{
        bool neg = false, hit = false;
        const char *q = p;
        if (q < pend && (*q == '!' || *q == '^')) {
                neg = true;
                q++;
        }
        bool first = true;
        while (q < pend && (*q != ']' || first)) {
                first = false;
                unsigned char lo = (unsigned char)*q;
                if (lo == '\\' && q + 1 < pend)
                        lo = (unsigned char)*++q;
                q++;
                unsigned char hi = lo;
                if (q + 1 < pend && *q == '-' && q[1] != ']') {
                        q++;
                        hi = (unsigned char)*q;
                        if (hi == '\\' && q + 1 < pend)
                                hi = (unsigned char)*++q;
                        q++;
                }
                if ((unsigned char)c >= lo && (unsigned char)c <= hi)
                        hit = true;
        }
        if (q >= pend)
                return -1;
        *end = q + 1;
        return hit != neg;
}

/* Does the single-character token at *p match c?  Advances *p past it. */
static bool token_match(const char **p, const char *pend, char c)
{
        const char *q = *p;
        if (*q == '?') {
                *p = q + 1;
                return true;
        }
        if (*q == '[') {
                const char *end;
                int r = class_match(q + 1, pend, c, &end);
                if (r >= 0) {
                        *p = end;
                        return r == 1;
                }
        } else if (*q == '\\' && q + 1 < pend) {
                q++;
        }
        *p = q + 1;
        return *q == c;
}

static bool component_match(const char *p, const char *pend, const char *s, const char *send)
{
        const char *star = NULL, *mark = NULL;
        while (s < send) {
                if (p < pend && *p == '*') {
                        star = ++p;
                        mark = s;
                        continue;
                }
                const char *next = p;
                if (p < pend && token_match(&next, pend, *s)) {
                        p = next;
                        s++;
                        continue;
                }
                if (!star)
                        return false;
                p = star;
                s = ++mark;
        }
        while (p < pend && *p == '*')
                p++;
        return p == pend;
}

/* ---- components: "**" spans any number of them ---- */

typedef struct {
        const char *s[256];
        size_t len[256];
        size_t n;
} parts_t;

/* Split on '/', dropping empty and "." components.  Returns false when
 * there are more components than fit. */
static bool split(const char *str, parts_t *out)
{
        out->n = 0;
        const char *p = str;
        while (*p) {
                const char *e = strchr(p, '/');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                if (l > 0 && !(l == 1 && p[0] == '.')) {
                        if (out->n == ARRAY_SIZE(out->s))
                                return false;
                        out->s[out->n] = p;
                        out->len[out->n++] = l;
                }
                p += l;
                if (*p == '/')
                        p++;
        }
        return true;
}

static bool is_globstar(const parts_t *pp, size_t i)
{
        return pp->len[i] == 2 && pp->s[i][0] == '*' && pp->s[i][1] == '*';
}

bool lr_glob_match_one(const char *pattern, const char *path)
{
        parts_t pp, sp;
        if (!split(pattern, &pp) || !split(path, &sp))
                return false;
        size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
        while (si < sp.n) {
                if (pi < pp.n && is_globstar(&pp, pi)) {
                        star = ++pi;
                        mark = si;
                        continue;
                }
                if (pi < pp.n && component_match(pp.s[pi], pp.s[pi] + pp.len[pi], sp.s[si],
                                                 sp.s[si] + sp.len[si])) {
                        pi++;
                        si++;
                        continue;
                }
                if (star == SIZE_MAX)
                        return false;
                pi = star;
                si = ++mark;
        }
        while (pi < pp.n && is_globstar(&pp, pi))
                pi++;
        return pi == pp.n;
}

/* ---- braces ---- */

/* Find the first brace group that has a top-level comma.  Sets *open and
 * *close to its braces.  Groups without a comma stay literal. */
static bool find_group(const char *s, const char **open, const char **close)
{
        for (const char *p = s; *p; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        continue;
                }
                if (*p != '{')
                        continue;
                int depth = 0;
                bool comma = false;
                for (const char *q = p; *q; q++) {
                        if (*q == '\\' && q[1]) {
                                q++;
                                continue;
                        }
                        if (*q == '{')
                                depth++;
                        else if (*q == '}' && --depth == 0) {
                                if (comma) {
                                        *open = p;
                                        *close = q;
                                        return true;
                                }
                                break;
                        } else if (*q == ',' && depth == 1)
                                comma = true;
                }
        }
        return false;
}

static int expand(lr_glob_t *g, const char *s, int budget)
{
        const char *open, *close;
        if (budget <= 0)
                return -1;
        if (!find_group(s, &open, &close)) {
                if (g->n >= LR_GLOB_MAX_ALTS)
                        return -1;
                g->alts[g->n++] = lr_xstrdup(s);
                return 0;
        }
        size_t pre = (size_t)(open - s);
        const char *suffix = close + 1;
        const char *a = open + 1;
        int depth = 0;
        for (const char *q = a;; q++) {
                if (*q == '\\' && q[1]) {
                        q++;
                        continue;
                }
                if (*q == '{') {
                        depth++;
                        continue;
                }
                if (*q == '}' && depth > 0) {
                        depth--;
                        continue;
                }
                if ((*q == ',' && depth == 0) || q == close) {
                        size_t al = (size_t)(q - a);
                        size_t n = pre + al + strlen(suffix);
                        char *t = lr_xmalloc(n + 1);
                        memcpy(t, s, pre);
                        memcpy(t + pre, a, al);
                        strcpy(t + pre + al, suffix);
                        int r = expand(g, t, budget - 1);
                        free(t);
                        if (r < 0)
                                return -1;
                        a = q + 1;
                        if (q == close)
                                break;
                }
        }
        return 0;
}

int lr_glob_compile(lr_glob_t *g, const char *pattern, const char **why)
{
        g->alts = NULL;
        g->n = 0;
        if (!pattern || !*pattern)
                return *why = "empty pattern", -1;
        if (strlen(pattern) > LR_GLOB_MAX_LEN)
                return *why = "pattern too long (limit 1024 bytes)", -1;
        g->alts = lr_xcalloc(LR_GLOB_MAX_ALTS, sizeof(char *));
        if (expand(g, pattern, 2 * LR_GLOB_MAX_ALTS) < 0) {
                lr_glob_free(g);
                return *why = "pattern has too many {,} alternatives (limit 64)", -1;
        }
        return 0;
}

void lr_glob_free(lr_glob_t *g)
{
        for (size_t i = 0; i < g->n; i++)
                free(g->alts[i]);
        free(g->alts);
        g->alts = NULL;
        g->n = 0;
}

bool lr_glob_match(const lr_glob_t *g, const char *path)
{
        for (size_t i = 0; i < g->n; i++)
                if (lr_glob_match_one(g->alts[i], path))
                        return true;
        return false;
}
