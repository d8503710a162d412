/* The floor for the FFI benchmark: virDomainGetInfo called from C in a tight loop.
 * Usage: ffi-bench-getinfo URI DOMAIN CALLS   -> prints nanoseconds per call */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libvirt/libvirt.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s URI DOMAIN CALLS\n", argv[0]);
        return 2;
    }
    long calls = strtol(argv[3], NULL, 10);
    virConnectPtr conn = virConnectOpen(argv[1]);
    if (!conn) return 1;
    virDomainPtr dom = virDomainLookupByName(conn, argv[2]);
    if (!dom) return 1;
    virDomainInfo info;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < calls; i++) {
        if (virDomainGetInfo(dom, &info) < 0) return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)calls;
    printf("%.1f\n", ns);
    virDomainFree(dom);
    virConnectClose(conn);
    return 0;
}
