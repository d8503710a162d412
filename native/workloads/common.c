#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(const char *name, const struct wl_opt *opts, int nopts, const char *why)
{
    fprintf(stderr, "%s: %s\n", name, why);
    fprintf(stderr, "usage: %s [--seconds S | --iterations N] [--progress-ms M]", name);
    for (int i = 0; i < nopts; i++) fprintf(stderr, " [%s X]", opts[i].flag);
    fprintf(stderr, "\n");
    for (int i = 0; i < nopts; i++)
        fprintf(stderr, "  %-14s %s (%g..%g, default %g)\n", opts[i].flag, opts[i].help, opts[i].min,
                opts[i].max, *opts[i].value);
    exit(EXIT_USAGE);
}

static int parse_number(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0') return 0;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

void wl_parse_args(int argc, char **argv, const char *name, double default_seconds,
                   struct wl_opt *opts, int nopts, struct wl_common *out)
{
    char why[256];
    memset(out, 0, sizeof *out);
    int have_seconds = 0, have_iterations = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        if (strcmp(a, "--self-test-corrupt") == 0) {
            out->corrupt = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) usage(name, opts, nopts, "help requested");
        if (i + 1 >= argc) {
            snprintf(why, sizeof why, "unknown or incomplete option %s", a);
            usage(name, opts, nopts, why);
        }
        const char *val = argv[++i];
        if (!parse_number(val, &v)) {
            snprintf(why, sizeof why, "%s needs a number, got '%s'", a, val);
            usage(name, opts, nopts, why);
        }
        if (strcmp(a, "--seconds") == 0) {
            if (!(v > 0 && v <= 1e7)) usage(name, opts, nopts, "--seconds must be in (0, 1e7]");
            out->seconds = v;
            have_seconds = 1;
        } else if (strcmp(a, "--iterations") == 0) {
            if (v < 1 || v > 1e15 || v != floor(v)) usage(name, opts, nopts, "--iterations must be a whole number >= 1");
            out->iterations = (long)v;
            have_iterations = 1;
        } else if (strcmp(a, "--progress-ms") == 0) {
            if (v < 0 || v > 1e9 || v != floor(v)) usage(name, opts, nopts, "--progress-ms must be a whole number >= 0");
            out->progress_ms = (long)v;
        } else {
            int found = 0;
            for (int k = 0; k < nopts; k++) {
                if (strcmp(a, opts[k].flag) != 0) continue;
                if (v < opts[k].min || v > opts[k].max || (opts[k].integer && v != floor(v))) {
                    snprintf(why, sizeof why, "%s must be %s in [%g, %g], got %s", a,
                             opts[k].integer ? "a whole number" : "a number", opts[k].min, opts[k].max, val);
                    usage(name, opts, nopts, why);
                }
                *opts[k].value = v;
                found = 1;
            }
            if (!found) {
                snprintf(why, sizeof why, "unknown option %s", a);
                usage(name, opts, nopts, why);
            }
        }
    }
    if (have_seconds && have_iterations) usage(name, opts, nopts, "give --seconds or --iterations, not both");
    if (!have_seconds && !have_iterations) out->seconds = default_seconds;
}

double wl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double wl_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void wl_progress(const struct wl_common *c, const char *workload, double fraction, const char *fmt, ...)
{
    static double last;
    if (c->progress_ms <= 0) return;
    double now = wl_now();
    if (last != 0 && (now - last) * 1000.0 < (double)c->progress_ms) return;
    last = now;
    fprintf(stderr, "%s: progress", workload);
    if (fraction >= 0) fprintf(stderr, " %.1f%%", fraction * 100.0);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputc(' ', stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
}

static void json_num_value(double v)
{
    /* JSON has no NaN or Infinity; a non-finite figure is reported as null and fails parsing. */
    if (isfinite(v)) printf("%.17g", v);
    else printf("null");
}

void wl_json_begin(const char *workload, double score, const char *unit, double seconds, int verified)
{
    char cpus[1024];
    printf("{\"workload\":\"%s\",\"score\":", workload);
    json_num_value(score);
    printf(",\"unit\":\"%s\",\"seconds\":", unit);
    json_num_value(seconds);
    printf(",\"verified\":%s", verified ? "true" : "false");
    wl_affinity_json(cpus, sizeof cpus);
    wl_json_raw("cpus", cpus);
}

void wl_json_num(const char *key, double v)
{
    printf(",\"%s\":", key);
    json_num_value(v);
}

void wl_json_int(const char *key, long v) { printf(",\"%s\":%ld", key, v); }
void wl_json_str(const char *key, const char *v) { printf(",\"%s\":\"%s\"", key, v); }
void wl_json_bool(const char *key, int v) { printf(",\"%s\":%s", key, v ? "true" : "false"); }
void wl_json_raw(const char *key, const char *json) { printf(",\"%s\":%s", key, json); }

void wl_json_end(void)
{
    printf("}\n");
    fflush(stdout);
}

void wl_affinity_json(char *buf, size_t len)
{
    cpu_set_t set;
    size_t used = 0;
    buf[used++] = '[';
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int first = 1;
        for (int cpu = 0; cpu < CPU_SETSIZE && used + 8 < len; cpu++) {
            if (!CPU_ISSET(cpu, &set)) continue;
            used += (size_t)snprintf(buf + used, len - used, first ? "%d" : ",%d", cpu);
            first = 0;
        }
    }
    buf[used++] = ']';
    buf[used] = '\0';
}
