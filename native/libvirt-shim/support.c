/* Hand-written helpers the generated shim cannot express: they install C callbacks, so that
 * libvirt never has to call back into JavaScript from one of its own threads for these. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static void virtmig_ignore_error(void *userdata, virErrorPtr err)
{
    (void)userdata;
    (void)err;
}

/* libvirt prints every error to stderr unless a handler is set; virtmig reports errors as exceptions. */
void virtmig_silence_errors(void)
{
    virSetErrorFunc(NULL, virtmig_ignore_error);
}

static void virtmig_wakeup(int timer, void *opaque)
{
    (void)timer;
    (void)opaque;
}

/* A periodic no-op timer bounds how long one virEventRunDefaultImpl() iteration can block, so the
 * JS side can stop its event-loop worker promptly. Returns the timer id or -1. */
int virtmig_add_wakeup_timer(int interval_ms)
{
    return virEventAddTimeout(interval_ms, virtmig_wakeup, NULL, NULL);
}

/* Bulk decoding. Reading typed parameters field by field costs several FFI crossings each, which
 * made all-domain stats on 1000 domains slower than python3-libvirt; these pack them into one
 * caller-owned buffer in a single call instead. Layout (little-endian, host order):
 *   params:  u32 count, then per parameter: u8 name_len, name bytes, u8 type, then
 *            8 value bytes (INT/UINT/LLONG/ULLONG/DOUBLE/BOOLEAN as in the union) or, for STRING,
 *            u32 len + bytes.
 *   records: u32 count, then per record: u32 name_len, name bytes, packed params.
 * Each returns the bytes needed; when that exceeds `cap` nothing past `cap` is written and the
 * caller retries with a larger buffer. */
struct virtmig_writer {
    unsigned char *out;
    long cap;
    long len;
};

static void put(struct virtmig_writer *w, const void *src, long n)
{
    if (w->len + n <= w->cap) memcpy(w->out + w->len, src, (size_t)n);
    w->len += n;
}

static void put_u32(struct virtmig_writer *w, uint32_t v) { put(w, &v, 4); }
static void put_u8(struct virtmig_writer *w, uint8_t v) { put(w, &v, 1); }

static void pack_params(struct virtmig_writer *w, virTypedParameterPtr params, int n)
{
    put_u32(w, (uint32_t)(n < 0 ? 0 : n));
    for (int i = 0; i < n; i++) {
        virTypedParameterPtr p = &params[i];
        size_t name_len = strnlen(p->field, VIR_TYPED_PARAM_FIELD_LENGTH);
        put_u8(w, (uint8_t)name_len);
        put(w, p->field, (long)name_len);
        put_u8(w, (uint8_t)p->type);
        if (p->type == VIR_TYPED_PARAM_STRING) {
            uint32_t len = p->value.s ? (uint32_t)strlen(p->value.s) : 0;
            put_u32(w, len);
            if (len) put(w, p->value.s, len);
        } else {
            put(w, &p->value, 8);
        }
    }
}

long virtmig_pack_params(virTypedParameterPtr params, int n, unsigned char *out, long cap)
{
    struct virtmig_writer w = { out, cap, 0 };
    pack_params(&w, params, n);
    return w.len;
}

long virtmig_pack_stats(virDomainStatsRecordPtr *records, int n, unsigned char *out, long cap)
{
    struct virtmig_writer w = { out, cap, 0 };
    put_u32(&w, (uint32_t)(n < 0 ? 0 : n));
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(records[i]->dom);
        uint32_t len = name ? (uint32_t)strlen(name) : 0;
        put_u32(&w, len);
        if (len) put(&w, name, len);
        pack_params(&w, records[i]->params, records[i]->nparams);
    }
    return w.len;
}
