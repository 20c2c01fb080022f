#include "channel/wire.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void put_le32(char *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (char)(v >> (8 * i));
}

static void put_le16(char *p, uint16_t v)
{
        p[0] = (char)v;
        p[1] = (char)(v >> 8);
}

static uint32_t get_le32(const char *p)
{
        const unsigned char *u = (const unsigned char *)p;
        return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static uint16_t get_le16(const char *p)
{
        const unsigned char *u = (const unsigned char *)p;
        return (uint16_t)(u[0] | u[1] << 8);
}

void lr_wire_begin(lr_buf_t *b, lr_msg_t type)
{
        char hdr[LR_WIRE_HDR];
        lr_buf_reset(b);
        b->cap = SIZE_MAX; /* the sender's own data; bounded by the frame ceiling at send */
        put_le32(hdr, 0);
        put_le16(hdr + 4, (uint16_t)type);
        put_le16(hdr + 6, LR_WIRE_VERSION);
        lr_buf_append(b, hdr, sizeof hdr);
}

void lr_wire_put(lr_buf_t *b, lr_tag_t tag, const void *data, size_t len)
{
        char fh[6];
        if (len > UINT32_MAX)
                len = UINT32_MAX; /* lr_wire_send rejects the frame as too large */
        put_le16(fh, (uint16_t)tag);
        put_le32(fh + 2, (uint32_t)len);
        lr_buf_append(b, fh, sizeof fh);
        lr_buf_append(b, data, len);
}

void lr_wire_put_str(lr_buf_t *b, lr_tag_t tag, const char *s)
{
        lr_wire_put(b, tag, s, strlen(s));
}

void lr_wire_put_u64(lr_buf_t *b, lr_tag_t tag, uint64_t v)
{
        char d[8];
        for (int i = 0; i < 8; i++)
                d[i] = (char)(v >> (8 * i));
        lr_wire_put(b, tag, d, sizeof d);
}

int lr_wire_send(int fd, lr_buf_t *b, lr_error_t *err)
{
        if (b->len < LR_WIRE_HDR || b->len - LR_WIRE_HDR > LR_WIRE_MAX_FRAME)
                return lr_error_set(err, LR_E_RESOURCE_LIMIT, 0,
                                    "message too large for the channel (%zu bytes, max %u)",
                                    b->len, LR_WIRE_MAX_FRAME);
        put_le32(b->data, (uint32_t)(b->len - LR_WIRE_HDR));
        if (lr_write_full(fd, b->data, b->len) < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "channel write failed: %s", strerror(errno));
        return 0;
}

int lr_wire_decode(const char *frame, size_t len, lr_msg_view_t *view, lr_error_t *err)
{
        memset(view, 0, sizeof *view);
        if (len < LR_WIRE_HDR)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "short frame header");
        uint32_t plen = get_le32(frame);
        if ((size_t)plen != len - LR_WIRE_HDR)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "frame length mismatch");
        if (get_le16(frame + 6) != LR_WIRE_VERSION)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "unsupported wire version %u",
                                    get_le16(frame + 6));
        view->type = (lr_msg_t)get_le16(frame + 4);

        const char *p = frame + LR_WIRE_HDR;
        size_t left = plen;
        while (left > 0) {
                if (left < 6)
                        return lr_error_set(err, LR_E_PROTOCOL, 0, "truncated field header");
                uint16_t tag = get_le16(p);
                uint32_t flen = get_le32(p + 2);
                p += 6;
                left -= 6;
                if (flen > left)
                        return lr_error_set(err, LR_E_PROTOCOL, 0,
                                            "field %u overruns the frame", tag);
                if (tag == 0 || tag >= LR_T_MAX_TAG_)
                        return lr_error_set(err, LR_E_PROTOCOL, 0, "unknown field tag %u", tag);
                if (view->f[tag].present)
                        return lr_error_set(err, LR_E_PROTOCOL, 0, "duplicate field tag %u", tag);
                view->f[tag] = (lr_field_t){ .present = true, .data = p, .len = flen };
                p += flen;
                left -= flen;
        }
        return 0;
}

int lr_wire_recv(int fd, size_t max_payload, lr_buf_t *b, lr_msg_view_t *view, lr_error_t *err)
{
        char hdr[LR_WIRE_HDR];
        if (max_payload > LR_WIRE_MAX_FRAME)
                max_payload = LR_WIRE_MAX_FRAME;

        ssize_t n = lr_read_full(fd, hdr, sizeof hdr);
        if (n < 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                    "channel read failed: %s", strerror(errno));
        if (n == 0)
                return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, EPIPE,
                                    "the sandbox closed the channel");
        if ((size_t)n < sizeof hdr)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "channel closed inside a frame header");
        uint32_t plen = get_le32(hdr);
        if (plen > max_payload)
                return lr_error_set(err, LR_E_PROTOCOL, 0,
                                    "frame too large (%u bytes, max %zu)", plen, max_payload);

        lr_buf_reset(b);
        b->cap = SIZE_MAX;
        lr_buf_append(b, hdr, sizeof hdr);
        /* Grow to the announced size first: plen is bounded above. */
        if (plen > 0) {
                if (b->alloc < LR_WIRE_HDR + (size_t)plen + 1) {
                        b->data = lr_xrealloc(b->data, LR_WIRE_HDR + (size_t)plen + 1);
                        b->alloc = LR_WIRE_HDR + (size_t)plen + 1;
                }
                n = lr_read_full(fd, b->data + LR_WIRE_HDR, plen);
                if (n < 0)
                        return lr_error_set(err, LR_E_SANDBOX_UNAVAILABLE, errno,
                                            "channel read failed: %s", strerror(errno));
                if ((size_t)n < plen)
                        return lr_error_set(err, LR_E_PROTOCOL, 0,
                                            "channel closed inside a frame (%zd of %u bytes)", n,
                                            plen);
                b->len = LR_WIRE_HDR + plen;
                b->data[b->len] = '\0';
        }
        return lr_wire_decode(b->data, b->len, view, err);
}

int lr_wire_get_u64(const lr_msg_view_t *v, lr_tag_t tag, uint64_t *ret, lr_error_t *err)
{
        const lr_field_t *f = &v->f[tag];
        if (!f->present || f->len != 8)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "field %d missing or not 8 bytes",
                                    (int)tag);
        uint64_t x = 0;
        const unsigned char *u = (const unsigned char *)f->data;
        for (int i = 7; i >= 0; i--)
                x = x << 8 | u[i];
        *ret = x;
        return 0;
}

uint64_t lr_wire_u64_or(const lr_msg_view_t *v, lr_tag_t tag, uint64_t dflt)
{
        uint64_t x = 0;
        if (!v->f[tag].present || lr_wire_get_u64(v, tag, &x, NULL) < 0)
                return dflt;
        return x;
}

int lr_wire_get_str(const lr_msg_view_t *v, lr_tag_t tag, char **ret, lr_error_t *err)
{
        const lr_field_t *f = &v->f[tag];
        if (!f->present)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "field %d missing", (int)tag);
        if (memchr(f->data, '\0', f->len))
                return lr_error_set(err, LR_E_PROTOCOL, 0, "field %d contains a NUL byte",
                                    (int)tag);
        *ret = lr_xstrndup(f->data, f->len);
        return 0;
}

static void put_le64(char *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (char)(v >> (8 * i));
}

static uint64_t get_le64(const char *p)
{
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
                v = v << 8 | (unsigned char)p[i];
        return v;
}

void lr_entry_put(lr_buf_t *b, const lr_entry_t *e)
{
        char h[LR_ENTRY_FIXED];
        h[0] = e->type;
        put_le32(h + 1, e->mode);
        put_le32(h + 5, e->uid);
        put_le32(h + 9, e->gid);
        put_le64(h + 13, e->size);
        put_le64(h + 21, (uint64_t)e->mtime);
        put_le64(h + 29, (uint64_t)e->atime);
        put_le64(h + 37, (uint64_t)e->btime);
        put_le16(h + 45, e->name_len);
        lr_buf_append(b, h, sizeof h);
        lr_buf_append(b, e->name, e->name_len);
}

int lr_entry_next(const char *data, size_t len, size_t *off, lr_entry_t *e, lr_error_t *err)
{
        if (*off == len)
                return 0;
        if (*off > len || len - *off < LR_ENTRY_FIXED)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "truncated directory entry");
        const char *h = data + *off;
        e->type = h[0];
        if (e->type != 'f' && e->type != 'd' && e->type != 'l' && e->type != 'o')
                return lr_error_set(err, LR_E_PROTOCOL, 0, "bad directory entry type");
        e->mode = get_le32(h + 1);
        e->uid = get_le32(h + 5);
        e->gid = get_le32(h + 9);
        e->size = get_le64(h + 13);
        e->mtime = (int64_t)get_le64(h + 21);
        e->atime = (int64_t)get_le64(h + 29);
        e->btime = (int64_t)get_le64(h + 37);
        e->name_len = get_le16(h + 45);
        if (e->name_len > LR_ENTRY_MAX_NAME || len - *off - LR_ENTRY_FIXED < e->name_len)
                return lr_error_set(err, LR_E_PROTOCOL, 0, "bad directory entry name length");
        e->name = h + LR_ENTRY_FIXED;
        if (memchr(e->name, '\0', e->name_len))
                return lr_error_set(err, LR_E_PROTOCOL, 0, "NUL byte in directory entry name");
        *off += LR_ENTRY_FIXED + e->name_len;
        return 1;
}
