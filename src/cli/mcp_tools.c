/* mcp_tools.c - the MCP tools (see mcp_tools.h). */
#include "cli/mcp_tools.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/glob.h"
#include "core/utf8.h"
#include "core/util.h"
#include "rpc/jsonrpc.h"
#include "tools/edit.h"

/* Entries returned by one listing, tree or search. */
#define MAX_LIST_ENTRIES 10000
#define MAX_PATTERNS 64

json_t *lr_mcp_result(json_t *text, bool is_error, json_t *structured)
{
        json_t *r = json_pack("{s:[{s:s,s:o}],s:b}", "content", "type", "text", "text", text,
                              "isError", is_error);
        if (structured)
                json_object_set_new(r, "structuredContent", structured);
        return r;
}

json_t *lr_mcp_error(const char *fmt, ...)
{
        char msg[1200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return lr_mcp_result(lr_json_text(msg, strlen(msg)), true, NULL);
}

static json_t *text_result(const char *s, size_t len)
{
        return lr_mcp_result(lr_json_text(s, len), false, NULL);
}

/* ---- arguments ---- */

/* A string argument with no NUL byte (a path or command is a C string
 * inside the sandbox; "a\u0000b" must not silently become "a"). */
static const char *arg_str(json_t *args, const char *key)
{
        json_t *v = json_object_get(args, key);
        if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
                return NULL;
        return json_string_value(v);
}

#define REQUIRE_PATH(var, args, key)                                                          \
        const char *var = arg_str(args, key);                                                 \
        if (!var || !*var)                                                                    \
                return lr_mcp_error("INVALID_ARGUMENT: '%s' must be a non-empty string "      \
                                    "without NUL bytes",                                      \
                                    key)

/* A non-negative integer argument; *present says whether it was given. */
static bool arg_count(json_t *args, const char *key, long *ret, bool *present)
{
        json_t *v = json_object_get(args, key);
        *present = v != NULL && !json_is_null(v);
        *ret = 0;
        if (!*present)
                return true;
        if (!json_is_number(v))
                return false;
        double d = json_number_value(v);
        if (d < 0 || d > 1e9 || d != (double)(long)d)
                return false;
        *ret = (long)d;
        return true;
}

/* excludePatterns: an optional array of glob strings.  A pattern without
 * a '/' names an entry at any depth ("node_modules" skips every
 * node_modules directory), as users of .gitignore expect. */
static json_t *arg_excludes(json_t *args, char **out, size_t *n)
{
        json_t *ex = json_object_get(args, "excludePatterns");
        *n = 0;
        if (!ex || json_is_null(ex))
                return NULL;
        if (!json_is_array(ex) || json_array_size(ex) > MAX_PATTERNS)
                return lr_mcp_error("INVALID_ARGUMENT: 'excludePatterns' must be an array of at "
                                    "most %d strings",
                                    MAX_PATTERNS);
        size_t i;
        json_t *p;
        json_array_foreach(ex, i, p) {
                const char *s = json_is_string(p) ? json_string_value(p) : NULL;
                if (!s || memchr(s, '\0', json_string_length(p)) || !*s) {
                        for (size_t k = 0; k < *n; k++)
                                free(out[k]);
                        *n = 0;
                        return lr_mcp_error("INVALID_ARGUMENT: 'excludePatterns' must hold "
                                            "non-empty strings");
                }
                out[(*n)++] = strchr(s, '/') ? lr_xstrdup(s) : lr_xasprintf("**/%s", s);
        }
        return NULL;
}

static void free_strs(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
}

static json_t *session_failed(const lr_error_t *err)
{
        return lr_mcp_error("%s: %s", lr_code_name(err->code), err->msg);
}

/* ---- reading ---- */

/* Keep the first or last n lines of a text. */
static void slice_lines(const char *s, size_t len, long head, long tail, size_t *off, size_t *n)
{
        *off = 0;
        *n = len;
        if (head > 0) {
                size_t i = 0;
                long lines = 0;
                while (i < len && lines < head)
                        if (s[i++] == '\n')
                                lines++;
                *n = i;
        } else if (tail > 0) {
                size_t i = len;
                long lines = 0;
                if (i > 0 && s[i - 1] == '\n')
                        i--;
                while (i > 0) {
                        if (s[i - 1] == '\n' && ++lines == tail)
                                break;
                        i--;
                }
                *off = i;
                *n = len - i;
        }
}

/* Read a text file: 0 with res->data filled, or -1 with *error set to an
 * isError result. */
static int read_text(lr_session_t *s, const char *path, lr_open_result_t *res, json_t **error)
{
        lr_error_t err;
        if (lr_session_open_file(s, path, res, &err) < 0) {
                *error = session_failed(&err);
                return -1;
        }
        if (res->code != LR_OK)
                *error = lr_mcp_error("%s: %s", lr_code_name(res->code), res->message);
        else if (lr_looks_binary(res->data.data, res->data.len))
                *error = lr_mcp_error("BINARY_FILE: %s is a binary file (%llu bytes); read it "
                                      "with exec, e.g. base64 %s",
                                      path, (unsigned long long)res->size, path);
        else
                return 0;
        lr_open_result_free(res);
        return -1;
}

static json_t *t_read_text_file(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        long head, tail;
        bool hp, tp;
        if (!arg_count(args, "head", &head, &hp) || !arg_count(args, "tail", &tail, &tp))
                return lr_mcp_error("INVALID_ARGUMENT: 'head' and 'tail' must be non-negative "
                                    "integers");
        if (hp && tp)
                return lr_mcp_error("INVALID_ARGUMENT: give 'head' or 'tail', not both");
        lr_open_result_t res;
        json_t *e;
        if (read_text(s, path, &res, &e) < 0)
                return e;
        size_t off, n;
        slice_lines(res.data.data, res.data.len, head, tail, &off, &n);
        json_t *r = text_result(res.data.data + off, n);
        lr_open_result_free(&res);
        return r;
}

static json_t *t_read_multiple_files(lr_session_t *s, json_t *args)
{
        json_t *paths = json_object_get(args, "paths");
        if (!json_is_array(paths) || json_array_size(paths) == 0 ||
            json_array_size(paths) > 1000)
                return lr_mcp_error("INVALID_ARGUMENT: 'paths' must be an array of 1 to 1000 "
                                    "strings");
        lr_buf_t b;
        lr_buf_init(&b, 0);
        size_t i;
        json_t *p;
        json_array_foreach(paths, i, p) {
                if (i)
                        lr_buf_append(&b, "\n---\n", 5);
                const char *path = json_is_string(p) ? json_string_value(p) : NULL;
                if (!path || memchr(path, '\0', json_string_length(p))) {
                        const char *m = "(invalid): Error - INVALID_ARGUMENT: not a string";
                        lr_buf_append(&b, m, strlen(m));
                        continue;
                }
                lr_buf_append(&b, path, strlen(path));
                lr_open_result_t res;
                json_t *e;
                if (read_text(s, path, &res, &e) < 0) {
                        const char *t = json_string_value(json_object_get(
                                json_array_get(json_object_get(e, "content"), 0), "text"));
                        lr_buf_append(&b, ": Error - ", 10);
                        lr_buf_append(&b, t, strlen(t));
                        json_decref(e);
                        continue;
                }
                lr_buf_append(&b, ":\n", 2);
                lr_buf_append(&b, res.data.data, res.data.len);
                lr_buf_putc(&b, '\n');
                lr_open_result_free(&res);
        }
        json_t *r = text_result(b.data, b.len);
        lr_buf_free(&b);
        return r;
}

/* ---- writing ---- */

static json_t *t_write_file(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        json_t *c = json_object_get(args, "content");
        if (!json_is_string(c))
                return lr_mcp_error("INVALID_ARGUMENT: 'content' must be a string");
        lr_write_result_t res;
        lr_error_t err;
        if (lr_session_write_file(s, path, json_string_value(c), json_string_length(c), &res,
                                  &err) < 0)
                return session_failed(&err);
        if (res.code != LR_OK)
                return lr_mcp_error("%s: %s", lr_code_name(res.code), res.message);
        char msg[4200];
        snprintf(msg, sizeof msg, "Successfully wrote to %s (%llu bytes, %s)", path,
                 (unsigned long long)res.bytes, res.created ? "created" : "updated");
        return text_result(msg, strlen(msg));
}

static json_t *t_edit_file(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        json_t *edits = json_object_get(args, "edits");
        json_t *dry = json_object_get(args, "dryRun");
        if (!json_is_array(edits) || json_array_size(edits) == 0 ||
            json_array_size(edits) > 1000)
                return lr_mcp_error("INVALID_ARGUMENT: 'edits' must be an array of 1 to 1000 "
                                    "{oldText, newText} objects");
        if (dry && !json_is_boolean(dry) && !json_is_null(dry))
                return lr_mcp_error("INVALID_ARGUMENT: 'dryRun' must be a boolean");
        size_t n = json_array_size(edits);
        lr_edit_t *ev = lr_xcalloc(n, sizeof *ev);
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(edits, i);
                json_t *o = json_object_get(e, "oldText"), *nw = json_object_get(e, "newText");
                if (!json_is_object(e) || !json_is_string(o) || !json_is_string(nw)) {
                        free(ev);
                        return lr_mcp_error("INVALID_ARGUMENT: edit %zu needs string 'oldText' "
                                            "and 'newText'",
                                            i + 1);
                }
                ev[i] = (lr_edit_t){ json_string_value(o), json_string_length(o),
                                     json_string_value(nw), json_string_length(nw) };
        }
        lr_open_result_t res;
        json_t *r;
        if (read_text(s, path, &res, &r) < 0) {
                free(ev);
                return r;
        }
        char why[600];
        lr_buf_t edited, diff;
        lr_buf_init(&edited, 0);
        lr_buf_init(&diff, 0);
        if (lr_edit_apply(res.data.data, res.data.len, ev, n, &edited, why, sizeof why) < 0) {
                r = lr_mcp_error("INVALID_ARGUMENT: %s: %s (nothing was changed)", path, why);
                goto out;
        }
        if (lr_unified_diff(path, res.data.data, res.data.len, edited.data ? edited.data : "",
                            edited.len, &diff) < 0) {
                const char *why_not = lr_diff_unavailable();
                r = lr_mcp_error("INTERNAL_ERROR: could not compute the diff%s%s",
                                 why_not ? ": " : "", why_not ? why_not : "");
                goto out;
        }
        if (!json_is_true(dry)) {
                lr_write_result_t wr;
                lr_error_t err;
                if (lr_session_write_file(s, path, edited.data ? edited.data : "", edited.len,
                                          &wr, &err) < 0) {
                        r = session_failed(&err);
                        goto out;
                }
                if (wr.code != LR_OK) {
                        r = lr_mcp_error("%s: %s", lr_code_name(wr.code), wr.message);
                        goto out;
                }
        }
        /* Fence the diff with more backticks than it contains, as the
         * reference server does. */
        lr_buf_t text;
        lr_buf_init(&text, 0);
        size_t ticks = 3;
        for (;;) {
                char fence[64];
                memset(fence, '`', ticks);
                if (ticks >= sizeof fence - 1 || !memmem(diff.data, diff.len, fence, ticks))
                        break;
                ticks++;
        }
        for (size_t i = 0; i < ticks; i++)
                lr_buf_putc(&text, '`');
        lr_buf_append(&text, "diff\n", 5);
        lr_buf_append(&text, diff.data, diff.len);
        for (size_t i = 0; i < ticks; i++)
                lr_buf_putc(&text, '`');
        lr_buf_append(&text, "\n\n", 2);
        r = text_result(text.data, text.len);
        lr_buf_free(&text);
out:
        lr_buf_free(&edited);
        lr_buf_free(&diff);
        lr_open_result_free(&res);
        free(ev);
        return r;
}

static json_t *t_create_directory(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        lr_fsop_result_t res;
        lr_error_t err;
        if (lr_session_mkdir(s, path, &res, &err) < 0)
                return session_failed(&err);
        if (res.code != LR_OK)
                return lr_mcp_error("%s: %s", lr_code_name(res.code), res.message);
        char msg[4200];
        snprintf(msg, sizeof msg, "Successfully created directory %s%s", path,
                 res.created ? "" : " (it already existed)");
        return text_result(msg, strlen(msg));
}

static json_t *t_move_file(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(src, args, "source");
        REQUIRE_PATH(dst, args, "destination");
        lr_fsop_result_t res;
        lr_error_t err;
        if (lr_session_move(s, src, dst, &res, &err) < 0)
                return session_failed(&err);
        if (res.code != LR_OK)
                return lr_mcp_error("%s: %s", lr_code_name(res.code), res.message);
        char msg[8300];
        snprintf(msg, sizeof msg, "Successfully moved %s to %s", src, dst);
        return text_result(msg, strlen(msg));
}

/* ---- listing ---- */

static json_t *walk(lr_session_t *s, const char *path, unsigned depth, const char *pattern,
                    char **ex, size_t nex, lr_walk_result_t *res)
{
        lr_error_t err;
        if (lr_session_walk(s, path, depth, pattern, (const char *const *)ex, nex,
                            MAX_LIST_ENTRIES, res, &err) < 0)
                return session_failed(&err);
        if (res->code != LR_OK) {
                json_t *e = lr_mcp_error("%s: %s", lr_code_name(res->code), res->message);
                lr_walk_result_free(res);
                return e;
        }
        return NULL;
}

static void truncation_note(lr_buf_t *b, const lr_walk_result_t *res)
{
        if (res->truncated) {
                char note[160];
                snprintf(note, sizeof note,
                         "[listing truncated after %zu entries: narrow the path or the pattern]\n",
                         res->count);
                lr_buf_append(b, note, strlen(note));
        }
}

static json_t *t_list_directory(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        lr_walk_result_t res;
        json_t *e = walk(s, path, 1, NULL, NULL, 0, &res);
        if (e)
                return e;
        lr_buf_t b;
        lr_buf_init(&b, 0);
        size_t off = 0;
        lr_entry_t en;
        while (lr_entry_next(res.data.data, res.data.len, &off, &en, NULL) == 1) {
                const char *tag = en.type == 'd' ? "[DIR] " : en.type == 'l' ? "[LINK] "
                                                            : en.type == 'f' ? "[FILE] "
                                                                             : "[OTHER] ";
                lr_buf_append(&b, tag, strlen(tag));
                lr_buf_append(&b, en.name, en.name_len);
                lr_buf_putc(&b, '\n');
        }
        if (res.count == 0)
                lr_buf_append(&b, "(empty directory)\n", 18);
        truncation_note(&b, &res);
        json_t *r = text_result(b.data, b.len);
        lr_buf_free(&b);
        lr_walk_result_free(&res);
        return r;
}

static const char *type_name(char t)
{
        return t == 'd' ? "directory" : t == 'f' ? "file" : t == 'l' ? "symlink" : "other";
}

static json_t *t_directory_tree(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        char *ex[MAX_PATTERNS];
        size_t nex;
        json_t *e = arg_excludes(args, ex, &nex);
        if (e)
                return e;
        lr_walk_result_t res;
        e = walk(s, path, LR_WALK_MAX_DEPTH, NULL, ex, nex, &res);
        free_strs(ex, nex);
        if (e)
                return e;
        /* Entries arrive in pre-order with relative paths; hang each under
         * its parent's children array, found by the parent's path. */
        json_t *root = json_array();
        json_t *dirs = json_object(); /* relative dir path -> children array */
        size_t off = 0;
        lr_entry_t en;
        char name[LR_ENTRY_MAX_NAME + 1];
        while (lr_entry_next(res.data.data, res.data.len, &off, &en, NULL) == 1) {
                memcpy(name, en.name, en.name_len);
                name[en.name_len] = '\0';
                char *slash = strrchr(name, '/');
                json_t *parent = root;
                const char *base = name;
                if (slash) {
                        *slash = '\0';
                        parent = json_object_get(dirs, name);
                        *slash = '/';
                        base = slash + 1;
                        if (!parent)
                                continue; /* parent not listed: cannot place it */
                }
                json_t *node = json_pack("{s:o,s:s}", "name", lr_json_text(base, strlen(base)),
                                         "type", type_name(en.type));
                if (en.type == 'd') {
                        json_t *kids = json_array();
                        json_object_set_new(node, "children", kids);
                        json_object_set(dirs, name, kids);
                }
                json_array_append_new(parent, node);
        }
        char *dump = json_dumps(root, JSON_INDENT(2));
        lr_buf_t b;
        lr_buf_init(&b, 0);
        lr_buf_append(&b, dump, strlen(dump));
        lr_buf_putc(&b, '\n');
        truncation_note(&b, &res);
        json_t *r = text_result(b.data, b.len);
        lr_buf_free(&b);
        free(dump);
        json_decref(root);
        json_decref(dirs);
        lr_walk_result_free(&res);
        return r;
}

static json_t *t_search_files(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        const char *pattern = arg_str(args, "pattern");
        if (!pattern || !*pattern)
                return lr_mcp_error("INVALID_ARGUMENT: 'pattern' must be a non-empty string");
        /* A plain word is a name search ("config" finds every name that
         * contains it), as the first reference servers did; anything with
         * glob characters is a glob on the path relative to 'path'. */
        _cleanup_free_ char *glob = strpbrk(pattern, "*?[{") ? lr_xstrdup(pattern)
                                                              : lr_xasprintf("**/*%s*", pattern);
        lr_glob_t g;
        const char *why;
        if (lr_glob_compile(&g, glob, &why) < 0)
                return lr_mcp_error("INVALID_ARGUMENT: bad pattern: %s", why);
        lr_glob_free(&g);
        char *ex[MAX_PATTERNS];
        size_t nex;
        json_t *e = arg_excludes(args, ex, &nex);
        if (e)
                return e;
        lr_walk_result_t res;
        e = walk(s, path, LR_WALK_MAX_DEPTH, glob, ex, nex, &res);
        free_strs(ex, nex);
        if (e)
                return e;
        lr_buf_t b;
        lr_buf_init(&b, 0);
        size_t off = 0;
        lr_entry_t en;
        size_t plen = strlen(path);
        bool dot = strcmp(path, ".") == 0;
        while (lr_entry_next(res.data.data, res.data.len, &off, &en, NULL) == 1) {
                /* Full paths as the reference server returns them: the
                 * search root joined with the relative path. */
                if (!dot) {
                        lr_buf_append(&b, path, plen);
                        if (path[plen - 1] != '/')
                                lr_buf_putc(&b, '/');
                }
                lr_buf_append(&b, en.name, en.name_len);
                lr_buf_putc(&b, '\n');
        }
        if (res.count == 0)
                lr_buf_append(&b, "No matches found\n", 17);
        truncation_note(&b, &res);
        json_t *r = text_result(b.data, b.len);
        lr_buf_free(&b);
        lr_walk_result_free(&res);
        return r;
}

static void iso_time(int64_t t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(buf, len, "unknown");
}

static json_t *t_get_file_info(lr_session_t *s, json_t *args)
{
        REQUIRE_PATH(path, args, "path");
        lr_walk_result_t res;
        json_t *e = walk(s, path, 0, NULL, NULL, 0, &res);
        if (e)
                return e;
        size_t off = 0;
        lr_entry_t en;
        lr_entry_next(res.data.data, res.data.len, &off, &en, NULL);
        char created[40], modified[40], accessed[40], perms[8], text[600];
        iso_time(en.btime, created, sizeof created);
        iso_time(en.mtime, modified, sizeof modified);
        iso_time(en.atime, accessed, sizeof accessed);
        snprintf(perms, sizeof perms, "%03o", en.mode & 0777);
        snprintf(text, sizeof text,
                 "size: %llu\ncreated: %s\nmodified: %s\naccessed: %s\nisDirectory: %s\n"
                 "isFile: %s\npermissions: %s\ntype: %s\nowner: %u:%u\n",
                 (unsigned long long)en.size, created, modified, accessed,
                 en.type == 'd' ? "true" : "false", en.type == 'f' ? "true" : "false", perms,
                 type_name(en.type), en.uid, en.gid);
        json_t *st = json_pack("{s:I,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:i,s:i}", "size",
                               (json_int_t)en.size, "created", created, "modified", modified,
                               "accessed", accessed, "isDirectory", en.type == 'd', "isFile",
                               en.type == 'f', "permissions", perms, "type", type_name(en.type),
                               "uid", (int)en.uid, "gid", (int)en.gid);
        lr_walk_result_free(&res);
        return lr_mcp_result(lr_json_text(text, strlen(text)), false, st);
}

static json_t *t_list_allowed_directories(lr_session_t *s, json_t *args)
{
        (void)s;
        (void)args;
        const char *t = "Allowed directories:\n/workspace\n\nEverything runs inside a sandbox: "
                        "/workspace (the project, read-write) and /tmp (scratch, read-write) "
                        "are writable; the rest of the filesystem is read-only.\n";
        return text_result(t, strlen(t));
}

/* ---- exec ---- */

static json_t *t_exec(lr_session_t *s, json_t *args)
{
        const char *cmd = arg_str(args, "command");
        json_t *in = json_object_get(args, "stdin"), *to = json_object_get(args, "timeout");
        if (!cmd || !*cmd)
                return lr_mcp_error("INVALID_ARGUMENT: 'command' must be a non-empty string "
                                    "without NUL bytes");
        if (json_is_null(in))
                in = NULL;
        if (json_is_null(to))
                to = NULL;
        if ((in && !json_is_string(in)) || (to && !json_is_number(to)))
                return lr_mcp_error("INVALID_ARGUMENT: 'stdin' must be a string and 'timeout' a "
                                    "number of seconds");
        double secs = to ? json_number_value(to) : 0;
        if (secs < 0 || secs > 1e6)
                return lr_mcp_error("INVALID_ARGUMENT: 'timeout' must be between 0 and 1e6 "
                                    "seconds");
        lr_exec_result_t res;
        lr_error_t err;
        if (lr_session_exec(s, cmd, in ? json_string_value(in) : NULL,
                            in ? json_string_length(in) : 0, in != NULL,
                            (uint64_t)(secs * 1000.0), &res, &err) < 0)
                return session_failed(&err);
        if (res.code != LR_OK && res.code != LR_E_EXEC_FAILED && res.code != LR_E_EXEC_TIMEOUT) {
                json_t *r = lr_mcp_error("%s: %s", lr_code_name(res.code), res.message);
                lr_exec_result_free(&res);
                return r;
        }
        lr_buf_t b;
        lr_buf_init(&b, 0);
        char head[700];
        if (res.code == LR_OK)
                snprintf(head, sizeof head, "exit code: %d\n", res.exit_code);
        else
                snprintf(head, sizeof head, "exit code: %d (%s: %s)\n", res.exit_code,
                         lr_code_name(res.code), res.message);
        lr_buf_append(&b, head, strlen(head));
        lr_buf_append(&b, "stdout:\n", 8);
        lr_buf_append(&b, res.out.data, res.out.len);
        lr_buf_append(&b, "\nstderr:\n", 9);
        lr_buf_append(&b, res.err.data, res.err.len);
        json_t *st = json_pack("{s:i,s:o,s:o,s:b,s:b,s:f}", "exitCode", res.exit_code, "stdout",
                               lr_json_text(res.out.data, res.out.len), "stderr",
                               lr_json_text(res.err.data, res.err.len), "timedOut",
                               res.timed_out, "truncated",
                               res.out_truncated || res.err_truncated, "durationSeconds",
                               res.duration_s);
        json_t *r = lr_mcp_result(lr_json_text(b.data, b.len), res.code != LR_OK, st);
        lr_buf_free(&b);
        lr_exec_result_free(&res);
        return r;
}

/* ---- the table ---- */

#define S_PATH "\"path\":{\"type\":\"string\",\"description\":\"Path inside the sandbox; " \
               "relative paths start at /workspace\"}"
#define S_EXCLUDES "\"excludePatterns\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}," \
                   "\"default\":[]}"

static const lr_mcp_tool_t tools[] = {
        { "read_text_file", "Read Text File",
          "Read the complete contents of a text file from the sandbox. Use 'head' or 'tail' "
          "to get only the first or last N lines. Binary files are refused (use exec with "
          "base64).",
          "{\"type\":\"object\",\"properties\":{" S_PATH ",\"head\":{\"type\":\"number\","
          "\"description\":\"Return only the first N lines\"},\"tail\":{\"type\":\"number\","
          "\"description\":\"Return only the last N lines\"}},\"required\":[\"path\"]}",
          NULL, true, false, true, t_read_text_file },
        { "read_multiple_files", "Read Multiple Files",
          "Read several text files at once. Each file's content is returned with its path; a "
          "failure for one file is reported inline and does not stop the others.",
          "{\"type\":\"object\",\"properties\":{\"paths\":{\"type\":\"array\",\"items\":{"
          "\"type\":\"string\"},\"minItems\":1}},\"required\":[\"paths\"]}",
          NULL, true, false, true, t_read_multiple_files },
        { "write_file", "Write File",
          "Create a new file or completely overwrite an existing one, atomically (a reader "
          "sees the old or the new file, never a partial one). Missing parent directories are "
          "created; the mode of an existing file is kept.",
          "{\"type\":\"object\",\"properties\":{" S_PATH ",\"content\":{\"type\":\"string\"}},"
          "\"required\":[\"path\",\"content\"]}",
          NULL, false, true, true, t_write_file },
        { "edit_file", "Edit File",
          "Make exact-match edits to a text file. Each edit replaces oldText, which must occur "
          "exactly once, with newText; edits apply in order and either all apply or none do. "
          "Returns a git-style unified diff. With dryRun the diff is returned and the file is "
          "not changed.",
          "{\"type\":\"object\",\"properties\":{" S_PATH ",\"edits\":{\"type\":\"array\","
          "\"items\":{\"type\":\"object\",\"properties\":{\"oldText\":{\"type\":\"string\","
          "\"description\":\"Text to search for - must match exactly\"},\"newText\":{\"type\":"
          "\"string\",\"description\":\"Text to replace with\"}},\"required\":[\"oldText\","
          "\"newText\"]}},\"dryRun\":{\"type\":\"boolean\",\"default\":false,\"description\":"
          "\"Preview changes using git-style diff format\"}},\"required\":[\"path\",\"edits\"]}",
          NULL, false, true, false, t_edit_file },
        { "create_directory", "Create Directory",
          "Create a directory, with any missing parents. Succeeds if it already exists.",
          "{\"type\":\"object\",\"properties\":{" S_PATH "},\"required\":[\"path\"]}", NULL,
          false, false, true, t_create_directory },
        { "list_directory", "List Directory",
          "List the entries of a directory, one per line, prefixed [DIR], [FILE], [LINK] or "
          "[OTHER].",
          "{\"type\":\"object\",\"properties\":{" S_PATH "},\"required\":[\"path\"]}", NULL,
          true, false, true, t_list_directory },
        { "directory_tree", "Directory Tree",
          "Get a recursive tree of files and directories as JSON: each entry has 'name', "
          "'type' (file, directory, symlink, other) and, for directories, 'children'. "
          "Symlinks are not followed. excludePatterns are globs; one without '/' matches a "
          "name at any depth (\"node_modules\").",
          "{\"type\":\"object\",\"properties\":{" S_PATH "," S_EXCLUDES "},\"required\":["
          "\"path\"]}",
          NULL, true, false, true, t_directory_tree },
        { "move_file", "Move File",
          "Move or rename a file or directory. Fails if the destination exists. Missing "
          "parent directories of the destination are created.",
          "{\"type\":\"object\",\"properties\":{\"source\":{\"type\":\"string\"},"
          "\"destination\":{\"type\":\"string\"}},\"required\":[\"source\",\"destination\"]}",
          NULL, false, false, false, t_move_file },
        { "search_files", "Search Files",
          "Recursively search for files and directories under 'path'. 'pattern' is a glob "
          "matched against the path relative to 'path' ('*.c' at the top level, '**/*.c' at "
          "any depth, '{src,lib}/**' ...); a pattern without glob characters finds every "
          "name containing it. Returns one path per line.",
          "{\"type\":\"object\",\"properties\":{" S_PATH ",\"pattern\":{\"type\":\"string\"},"
          S_EXCLUDES "},\"required\":[\"path\",\"pattern\"]}",
          NULL, true, false, true, t_search_files },
        { "get_file_info", "Get File Info",
          "Get metadata about a file or directory: size, creation, modification and access "
          "times (UTC), type, permissions and owner.",
          "{\"type\":\"object\",\"properties\":{" S_PATH "},\"required\":[\"path\"]}", NULL,
          true, false, true, t_get_file_info },
        { "list_allowed_directories", "List Allowed Directories",
          "Say which directories are writable in the sandbox.",
          "{\"type\":\"object\",\"properties\":{}}", NULL, true, false, true,
          t_list_allowed_directories },
        { "exec", "Execute Command",
          "Run a shell command (sh -c) in /workspace inside the sandbox: no network, "
          "time, memory and process limits, and nothing it starts outlives it. Returns the "
          "exit code, stdout and stderr. 'stdin' is fed to the command; 'timeout' (seconds) "
          "may shorten the configured limit, never extend it.",
          "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"},\"stdin\":{"
          "\"type\":\"string\"},\"timeout\":{\"type\":\"number\",\"description\":\"Seconds\"}},"
          "\"required\":[\"command\"]}",
          "{\"type\":\"object\",\"properties\":{\"exitCode\":{\"type\":\"integer\"},\"stdout\":"
          "{\"type\":\"string\"},\"stderr\":{\"type\":\"string\"},\"timedOut\":{\"type\":"
          "\"boolean\"},\"truncated\":{\"type\":\"boolean\"},\"durationSeconds\":{\"type\":"
          "\"number\"}},\"required\":[\"exitCode\",\"stdout\",\"stderr\",\"timedOut\"]}",
          false, true, false, t_exec },
};

const lr_mcp_tool_t *lr_mcp_tool_find(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(tools); i++)
                if (strcmp(name, tools[i].name) == 0)
                        return &tools[i];
        return NULL;
}

json_t *lr_mcp_tools_list(void)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
                const lr_mcp_tool_t *t = &tools[i];
                json_t *tool = json_pack(
                        "{s:s,s:s,s:s,s:o,s:{s:s,s:b,s:b,s:b,s:b}}", "name", t->name, "title",
                        t->title, "description", t->description, "inputSchema",
                        json_loads(t->input_schema, 0, NULL), "annotations", "title", t->title,
                        "readOnlyHint", t->read_only, "destructiveHint", t->destructive,
                        "idempotentHint", t->idempotent, "openWorldHint", 0);
                if (t->output_schema)
                        json_object_set_new(tool, "outputSchema",
                                            json_loads(t->output_schema, 0, NULL));
                json_array_append_new(arr, tool);
        }
        return json_pack("{s:o}", "tools", arr);
}
