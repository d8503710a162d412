/* Hand-written helpers the generated shim cannot express: they install C callbacks, so that
 * libvirt never has to call back into JavaScript from one of its own threads for these. */
#include <stddef.h>
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
