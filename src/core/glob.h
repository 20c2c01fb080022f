/* glob.h - path globs for search_files and exclude patterns.
 *
 * The dialect is the common subset of minimatch (which the reference MCP
 * filesystem server uses) and shell globs, matched against a relative path
 * whose components are separated by '/':
 *
 *     *        any run of characters within one component
 *     ?        one character within one component
 *     [abc]    one character from a set; [a-z] ranges; [!x] or [^x] negates
 *     \c       the character c, literally
 *     **       as a whole component: zero or more components
 *     {a,b}    alternatives, nestable: "*.{c,h}" matches a.c and a.h
 *
 * Dots are not special ("*" matches ".env"), like minimatch's {dot: true}.
 *
 * Matching is linear-time backtracking (the classic single-star algorithm,
 * at the component level for "**" and at the character level inside a
 * component), so a hostile pattern cannot make it exponential.  Brace
 * expansion is bounded: a pattern expanding to more than LR_GLOB_MAX_ALTS
 * alternatives, or longer than LR_GLOB_MAX_LEN bytes, is rejected.
 */
#ifndef LR_GLOB_H
#define LR_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#define LR_GLOB_MAX_LEN 1024
#define LR_GLOB_MAX_ALTS 64

typedef struct {
        char **alts;  /* brace-expanded alternatives */
        size_t n;
} lr_glob_t;

/* Compile (brace-expand and check) a pattern.  Returns 0, or -1 with a
 * static message in *why for an empty, too long or too branchy pattern or
 * an unbalanced brace or bracket. */
int lr_glob_compile(lr_glob_t *g, const char *pattern, const char **why);
void lr_glob_free(lr_glob_t *g);

/* Does the relative path match any alternative? */
bool lr_glob_match(const lr_glob_t *g, const char *path);

/* One already brace-free pattern against a path (exposed for tests). */
bool lr_glob_match_one(const char *pattern, const char *path);

#endif
