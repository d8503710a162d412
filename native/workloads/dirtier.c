/*
 * Memory-dirtying workload: sweeps a working set of --wss-mb MiB page by page, rewriting each
 * whole page, at --rate-mbps MiB/s (0 = as fast as it can). Live migration has to re-send every
 * page written after it was copied, so this sets a guest's dirty rate. Every page carries a
 * stamp of the sweep that last wrote it; at the end each page is checked against the stamp the
 * sweep count says it must have.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define MIB (1024.0 * 1024.0)

static void write_page(uint64_t *page, size_t words, uint64_t stamp)
{
    for (size_t i = 0; i < words; i++) page[i] = stamp ^ (uint64_t)i;
}

static void sleep_until(double when)
{
    double now = wl_now();
    if (when <= now) return;
    double dt = when - now;
    struct timespec ts = {(time_t)dt, (long)((dt - (double)(time_t)dt) * 1e9)};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    double wss_mb = 64, rate = 0;
    struct wl_opt opts[] = {
        {"--wss-mb", "working set in MiB", 1, 1048576, 1, &wss_mb},
        {"--rate-mbps", "dirty rate in MiB/s, 0 = unthrottled", 0, 1e6, 0, &rate},
    };
    struct wl_common c;
    wl_parse_args(argc, argv, "dirtier", 5.0, opts, 2, &c);

    const size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = (size_t)wss_mb * 1024 * 1024, pages = bytes / page_size, words = page_size / sizeof(uint64_t);
    unsigned char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        fprintf(stderr, "dirtier: cannot map %zu bytes\n", bytes);
        return EXIT_VERIFY_FAILED;
    }
    /* Sweep 0 faults every page in before the clock starts, so the rate measures rewrites only. */
    for (size_t pg = 0; pg < pages; pg++) write_page((uint64_t *)(mem + pg * page_size), words, (uint64_t)pg << 20);

    /* Rate control: after each chunk, sleep until the time at which that many bytes are due. */
    const size_t chunk_pages = (64 * 1024) / page_size ? (64 * 1024) / page_size : 1;
    unsigned long long written = 0; /* pages written since the clock started */
    size_t pos = 0;
    double start = wl_now(), elapsed = 0;
    for (;;) {
        if (c.iterations > 0 ? written >= (unsigned long long)c.iterations * pages : elapsed >= c.seconds) break;
        for (size_t i = 0; i < chunk_pages; i++) {
            uint64_t sweep = 1 + written / pages;
            /* The self-test stamps page 0 with the wrong sweep each time, as a miscounted sweep would. */
            if (c.corrupt && pos == 0) sweep++;
            write_page((uint64_t *)(mem + pos * page_size), words, ((uint64_t)pos << 20) | sweep);
            written++;
            if (++pos == pages) pos = 0;
            if (c.iterations > 0 && written >= (unsigned long long)c.iterations * pages) break;
        }
        if (rate > 0) sleep_until(start + (double)written * (double)page_size / (rate * MIB));
        elapsed = wl_now() - start;
        wl_progress(&c, "dirtier", c.iterations > 0 ? (double)written / ((double)c.iterations * pages) : elapsed / c.seconds,
                    "mib=%.1f rate=%.1f", (double)written * page_size / MIB,
                    elapsed > 0 ? (double)written * page_size / MIB / elapsed : 0);
    }
    elapsed = wl_now() - start;

    /* Page p was last written in sweep (written - 1 - p) / pages + 1 if written > p, else sweep 0. */
    int ok = 1;
    size_t bad = 0;
    for (size_t pg = 0; pg < pages; pg++) {
        uint64_t sweep = written > pg ? (written - 1 - pg) / pages + 1 : 0;
        uint64_t stamp = ((uint64_t)pg << 20) | sweep;
        const uint64_t *page = (const uint64_t *)(mem + pg * page_size);
        for (size_t i = 0; i < words; i++)
            if (page[i] != (stamp ^ (uint64_t)i)) {
                bad++;
                break;
            }
    }
    if (bad) {
        ok = 0;
        fprintf(stderr, "dirtier: verification failed: %zu pages do not hold their last stamp\n", bad);
    }
    double achieved = elapsed > 0 ? (double)written * (double)page_size / MIB / elapsed : 0;
    wl_json_begin("dirtier", achieved, "MiB/s", elapsed, ok);
    wl_json_num("wss_mb", wss_mb);
    wl_json_num("target_rate_mbps", rate);
    wl_json_int("page_size", (long)page_size);
    wl_json_num("pages_written", (double)written);
    wl_json_num("sweeps", (double)written / (double)pages);
    wl_json_num("cpu_seconds", wl_cpu_seconds());
    wl_json_end();
    munmap(mem, bytes);
    return ok ? 0 : EXIT_VERIFY_FAILED;
}
