/* Domain events and stream data without JavaScript callbacks on libvirt's threads. libvirt calls these C
 * callbacks from the thread running virEventRunDefaultImpl(); they queue a copy of each event
 * (connection, domain name, numbers, wall-clock time) and the main thread drains the queue after
 * each loop iteration. A JS callback called from another thread makes ffi-napi uv_ref() its
 * async handle from that thread, which races with the main loop's own bookkeeping and sometimes
 * leaves the handle referenced, so the process never exits. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

struct virtmig_event {
    struct virtmig_event *next;
    uint64_t conn; /* the connection, or for kinds 2 and 3 the stream */
    /* 0 lifecycle (a = event, b = detail), 1 migration iteration (a = iteration), 2 stream data
     * (name = the bytes), 3 stream end (a = 0 end of data, -1 error; b = virErrorNumber; name =
     * libvirt's message) */
    int32_t kind;
    int32_t a;
    int32_t b;
    double at_ms;
    uint32_t name_len;
    char name[];
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtmig_event *head;
static struct virtmig_event *tail;

static void push_raw(uint64_t key, int kind, int a, int b, const char *bytes, size_t len)
{
    struct virtmig_event *e = malloc(sizeof(*e) + len);
    if (!e) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->next = NULL;
    e->conn = key;
    e->kind = kind;
    e->a = a;
    e->b = b;
    e->at_ms = (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
    e->name_len = (uint32_t)len;
    if (len) memcpy(e->name, bytes, len);
    pthread_mutex_lock(&queue_lock);
    if (tail) tail->next = e;
    else head = e;
    tail = e;
    pthread_mutex_unlock(&queue_lock);
}

static void push(virConnectPtr conn, virDomainPtr dom, int kind, int a, int b)
{
    const char *name = virDomainGetName(dom);
    push_raw((uint64_t)(uintptr_t)conn, kind, a, b, name, name ? strlen(name) : 0);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    (void)opaque;
    push(conn, dom, 0, event, detail);
    return 0;
}

static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
    (void)opaque;
    push(conn, dom, 1, iteration, 0);
}

/* A chunk is at most this many bytes, so one always fits the drain buffer (64 KiB in JS). */
#define STREAM_CHUNK 16384
#define STREAM_MESSAGE_MAX 1024

/* A non-blocking stream became readable (or hung up): read what is there into the queue, with the
 * time it arrived. At its end (or an error) the callback removes itself: nothing more can come. */
static void on_stream(virStreamPtr st, int events, void *opaque)
{
    (void)opaque;
    uint64_t key = (uint64_t)(uintptr_t)st;
    char buf[STREAM_CHUNK];
    for (;;) {
        int n = virStreamRecv(st, buf, sizeof buf);
        if (n > 0) {
            push_raw(key, 2, n, 0, buf, (size_t)n);
            continue;
        }
        if (n == -2 && !(events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))) return;
        const char *msg = "";
        int code = 0;
        if (n != 0) {
            virErrorPtr err = virGetLastError();
            msg = err && err->message ? err->message : "the stream hung up";
            code = err ? err->code : 0;
        }
        size_t len = strlen(msg);
        push_raw(key, 3, n == 0 ? 0 : -1, code, msg, len > STREAM_MESSAGE_MAX ? STREAM_MESSAGE_MAX : len);
        virStreamEventRemoveCallback(st);
        return;
    }
}

/* The callbacks to pass to virConnectDomainEventRegisterAny and virStreamEventAddCallback. */
void *virtmig_events_lifecycle_cb(void) { return (void *)on_lifecycle; }
void *virtmig_events_iteration_cb(void) { return (void *)on_iteration; }
void *virtmig_events_stream_cb(void) { return (void *)on_stream; }

/* Moves queued events, oldest first, into `out` (at most `cap` bytes) and returns the bytes
 * written; events that do not fit stay queued for the next call. Per event, little-endian:
 * u64 conn, i32 kind, i32 a, i32 b, f64 at_ms, u32 name_len, name bytes. */
long virtmig_events_drain(unsigned char *out, long cap)
{
    long len = 0;
    pthread_mutex_lock(&queue_lock);
    while (head) {
        struct virtmig_event *e = head;
        long need = 8 + 4 * 3 + 8 + 4 + (long)e->name_len;
        if (len + need > cap) break;
        unsigned char *p = out + len;
        memcpy(p, &e->conn, 8);
        memcpy(p + 8, &e->kind, 4);
        memcpy(p + 12, &e->a, 4);
        memcpy(p + 16, &e->b, 4);
        memcpy(p + 20, &e->at_ms, 8);
        memcpy(p + 28, &e->name_len, 4);
        memcpy(p + 32, e->name, e->name_len);
        len += need;
        head = e->next;
        if (!head) tail = NULL;
        free(e);
    }
    pthread_mutex_unlock(&queue_lock);
    return len;
}
