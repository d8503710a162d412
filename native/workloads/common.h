/*
 * Shared command-line handling, timing and JSON output for the virtmig workloads.
 * Every workload accepts the same budget flags and prints exactly one JSON line on stdout.
 */
#ifndef VIRTMIG_COMMON_H
#define VIRTMIG_COMMON_H

#include <stdio.h>

#define EXIT_VERIFY_FAILED 1
#define EXIT_USAGE 2

/* A workload-specific numeric option, e.g. --n for linpack. */
struct wl_opt {
    const char *flag;    /* e.g. "--n" */
    const char *help;
    double min, max;
    int integer;         /* 1: value must be a whole number */
    double *value;       /* holds the default on entry */
};

struct wl_common {
    double seconds;      /* > 0 when the budget is time */
    long iterations;     /* > 0 when the budget is a count */
    long progress_ms;    /* 0 = no progress lines */
    int corrupt;         /* hidden --self-test-corrupt */
};

/* Parses argv; on bad input prints usage to stderr and exits 2. */
void wl_parse_args(int argc, char **argv, const char *name, double default_seconds,
                   struct wl_opt *opts, int nopts, struct wl_common *out);

/* Monotonic seconds. */
double wl_now(void);
/* CPU time of this process in seconds. */
double wl_cpu_seconds(void);

/* True (and prints the line to stderr) when a progress line is due. fraction < 0 means unknown. */
void wl_progress(const struct wl_common *c, const char *workload, double fraction, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * JSON result line, built incrementally: wl_json_begin, any number of wl_json_* fields,
 * wl_json_end. Strings are plain identifiers here, so no escaping is needed.
 */
void wl_json_begin(const char *workload, double score, const char *unit, double seconds, int verified);
void wl_json_num(const char *key, double v);
void wl_json_int(const char *key, long v);
void wl_json_str(const char *key, const char *v);
void wl_json_bool(const char *key, int v);
void wl_json_raw(const char *key, const char *json);
void wl_json_end(void);

/* Appends the CPUs this process may run on as a JSON array of numbers into buf. */
void wl_affinity_json(char *buf, size_t len);

#endif
