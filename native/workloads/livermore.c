/*
 * Livermore loops driver: for each of the 24 kernels and each of McMahon's three span sets
 * (short ~27, medium ~101, long ~1001; 2-D kernels capped by their array dimensions) it
 *   1. checks the optimised kernel against the -O0 reference build of the same loops: both run
 *      the same passes on identically initialised data and the checksums of every array must agree;
 *   2. times batches of passes (data re-initialised between batches, untimed, so recurrences
 *      that feed on their own output stay in range) and reports MFLOPS.
 * Flops are counted one per +, -, *, /, sqrt or exp (not McMahon's weighted counts).
 */
#include <math.h>
#include <string.h>

#include "common.h"
#include "lfk.h"

double x[N1], y[N1], z[N1], u[N1], v[N1], w[N1];
double xx[N1], vx[N1], xi[N1], ex[N1], dex[N1], ex1[N1], dex1[N1], rx[N1], rh[N1], grd[N1];
long ix[N1], ir[N1], zone[N1];
double g[N1], plan[N1], d[N1], sa[N1], sb[N1], b5[N1];
double vsp[N1], vstp[N1], vxne[N1], vxnd[N1], ve3[N1], vlr[N1], vlin[N1];
double bmat[64][64];
double u1[2][N2][5], u2[2][N2][5], u3[2][N2][5], du1[N2], du2[N2], du3[N2];
double px[N2][25], cx[N2][25], vy21[25][25];
double p[64][4], bb[64][64], cc[64][64], h[64][64];
long e[96], f[96];
double vy[7][N2], vh[7][N2], vf[7][N2], vg[7][N2], vs[7][N2];
double za[7][N2], zb[7][N2], zp[7][N2], zq[7][N2], zr[7][N2], zm[7][N2], zu[7][N2], zv[7][N2], zz[7][N2];
double q, r, t, a11, a12, a13, a21, a22, a23, a31, a32, a33, sig, c0;
double dm22, dm23, dm24, dm25, dm26, dm27, dm28, stb5, dk, flx, k3q;
long k24m;

static const char *const SPAN_NAMES[3] = {"short", "medium", "long"};
static const long SPANS[3][LFK_KERNELS] = {
    {27, 27, 27, 27, 27, 8, 21, 14, 15, 15, 27, 26, 8, 27, 15, 15, 15, 14, 15, 26, 20, 15, 14, 27},
    {101, 101, 101, 101, 101, 32, 101, 100, 101, 101, 101, 100, 32, 101, 101, 40, 101, 100, 101, 100, 50, 101, 100, 101},
    {1001, 1001, 1001, 1001, 1001, 64, 995, 100, 101, 101, 1001, 1000, 64, 1001, 101, 75, 101, 100, 101, 1000, 101, 101,
     100, 1001},
};

/* A 48-bit linear congruential generator: the same sequence on every host and build. */
static unsigned long long seed;
static double rnd(double lo, double hi)
{
    seed = (seed * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return lo + (hi - lo) * (double)(seed >> 16) / 4294967296.0;
}

static void fill(double *a, size_t count, double lo, double hi)
{
    for (size_t i = 0; i < count; i++) a[i] = rnd(lo, hi);
}

#define FILL(arr, lo, hi) fill((double *)(arr), sizeof(arr) / sizeof(double), lo, hi)

/* Every array and scalar gets a fresh, deterministic value; ranges keep each kernel well-posed. */
static void init_data(long n)
{
    seed = 0x1234ABCDULL;
    FILL(x, 0.1, 1.0);
    FILL(y, 0.1, 1.0);
    FILL(z, 0.1, 1.0);
    FILL(u, 0.1, 1.0);
    FILL(v, 0.1, 0.5);
    FILL(w, 0.1, 0.5);
    FILL(xx, 0.1, 1.0);
    FILL(vx, 0.6, 1.0);
    FILL(xi, 0.0, 1.0);
    FILL(ex, 0.0, 1.0);
    FILL(dex, 0.0, 0.1);
    FILL(ex1, 0.0, 1.0);
    FILL(dex1, 0.0, 1.0);
    FILL(rx, 0.0, 1.0);
    FILL(rh, 0.0, 1.0);
    for (size_t i = 0; i < N1; i++) {
        grd[i] = (double)(1 + (long)rnd(0.0, 64.0));
        ix[i] = 0;
        ir[i] = 0;
    }
    FILL(g, 0.1, 1.0);
    FILL(plan, 0.0, 1.0);
    FILL(d, 0.0, 1.0);
    FILL(sa, 0.1, 1.0);
    FILL(sb, 0.5, 1.5);
    FILL(b5, 0.0, 1.0);
    FILL(vsp, 0.1, 0.9);
    FILL(vstp, 0.1, 1.0);
    FILL(vxne, 0.1, 1.0);
    FILL(vxnd, 0.1, 1.0);
    FILL(ve3, 0.1, 1.0);
    FILL(vlr, 0.1, 0.9);
    FILL(vlin, 0.1, 1.0);
    FILL(bmat, 0.0, 0.02);
    FILL(u1, 0.0, 1.0);
    FILL(u2, 0.0, 1.0);
    FILL(u3, 0.0, 1.0);
    FILL(du1, 0.0, 1.0);
    FILL(du2, 0.0, 1.0);
    FILL(du3, 0.0, 1.0);
    FILL(px, 0.0, 0.5);
    FILL(cx, 0.0, 0.5);
    FILL(vy21, 0.0, 0.1);
    FILL(p, 0.0, 64.0);
    FILL(bb, -0.005, 0.005);
    FILL(cc, -0.005, 0.005);
    FILL(h, 0.0, 1.0);
    for (int i = 0; i < 96; i++) {
        e[i] = (long)rnd(0.0, 5.0) - 2;
        f[i] = (long)rnd(0.0, 5.0) - 2;
    }
    FILL(vy, 0.1, 1.0);
    FILL(vh, 0.1, 1.0);
    FILL(vf, 0.1, 1.0);
    FILL(vg, 0.1, 1.0);
    FILL(vs, 0.1, 1.0);
    FILL(za, 0.0, 1.0);
    FILL(zb, 0.0, 0.2);
    FILL(zp, 0.0, 1.0);
    FILL(zq, 0.0, 1.0);
    FILL(zr, 0.0, 0.2);
    FILL(zm, 0.5, 1.5);
    FILL(zu, 0.0, 0.2);
    FILL(zv, 0.0, 0.2);
    FILL(zz, 0.0, 1.0);
    /* Kernel 16's zone table: slot 0 counts the sweeps; odd slots hold a sign that steers the
       search, even slots a zone number in [5, 1.5 n] (n itself ends the sweep). */
    zone[0] = 5;
    for (long i = 1; i < N1; i++) {
        if (i % 2) zone[i] = rnd(0.0, 1.0) < 0.06 ? 0 : (rnd(0.0, 1.0) < 0.5 ? -1 : 1);
        else zone[i] = 5 + (long)rnd(0.0, (double)n / 2.0 + (double)n - 5.0);
    }
    q = 0.5;
    r = 0.25;
    t = 0.125;
    a11 = 0.01, a12 = 0.02, a13 = 0.03, a21 = 0.02, a22 = 0.01, a23 = 0.03, a31 = 0.03, a32 = 0.02, a33 = 0.01;
    sig = 0.1;
    c0 = 0.5;
    dm22 = 0.1, dm23 = 0.05, dm24 = 0.04, dm25 = 0.03, dm26 = 0.02, dm27 = 0.015, dm28 = 0.01;
    stb5 = 0.1;
    dk = 1.0;
    flx = 0.001;
    k3q = 0;
    k24m = 0;
}

struct span { void *base; size_t count; int is_long; };

#define DBL(a) {(void *)(a), sizeof(a) / sizeof(double), 0}
#define LNG(a) {(void *)(a), sizeof(a) / sizeof(long), 1}

static const struct span ARRAYS[] = {
    DBL(x),    DBL(y),    DBL(z),    DBL(u),    DBL(v),    DBL(w),    DBL(xx),   DBL(vx),   DBL(xi),   DBL(ex),
    DBL(dex),  DBL(ex1),  DBL(dex1), DBL(rx),   DBL(rh),   DBL(grd),  LNG(ix),   LNG(ir),   LNG(zone), DBL(g),
    DBL(plan), DBL(d),    DBL(sa),   DBL(sb),   DBL(b5),   DBL(vsp),  DBL(vstp), DBL(vxne), DBL(vxnd), DBL(ve3),
    DBL(vlr),  DBL(vlin), DBL(bmat), DBL(u1),   DBL(u2),   DBL(u3),   DBL(du1),  DBL(du2),  DBL(du3),  DBL(px),
    DBL(cx),   DBL(vy21), DBL(p),    DBL(bb),   DBL(cc),   DBL(h),    LNG(e),    LNG(f),    DBL(vy),   DBL(vh),
    DBL(vf),   DBL(vg),   DBL(vs),   DBL(za),   DBL(zb),   DBL(zp),   DBL(zq),   DBL(zr),   DBL(zm),   DBL(zu),
    DBL(zv),   DBL(zz),
};

/* Position-weighted sum of every array and scalar the kernels write, plus the sum of magnitudes. */
static void checksum(double *sum, double *mag)
{
    double s = 0, m = 0;
    for (size_t a = 0; a < sizeof ARRAYS / sizeof ARRAYS[0]; a++)
        for (size_t i = 0; i < ARRAYS[a].count; i++) {
            double val = ARRAYS[a].is_long ? (double)((long *)ARRAYS[a].base)[i] : ((double *)ARRAYS[a].base)[i];
            double wgt = 1.0 + (double)((i + a) % 17) / 16.0;
            s += val * wgt;
            m += fabs(val) * wgt;
        }
    double scal[] = {stb5, k3q, (double)k24m};
    for (size_t i = 0; i < sizeof scal / sizeof scal[0]; i++) {
        s += scal[i] * (double)(i + 2);
        m += fabs(scal[i]) * (double)(i + 2);
    }
    *sum = s;
    *mag = m;
}

#define VERIFY_PASSES 3

/* Runs VERIFY_PASSES of the optimised and of the reference kernel from the same data and compares. */
static int verify_kernel(int k, long n, int corrupt, double *sum_out)
{
    double opt_sum, opt_mag, ref_sum, ref_mag;
    long opt_flops = 0, ref_flops = 0;
    init_data(n);
    for (int pass = 0; pass < VERIFY_PASSES; pass++) opt_flops += opt_kernels[k](n);
    /* The self-test leaves one wrong value behind, as a faulty step would; every kernel must notice. */
    if (corrupt) x[1] += 1e-3;
    checksum(&opt_sum, &opt_mag);
    init_data(n);
    for (int pass = 0; pass < VERIFY_PASSES; pass++) ref_flops += ref_kernels[k](n);
    checksum(&ref_sum, &ref_mag);
    *sum_out = opt_sum;
    int ok = isfinite(opt_sum) && isfinite(ref_sum) && fabs(opt_sum - ref_sum) <= 1e-10 * ref_mag &&
             opt_flops == ref_flops && opt_flops > 0;
    if (!ok)
        fprintf(stderr, "livermore: verification failed: kernel %d span %ld: checksum %.17g, reference %.17g\n", k + 1,
                n, opt_sum, ref_sum);
    return ok;
}

/* Times the optimised kernel; returns MFLOPS. */
static double time_kernel(int k, long n, const struct wl_common *c, double budget_s, long passes_wanted,
                          double *flops_out, long *passes_out)
{
    /* Passes between re-initialisations. Kernel 18's explicit scheme feeds on its own output and
       leaves the finite range after about 1500 passes; every other kernel stays bounded for 50000. */
    const long max_batch = k == 17 ? 400 : 20000;
    long batch = 1, passes = 0;
    double flops = 0, busy = 0, start = wl_now();
    for (;;) {
        long todo = batch;
        if (passes_wanted > 0 && passes_wanted - passes < todo) todo = passes_wanted - passes;
        init_data(n);
        double t0 = wl_now();
        for (long i = 0; i < todo; i++) flops += (double)opt_kernels[k](n);
        double dt = wl_now() - t0;
        busy += dt;
        passes += todo;
        if (dt < 1e-3 && batch < max_batch) batch = batch * 2 > max_batch ? max_batch : batch * 2;
        if (passes_wanted > 0 ? passes >= passes_wanted : wl_now() - start >= budget_s) break;
        wl_progress(c, "livermore", -1, "kernel=%d n=%ld passes=%ld", k + 1, n, passes);
    }
    *flops_out = flops;
    *passes_out = passes;
    return busy > 0 ? flops / busy / 1e6 : 0;
}

struct stats { double amean, hmean, gmean, min, max; };

static struct stats summarise(const double *v, int count)
{
    struct stats s = {0, 0, 0, INFINITY, 0};
    double inv = 0, logs = 0;
    for (int i = 0; i < count; i++) {
        s.amean += v[i];
        inv += 1.0 / v[i];
        logs += log(v[i]);
        if (v[i] < s.min) s.min = v[i];
        if (v[i] > s.max) s.max = v[i];
    }
    s.amean /= count;
    s.hmean = count / inv;
    s.gmean = exp(logs / count);
    return s;
}

static void append(char *buf, size_t len, const char *fmt, double val)
{
    size_t used = strlen(buf);
    if (used < len) snprintf(buf + used, len - used, fmt, isfinite(val) ? val : 0.0);
}

static void stats_json(char *buf, size_t len, const struct stats *s)
{
    append(buf, len, "\"amean\":%.6g", s->amean);
    append(buf, len, ",\"hmean\":%.6g", s->hmean);
    append(buf, len, ",\"gmean\":%.6g", s->gmean);
    append(buf, len, ",\"min\":%.6g", s->min);
    append(buf, len, ",\"max\":%.6g", s->max);
}

int main(int argc, char **argv)
{
    struct wl_common c;
    wl_parse_args(argc, argv, "livermore", 6.0, NULL, 0, &c);
    static double mflops[3][LFK_KERNELS], all[3 * LFK_KERNELS];
    static char json[16384], failed[2048];
    int ok = 1, nfailed = 0;
    double start = wl_now(), per_kernel = c.seconds / (3.0 * LFK_KERNELS);
    long total_passes = 0;
    strcpy(failed, "[");

    for (int s = 0; s < 3; s++)
        for (int k = 0; k < LFK_KERNELS; k++) {
            long n = SPANS[s][k], passes;
            double sum, flops;
            if (!verify_kernel(k, n, c.corrupt, &sum)) {
                ok = 0;
                size_t used = strlen(failed);
                if (used + 16 < sizeof failed)
                    snprintf(failed + used, sizeof failed - used, "%s\"%d/%s\"", nfailed++ ? "," : "", k + 1,
                             SPAN_NAMES[s]);
            }
            mflops[s][k] = time_kernel(k, n, &c, per_kernel, c.iterations, &flops, &passes);
            all[s * LFK_KERNELS + k] = mflops[s][k];
            total_passes += passes;
        }
    strcat(failed, "]");

    strcpy(json, "{");
    for (int s = 0; s < 3; s++) {
        struct stats st = summarise(mflops[s], LFK_KERNELS);
        size_t used = strlen(json);
        snprintf(json + used, sizeof json - used, "%s\"%s\":{\"n\":[", s ? "," : "", SPAN_NAMES[s]);
        for (int k = 0; k < LFK_KERNELS; k++) append(json, sizeof json, k ? ",%.0f" : "%.0f", (double)SPANS[s][k]);
        strcat(json, "],\"mflops\":[");
        for (int k = 0; k < LFK_KERNELS; k++) append(json, sizeof json, k ? ",%.6g" : "%.6g", mflops[s][k]);
        strcat(json, "],");
        stats_json(json, sizeof json, &st);
        strcat(json, "}");
    }
    strcat(json, "}");
    struct stats overall = summarise(all, 3 * LFK_KERNELS);
    static char overall_json[256];
    strcpy(overall_json, "{");
    stats_json(overall_json, sizeof overall_json, &overall);
    strcat(overall_json, "}");

    wl_json_begin("livermore", overall.gmean, "MFLOPS", wl_now() - start, ok);
    wl_json_raw("spans", json);
    wl_json_raw("overall", overall_json);
    wl_json_raw("failed_kernels", failed);
    wl_json_int("passes", total_passes);
    wl_json_num("cpu_seconds", wl_cpu_seconds());
    wl_json_end();
    return ok ? 0 : EXIT_VERIFY_FAILED;
}
