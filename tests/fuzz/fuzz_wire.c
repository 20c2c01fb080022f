/* libFuzzer target: the frame decoder the host runs on everything the
 * agent sends.  Invariants: no crash, no out-of-bounds read, and every
 * decoded field lies inside the input.  Also the directory-entry decoder
 * (walk replies). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Let the fuzzer produce a valid header for any payload half the
         * time, so it gets past the length check and exercises fields. */
        char *frame = malloc(size + 8);
        if (!frame)
                return 0;
        size_t len = size;
        memcpy(frame, data, size);
        if (size >= 8 && (data[0] & 1)) {
                uint32_t plen = (uint32_t)(size - 8);
                frame[0] = (char)plen;
                frame[1] = (char)(plen >> 8);
                frame[2] = (char)(plen >> 16);
                frame[3] = (char)(plen >> 24);
                frame[6] = LR_WIRE_VERSION;
                frame[7] = 0;
        }
        lr_msg_view_t v;
        lr_error_t err;
        if (lr_wire_decode(frame, len, &v, &err) == 0) {
                for (int t = 0; t < LR_T_MAX_TAG_; t++) {
                        if (!v.f[t].present)
                                continue;
                        if (v.f[t].data < frame || v.f[t].data + v.f[t].len > frame + len)
                                abort();
                        uint64_t x;
                        (void)lr_wire_get_u64(&v, (lr_tag_t)t, &x, NULL);
                        char *s = NULL;
                        if (lr_wire_get_str(&v, (lr_tag_t)t, &s, NULL) == 0) {
                                if (strlen(s) != v.f[t].len)
                                        abort();
                                free(s);
                        }
                }
        }
        /* The walk-entry decoder, on the raw input: every name it yields
         * lies inside the input. */
        size_t off = 0;
        lr_entry_t e;
        while (lr_entry_next((const char *)data, size, &off, &e, NULL) == 1)
                if (e.name < (const char *)data || e.name + e.name_len > (const char *)data + size ||
                    off > size)
                        abort();
        free(frame);
        return 0;
}
