/* scanner.c - the pipe-mode scanner (grammar in scanner.h).
 *
 * A byte-at-a-time state machine.  Every byte is examined a bounded number
 * of times (terminators are at most 9 bytes and matched incrementally with a
 * small pending buffer), so scanning is O(n); the Go original re-searched
 * its whole buffer after every byte.  Memory is bounded by the limits.
 */
#include "parse/scanner.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define DEFAULT_MAX_ARG 65536
#define DEFAULT_MAX_BODY (10u << 20)

typedef enum {
        S_TEXT,
        S_TAG,          /* after '<', matching a tag name */
        S_PATH,         /* open/write path, up to '>' */
        S_EXEC_ARG,     /* single-line exec command */
        S_EXEC_GT,      /* after a '>' that may close the exec */
        S_EXEC_LT,      /* ... followed by blanks and '<': is it a tag? */
        S_BODY_START,   /* first byte of a write/exec body */
        S_BODY_START_CR,
        S_BODY,
} state_t;

struct lr_scanner {
        lr_scanner_limits_t lim;
        lr_scanner_emit_fn emit;
        void *userdata;

        state_t state;
        uint64_t line;     /* current input line, 1-based */
        uint64_t tag_line; /* line of the current command's '<' */

        char tag[8];
        size_t ntag;
        lr_cmd_type_t kind; /* command being scanned */

        lr_buf_t arg;
        bool arg_nul, arg_long;
        size_t cmd_end; /* exec: length of the command before the candidate '>'
                           (the last '>' seen on the line), or NO_GT */
        char look[8];   /* exec: bytes after the candidate '>' */
        size_t nlook;

        /* bodies (write content, exec block script + stdin) */
        lr_buf_t content;
        uint64_t total;    /* true body size, also past the limit */
        size_t split;      /* exec block: content offset where stdin starts */
        bool in_stdin;
        char last;         /* last body byte consumed (for line starts) */
        char pend[16];     /* bytes that may begin a terminator */
        size_t npend;
        bool pend_bol;     /* pending began at the beginning of a line */
};

static const struct {
        const char *name;
        lr_cmd_type_t type;
} tags[] = {
        { "<open", LR_CMD_OPEN },
        { "<write", LR_CMD_WRITE },
        { "<exec", LR_CMD_EXEC },
};

/* What may follow '>' and blanks to close a single-line exec. */
static const char *const tag_starts[] = { "<open ",  "<open\t",  "<write ", "<write\t",
                                          "<exec ",  "<exec\t",  "<exec>" };

lr_scanner_t *lr_scanner_new(const lr_scanner_limits_t *limits, lr_scanner_emit_fn emit,
                             void *userdata)
{
        lr_scanner_t *s = lr_xcalloc(1, sizeof *s);
        if (limits)
                s->lim = *limits;
        if (!s->lim.max_arg)
                s->lim.max_arg = DEFAULT_MAX_ARG;
        if (!s->lim.max_write)
                s->lim.max_write = DEFAULT_MAX_BODY;
        if (!s->lim.max_stdin)
                s->lim.max_stdin = DEFAULT_MAX_BODY;
        s->emit = emit;
        s->userdata = userdata;
        s->line = 1;
        s->state = S_TEXT;
        lr_buf_init(&s->arg, 0);
        lr_buf_init(&s->content, 0);
        return s;
}

void lr_scanner_free(lr_scanner_t *s)
{
        if (!s)
                return;
        lr_buf_free(&s->arg);
        lr_buf_free(&s->content);
        free(s);
}

/* ---- emitting ---- */

static int emit_error(lr_scanner_t *s, lr_cmd_type_t intended, lr_code_t code, const char *arg,
                      size_t arg_len, uint64_t size, const char *fmt, ...)
        __attribute__((format(printf, 7, 8)));

static int emit_error(lr_scanner_t *s, lr_cmd_type_t intended, lr_code_t code, const char *arg,
                      size_t arg_len, uint64_t size, const char *fmt, ...)
{
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        lr_cmd_t c = {
                .type = LR_CMD_ERROR,
                .intended = intended,
                .arg = arg ? arg : "",
                .arg_len = arg ? arg_len : 0,
                .content_len = size,
                .code = code,
                .message = msg,
                .line = s->tag_line,
        };
        return s->emit(&c, s->userdata);
}

static const char *kind_name(lr_cmd_type_t t)
{
        return t == LR_CMD_OPEN ? "open" : t == LR_CMD_WRITE ? "write" : "exec";
}

/* Trim spaces and tabs; returns the start, sets *len. */
static const char *trim(const char *p, size_t *len)
{
        size_t n = *len;
        while (n && (*p == ' ' || *p == '\t')) {
                p++;
                n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
                n--;
        *len = n;
        return p;
}

/* Validate s->arg[0:len] as a path or command and NUL-terminate a copy in
 * place.  Returns the trimmed start or NULL after emitting an error (with
 * *ret set to the callback's value). */
static char *finish_arg(lr_scanner_t *s, size_t len, int *ret)
{
        lr_buf_cstr(&s->arg);
        const char *what = s->kind == LR_CMD_EXEC ? "command" : "path";
        if (s->arg_long) {
                *ret = emit_error(s, s->kind, LR_E_PARSE, NULL, 0, 0,
                                  "<%s> %s too long (max %zu bytes)", kind_name(s->kind), what,
                                  s->lim.max_arg);
                return NULL;
        }
        size_t n = len;
        const char *p = trim(s->arg.data, &n);
        if (s->arg_nul || memchr(p, '\0', n)) {
                *ret = emit_error(s, s->kind, LR_E_PARSE, NULL, 0, 0,
                                  "<%s> %s contains a NUL byte", kind_name(s->kind), what);
                return NULL;
        }
        if (n == 0) {
                *ret = emit_error(s, s->kind, LR_E_PARSE, NULL, 0, 0, "<%s> with an empty %s",
                                  kind_name(s->kind), what);
                return NULL;
        }
        char *start = s->arg.data + (p - s->arg.data);
        start[n] = '\0';
        return start;
}

static void reset_arg(lr_scanner_t *s)
{
        lr_buf_reset(&s->arg);
        s->arg_nul = s->arg_long = false;
}

static void arg_putc(lr_scanner_t *s, char c)
{
        if (c == '\0')
                s->arg_nul = true;
        if (s->arg.len >= s->lim.max_arg) {
                s->arg_long = true;
                return;
        }
        lr_buf_putc(&s->arg, c);
}

static int emit_simple(lr_scanner_t *s, lr_cmd_type_t type, size_t len)
{
        int r = 0;
        char *a = finish_arg(s, len, &r);
        if (!a)
                return r;
        lr_cmd_t c = { .type = type, .arg = a, .arg_len = strlen(a), .line = s->tag_line };
        return s->emit(&c, s->userdata);
}

/* ---- bodies ---- */

static size_t body_cap(const lr_scanner_t *s)
{
        return s->kind == LR_CMD_WRITE ? s->lim.max_write : s->lim.max_stdin;
}

static void body_putc(lr_scanner_t *s, char c)
{
        s->total++;
        s->last = c;
        if (s->content.len < body_cap(s))
                lr_buf_putc(&s->content, c);
}

/* Fast path for a run of body bytes that cannot start a terminator (no
 * '<' among them): one bounded append instead of a step per byte. */
static void body_bulk(lr_scanner_t *s, const char *p, size_t n)
{
        s->total += n;
        s->last = p[n - 1];
        size_t cap = body_cap(s);
        if (s->content.len < cap)
                lr_buf_append(&s->content, p, n < cap - s->content.len ? n : cap - s->content.len);
}

static void begin_body(lr_scanner_t *s)
{
        lr_buf_reset(&s->content);
        s->total = 0;
        s->split = 0;
        s->in_stdin = false;
        s->last = '\n'; /* the body starts at the beginning of a line */
        s->npend = 0;
        s->state = S_BODY_START;
}

static int finish_write(lr_scanner_t *s)
{
        int r = 0;
        char *path = finish_arg(s, s->arg.len, &r);
        if (!path)
                return r;
        if (s->total > s->lim.max_write)
                return emit_error(s, LR_CMD_WRITE, LR_E_RESOURCE_LIMIT, path, strlen(path),
                                  s->total, "content too large (%llu bytes, max %zu)",
                                  (unsigned long long)s->total, s->lim.max_write);
        lr_cmd_t c = { .type = LR_CMD_WRITE,
                       .arg = path,
                       .arg_len = strlen(path),
                       .content = lr_buf_cstr(&s->content),
                       .content_len = s->content.len,
                       .line = s->tag_line };
        return s->emit(&c, s->userdata);
}

static int finish_exec_block(lr_scanner_t *s)
{
        if (s->total > s->lim.max_stdin)
                return emit_error(s, LR_CMD_EXEC, LR_E_RESOURCE_LIMIT, NULL, 0, s->total,
                                  "<exec> block too large (%llu bytes, max %zu)",
                                  (unsigned long long)s->total, s->lim.max_stdin);
        size_t slen = s->in_stdin ? s->split : s->content.len;
        char *data = lr_buf_cstr(&s->content);
        /* The script is a shell script: its final newline is not part of the
         * command, and the line before <stdin> ends in the separator. */
        size_t n = slen;
        if (n && data[n - 1] == '\n')
                n--;
        if (n && data[n - 1] == '\r')
                n--;
        const char *what = "<exec> block";
        size_t tn = n;
        const char *t = trim(data, &tn);
        bool blank = true;
        for (size_t i = 0; i < tn; i++)
                if (t[i] != '\n' && t[i] != '\r')
                        blank = false;
        if (blank)
                return emit_error(s, LR_CMD_EXEC, LR_E_PARSE, NULL, 0, 0, "%s with an empty script",
                                  what);
        if (memchr(data, '\0', n))
                return emit_error(s, LR_CMD_EXEC, LR_E_PARSE, NULL, 0, 0,
                                  "%s script contains a NUL byte", what);
        char *script = lr_xstrndup(data, n);
        lr_cmd_t c = { .type = LR_CMD_EXEC,
                       .arg = script,
                       .arg_len = n,
                       .content = s->in_stdin ? data + s->split : NULL,
                       .content_len = s->in_stdin ? s->content.len - s->split : 0,
                       .has_stdin = s->in_stdin,
                       .line = s->tag_line };
        int r = s->emit(&c, s->userdata);
        free(script);
        return r;
}

/* Is pend[0:npend] a prefix of (or equal to) terminator t?  2 = equal. */
static int pend_match(const lr_scanner_t *s, const char *t)
{
        size_t tl = strlen(t);
        if (s->npend > tl || memcmp(s->pend, t, s->npend) != 0)
                return 0;
        return s->npend == tl ? 2 : 1;
}

/* Feed one body byte.  Returns 1 when the body ended (and was emitted, with
 * *ret holding the callback's value), 0 otherwise. */
static int body_byte(lr_scanner_t *s, char c, int *ret)
{
        if (s->npend == 0)
                s->pend_bol = s->last == '\n';
        s->pend[s->npend++] = c;
        for (;;) {
                bool exec = s->kind == LR_CMD_EXEC;
                const char *end = exec ? "</exec>" : "</write>";
                int m = pend_match(s, end);
                if (m == 2) {
                        s->npend = 0;
                        s->state = S_TEXT;
                        *ret = exec ? finish_exec_block(s) : finish_write(s);
                        return 1;
                }
                bool want = m == 1;
                if (exec && !s->in_stdin && s->pend_bol) {
                        int a = pend_match(s, "<stdin>\n"), b = pend_match(s, "<stdin>\r\n");
                        if (a == 2 || b == 2) {
                                s->npend = 0;
                                s->split = s->content.len;
                                s->in_stdin = true;
                                s->last = '\n';
                                return 0;
                        }
                        want |= a == 1 || b == 1;
                }
                if (want)
                        return 0;
                /* pend[0] is plain content; retry the rest. */
                body_putc(s, s->pend[0]);
                memmove(s->pend, s->pend + 1, --s->npend);
                if (s->npend == 0)
                        return 0;
                s->pend_bol = s->last == '\n';
        }
}

/* ---- the state machine ---- */

static int step(lr_scanner_t *s, char c);

#define NO_GT SIZE_MAX

/* A PARSE_ERROR for the command being scanned that shows the argument seen
 * so far (trimmed), so the model can tell which command was malformed. */
static int arg_error(lr_scanner_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int arg_error(lr_scanner_t *s, const char *fmt, ...)
{
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        size_t n = s->arg.len;
        const char *p = trim(lr_buf_cstr(&s->arg), &n);
        return emit_error(s, s->kind, LR_E_PARSE, p, n, 0, "%s", msg);
}

/* The end of a line (or of the input) inside a single-line exec whose
 * closing '>' was not found by the strict rule: like the Go tool, the last
 * '>' on the line closes the command and the rest of the line is prose
 * ("Run <exec ls> to see.", "`<exec ls>`").  With no '>' at all, it is a
 * PARSE_ERROR that names what was seen. */
static int end_exec_line(lr_scanner_t *s, bool at_eof)
{
        s->state = S_TEXT;
        if (s->cmd_end != NO_GT)
                return emit_simple(s, LR_CMD_EXEC, s->cmd_end);
        return arg_error(s,
                         "unterminated <exec> tag: no '>' before the end of the %s (use the "
                         "<exec>...</exec> block for multi-line commands)",
                         at_eof ? "input" : "line");
}

static int start_tag(lr_scanner_t *s)
{
        s->state = S_TAG;
        s->tag[0] = '<';
        s->ntag = 1;
        s->tag_line = s->line;
        return 0;
}

static int step_tag(lr_scanner_t *s, char c)
{
        for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
                size_t nl = strlen(tags[i].name);
                if (s->ntag == nl && memcmp(s->tag, tags[i].name, nl) == 0) {
                        s->kind = tags[i].type;
                        reset_arg(s);
                        if (c == ' ' || c == '\t') {
                                s->state = tags[i].type == LR_CMD_EXEC ? S_EXEC_ARG : S_PATH;
                                s->cmd_end = NO_GT;
                                return 0;
                        }
                        if (c == '>' && tags[i].type == LR_CMD_EXEC) {
                                begin_body(s);
                                return 0;
                        }
                }
        }
        if (s->ntag < sizeof s->tag) {
                s->tag[s->ntag] = c;
                for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
                        if (strlen(tags[i].name) > s->ntag &&
                            memcmp(s->tag, tags[i].name, s->ntag + 1) == 0) {
                                s->ntag++;
                                return 0;
                        }
        }
        /* Not a tag: plain text.  A '<' may start the real one. */
        s->state = S_TEXT;
        return c == '<' ? start_tag(s) : 0;
}

static int step_exec_lt(lr_scanner_t *s, char c)
{
        s->look[s->nlook++] = c;
        bool prefix = false;
        for (size_t i = 0; i < ARRAY_SIZE(tag_starts); i++) {
                size_t tl = strlen(tag_starts[i]);
                if (s->nlook <= tl && memcmp(s->look, tag_starts[i], s->nlook) == 0) {
                        if (s->nlook == tl) {
                                /* '>' + blanks + a tag: the exec ends at '>'. */
                                char look[sizeof s->look];
                                size_t nlook = s->nlook;
                                memcpy(look, s->look, nlook);
                                uint64_t line = s->tag_line;
                                s->state = S_TEXT;
                                int r = emit_simple(s, LR_CMD_EXEC, s->cmd_end);
                                if (r)
                                        return r;
                                s->tag_line = line;
                                for (size_t k = 0; k < nlook; k++) {
                                        r = step(s, look[k]);
                                        if (r)
                                                return r;
                                }
                                return 0;
                        }
                        prefix = true;
                }
        }
        if (prefix)
                return 0;
        /* Not a tag: those bytes belong to the command. */
        for (size_t k = 0; k + 1 < s->nlook; k++)
                arg_putc(s, s->look[k]);
        s->state = S_EXEC_ARG;
        return step(s, c);
}

static int step(lr_scanner_t *s, char c)
{
        int r = 0;
        switch (s->state) {
        case S_TEXT:
                if (c == '<')
                        return start_tag(s);
                return 0;
        case S_TAG:
                return step_tag(s, c);
        case S_PATH:
                if (c == '>') {
                        if (s->kind == LR_CMD_OPEN) {
                                s->state = S_TEXT;
                                return emit_simple(s, LR_CMD_OPEN, s->arg.len);
                        }
                        begin_body(s);
                        return 0;
                }
                if (c == '\n') {
                        s->state = S_TEXT;
                        return arg_error(s, "unterminated <%s> tag: no '>' before the end of the line",
                                         kind_name(s->kind));
                }
                arg_putc(s, c);
                return 0;
        case S_EXEC_ARG:
                if (c == '\n')
                        return end_exec_line(s, false);
                if (c == '>') {
                        s->cmd_end = s->arg.len;
                        s->state = S_EXEC_GT;
                }
                arg_putc(s, c);
                return 0;
        case S_EXEC_GT:
                if (c == ' ' || c == '\t' || c == '\r') {
                        arg_putc(s, c);
                        return 0;
                }
                if (c == '\n') {
                        s->state = S_TEXT;
                        return emit_simple(s, LR_CMD_EXEC, s->cmd_end);
                }
                if (c == '<') {
                        s->look[0] = '<';
                        s->nlook = 1;
                        s->state = S_EXEC_LT;
                        return 0;
                }
                s->state = S_EXEC_ARG;
                return step(s, c);
        case S_EXEC_LT:
                return step_exec_lt(s, c);
        case S_BODY_START:
                if (c == '\n') {
                        s->state = S_BODY;
                        return 0;
                }
                if (c == '\r') {
                        s->state = S_BODY_START_CR;
                        return 0;
                }
                s->state = S_BODY;
                body_byte(s, c, &r);
                return r;
        case S_BODY_START_CR:
                s->state = S_BODY;
                if (c == '\n')
                        return 0;
                /* a lone '\r' is content */
                if (body_byte(s, '\r', &r))
                        return r;
                body_byte(s, c, &r);
                return r;
        case S_BODY:
                body_byte(s, c, &r);
                return r;
        }
        return 0;
}

static uint64_t count_newlines(const char *p, size_t n)
{
        uint64_t c = 0;
        const char *end = p + n;
        while ((p = memchr(p, '\n', (size_t)(end - p)))) {
                c++;
                p++;
        }
        return c;
}

int lr_scanner_feed(lr_scanner_t *s, const char *data, size_t len)
{
        size_t i = 0;
        while (i < len) {
                /* Plain text and body content only matter at a '<': skip to
                 * the next one in bulk (scanning 1 MiB writes byte by byte
                 * through the state machine cost ~20 ms). */
                if ((s->state == S_TEXT || (s->state == S_BODY && s->npend == 0))) {
                        const char *lt = memchr(data + i, '<', len - i);
                        size_t n = (lt ? (size_t)(lt - data) : len) - i;
                        if (n > 0) {
                                if (s->state == S_BODY)
                                        body_bulk(s, data + i, n);
                                s->line += count_newlines(data + i, n);
                                i += n;
                                continue;
                        }
                }
                int r = step(s, data[i]);
                if (data[i] == '\n')
                        s->line++;
                i++;
                if (r)
                        return r;
        }
        return 0;
}

int lr_scanner_finish(lr_scanner_t *s)
{
        state_t st = s->state;
        s->state = S_TEXT;
        switch (st) {
        case S_TEXT:
        case S_TAG:
                return 0;
        case S_EXEC_GT:
                return emit_simple(s, LR_CMD_EXEC, s->cmd_end);
        case S_EXEC_ARG:
        case S_EXEC_LT:
                return end_exec_line(s, true);
        case S_PATH:
                return arg_error(s, "unterminated <%s> tag at the end of the input",
                                 kind_name(s->kind));
        case S_BODY_START:
        case S_BODY_START_CR:
        case S_BODY:
                if (s->kind == LR_CMD_WRITE)
                        return arg_error(s, "unterminated <write>: no </write> before the end of "
                                            "the input; nothing was written");
                return emit_error(s, LR_CMD_EXEC, LR_E_PARSE, NULL, 0, 0,
                                  "unterminated <exec> block: no </exec> before the end of the "
                                  "input; nothing was run");
        }
        return 0;
}
