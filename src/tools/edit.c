/* edit.c - exact-match text edits and unified diffs (see edit.h). */
#include "tools/edit.h"

#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/dl.h"

/* Occurrences of needle in hay (counting stops at 2); *first gets the
 * offset of the first. */
static int count_matches(const char *hay, size_t hlen, const char *needle, size_t nlen,
                         size_t *first)
{
        int n = 0;
        const char *p = hay, *end = hay + hlen;
        while (n < 2 && (size_t)(end - p) >= nlen) {
                const char *m = memmem(p, (size_t)(end - p), needle, nlen);
                if (!m)
                        break;
                if (n == 0)
                        *first = (size_t)(m - hay);
                n++;
                p = m + 1;
        }
        return n;
}

/* LF -> CRLF for lone LFs. */
static void to_crlf(const char *s, size_t len, lr_buf_t *out)
{
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
                        lr_buf_putc(out, '\r');
                lr_buf_putc(out, s[i]);
        }
}

static void excerpt(const char *s, size_t len, char *buf, size_t blen)
{
        size_t n = len < 200 ? len : 200;
        snprintf(buf, blen, "%.*s%s", (int)n, s, len > n ? "..." : "");
}

int lr_edit_apply(const char *text, size_t len, const lr_edit_t *edits, size_t n, lr_buf_t *out,
                  char *why, size_t whylen)
{
        lr_buf_t cur, next, o, nw;
        lr_buf_init(&cur, 0);
        lr_buf_init(&next, 0);
        lr_buf_append(&cur, text, len);
        bool crlf = memmem(text, len, "\r\n", 2) != NULL;
        int rc = -1;

        for (size_t i = 0; i < n; i++) {
                const lr_edit_t *e = &edits[i];
                char ex[220];
                if (e->old_len == 0) {
                        snprintf(why, whylen, "edit %zu: oldText is empty", i + 1);
                        goto out;
                }
                const char *old = e->old_text, *new = e->new_text;
                size_t olen = e->old_len, nlen = e->new_len;
                size_t at = 0;
                int m = count_matches(cur.data, cur.len, old, olen, &at);
                lr_buf_init(&o, 0);
                lr_buf_init(&nw, 0);
                if (m == 0 && crlf && memchr(old, '\n', olen)) {
                        to_crlf(old, olen, &o);
                        to_crlf(new, nlen, &nw);
                        m = count_matches(cur.data, cur.len, o.data, o.len, &at);
                        if (m > 0) {
                                old = o.data;
                                olen = o.len;
                                new = nw.data ? nw.data : "";
                                nlen = nw.len;
                        }
                }
                if (m != 1) {
                        excerpt(e->old_text, e->old_len, ex, sizeof ex);
                        if (m == 0)
                                snprintf(why, whylen,
                                         "edit %zu: could not find an exact match for oldText: %s",
                                         i + 1, ex);
                        else
                                snprintf(why, whylen,
                                         "edit %zu: oldText occurs more than once; add "
                                         "surrounding lines to make it unique: %s",
                                         i + 1, ex);
                        lr_buf_free(&o);
                        lr_buf_free(&nw);
                        goto out;
                }
                lr_buf_reset(&next);
                lr_buf_append(&next, cur.data, at);
                lr_buf_append(&next, new, nlen);
                lr_buf_append(&next, cur.data + at + olen, cur.len - at - olen);
                lr_buf_t t = cur;
                cur = next;
                next = t;
                lr_buf_free(&o);
                lr_buf_free(&nw);
        }
        lr_buf_append(out, cur.data ? cur.data : "", cur.len);
        rc = 0;
out:
        lr_buf_free(&cur);
        lr_buf_free(&next);
        return rc;
}

/* libgit2 is loaded the first time a diff is asked for (edit_file with
 * dryRun), not linked: it brings some 15 shared libraries (TLS, Kerberos,
 * SSH) whose loading cost ~3 ms on every run of the binary, sandbox or
 * not.  The types and macros still come from <git2.h>. */
static struct {
        int (*init)(void);
        int (*patch_from_buffers)(git_patch **out, const void *old_buffer, size_t old_len,
                                  const char *old_as_path, const void *new_buffer, size_t new_len,
                                  const char *new_as_path, const git_diff_options *opts);
        size_t (*patch_num_hunks)(const git_patch *patch);
        int (*patch_get_hunk)(const git_diff_hunk **out, size_t *lines_in_hunk, git_patch *patch,
                              size_t hunk_idx);
        int (*patch_get_line_in_hunk)(const git_diff_line **out, git_patch *patch,
                                      size_t hunk_idx, size_t line_of_hunk);
        void (*patch_free)(git_patch *patch);
} G;
static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static char git_load_error[256];

static void git_init(void)
{
        const lr_dl_sym_t syms[] = {
                { &G.init, "git_libgit2_init" },
                { &G.patch_from_buffers, "git_patch_from_buffers" },
                { &G.patch_num_hunks, "git_patch_num_hunks" },
                { &G.patch_get_hunk, "git_patch_get_hunk" },
                { &G.patch_get_line_in_hunk, "git_patch_get_line_in_hunk" },
                { &G.patch_free, "git_patch_free" },
        };
        if (lr_dl_load(LR_LIBGIT2_SONAME, syms, ARRAY_SIZE(syms), git_load_error,
                       sizeof git_load_error) < 0)
                return;
        if (G.init() < 0)
                snprintf(git_load_error, sizeof git_load_error, "git_libgit2_init failed");
}

const char *lr_diff_unavailable(void)
{
        pthread_once(&git_once, git_init);
        return git_load_error[0] ? git_load_error : NULL;
}

static void put(lr_buf_t *b, const char *s)
{
        lr_buf_append(b, s, strlen(s));
}

int lr_unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen,
                    lr_buf_t *out)
{
        if (lr_diff_unavailable())
                return -1;
        put(out, "Index: ");
        put(out, path);
        put(out, "\n===================================================================\n--- ");
        put(out, path);
        put(out, "\toriginal\n+++ ");
        put(out, path);
        put(out, "\tmodified\n");

        git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
        opts.flags |= GIT_DIFF_FORCE_TEXT;
        opts.context_lines = 3;
        git_patch *patch = NULL;
        if (G.patch_from_buffers(&patch, a, alen, path, b, blen, path, &opts) < 0)
                return -1;
        size_t nh = G.patch_num_hunks(patch);
        for (size_t h = 0; h < nh; h++) {
                const git_diff_hunk *hunk;
                size_t nl;
                if (G.patch_get_hunk(&hunk, &nl, patch, h) < 0)
                        break;
                /* The header without git's function-context suffix. */
                char hdr[128];
                snprintf(hdr, sizeof hdr, "@@ -%d,%d +%d,%d @@\n", hunk->old_start,
                         hunk->old_lines, hunk->new_start, hunk->new_lines);
                put(out, hdr);
                for (size_t l = 0; l < nl; l++) {
                        const git_diff_line *line;
                        if (G.patch_get_line_in_hunk(&line, patch, h, l) < 0)
                                break;
                        switch (line->origin) {
                        case GIT_DIFF_LINE_CONTEXT:
                        case GIT_DIFF_LINE_ADDITION:
                        case GIT_DIFF_LINE_DELETION:
                                lr_buf_putc(out, line->origin);
                                lr_buf_append(out, line->content, line->content_len);
                                if (line->content_len == 0 ||
                                    line->content[line->content_len - 1] != '\n')
                                        lr_buf_putc(out, '\n');
                                break;
                        case GIT_DIFF_LINE_CONTEXT_EOFNL:
                        case GIT_DIFF_LINE_ADD_EOFNL:
                        case GIT_DIFF_LINE_DEL_EOFNL:
                                put(out, "\\ No newline at end of file\n");
                                break;
                        default:
                                break;
                        }
                }
        }
        G.patch_free(patch);
        return 0;
}
