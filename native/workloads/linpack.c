/*
 * Linpack-style benchmark, written from Dongarra's description of the LINPACK benchmark:
 * generate an n x n matrix (the benchmark's matgen generator), factor it with dgefa (LU with
 * partial pivoting, column-oriented, daxpy inner loop), solve with dgesl, and accept the
 * result only when the normalised residual  ||Ax - b|| / (n ||A|| ||x|| eps)  is small.
 * MFLOPS counts 2/3 n^3 + 2 n^2 floating-point operations per factor-and-solve.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Column-major: element (i, j) of a matrix with leading dimension lda is a[i + j * lda]. */
#define A(i, j) a[(i) + (size_t)(j) * (size_t)lda]

/* Fills a with the benchmark's pseudo-random values in [-2, 2) and b with its row sums, so x = 1. */
static double matgen(double *a, int lda, int n, double *b)
{
    int init = 1325;
    double norma = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            init = 3125 * init % 65536;
            A(i, j) = (init - 32768.0) / 16384.0;
            if (fabs(A(i, j)) > norma) norma = fabs(A(i, j));
        }
    for (int i = 0; i < n; i++) b[i] = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) b[i] += A(i, j);
    return norma;
}

static int idamax(int n, const double *dx)
{
    int best = 0;
    double dmax = fabs(dx[0]);
    for (int i = 1; i < n; i++)
        if (fabs(dx[i]) > dmax) {
            best = i;
            dmax = fabs(dx[i]);
        }
    return best;
}

static void dscal(int n, double da, double *dx)
{
    for (int i = 0; i < n; i++) dx[i] *= da;
}

static void daxpy(int n, double da, const double *dx, double *dy)
{
    if (da == 0.0) return;
    for (int i = 0; i < n; i++) dy[i] += da * dx[i];
}

/* LU factorisation with partial pivoting. Returns 0, or k+1 when U(k,k) == 0. */
static int dgefa(double *a, int lda, int n, int *ipvt)
{
    int info = 0;
    for (int k = 0; k < n - 1; k++) {
        int l = idamax(n - k, &A(k, k)) + k;
        ipvt[k] = l;
        if (A(l, k) == 0.0) {
            info = k + 1;
            continue;
        }
        if (l != k) {
            double t = A(l, k);
            A(l, k) = A(k, k);
            A(k, k) = t;
        }
        dscal(n - (k + 1), -1.0 / A(k, k), &A(k + 1, k));
        for (int j = k + 1; j < n; j++) {
            double t = A(l, j);
            if (l != k) {
                A(l, j) = A(k, j);
                A(k, j) = t;
            }
            daxpy(n - (k + 1), t, &A(k + 1, k), &A(k + 1, j));
        }
    }
    ipvt[n - 1] = n - 1;
    if (A(n - 1, n - 1) == 0.0) info = n;
    return info;
}

/* Solves A x = b using the factors from dgefa; b is overwritten with x. */
static void dgesl(const double *a, int lda, int n, const int *ipvt, double *b)
{
    for (int k = 0; k < n - 1; k++) {
        int l = ipvt[k];
        double t = b[l];
        if (l != k) {
            b[l] = b[k];
            b[k] = t;
        }
        daxpy(n - (k + 1), t, &A(k + 1, k), &b[k + 1]);
    }
    for (int k = n - 1; k >= 0; k--) {
        b[k] /= A(k, k);
        daxpy(k, -b[k], &A(0, k), &b[0]);
    }
}

int main(int argc, char **argv)
{
    double n_opt = 200;
    struct wl_opt opts[] = {{"--n", "matrix order", 10, 5000, 1, &n_opt}};
    struct wl_common c;
    wl_parse_args(argc, argv, "linpack", 5.0, opts, 1, &c);
    const int n = (int)n_opt, lda = n + 1;

    double *a = malloc(sizeof(double) * (size_t)lda * (size_t)n);
    double *b = malloc(sizeof(double) * (size_t)n);
    double *x = malloc(sizeof(double) * (size_t)n);
    int *ipvt = malloc(sizeof(int) * (size_t)n);
    if (!a || !b || !x || !ipvt) {
        fprintf(stderr, "linpack: out of memory\n");
        return EXIT_VERIFY_FAILED;
    }
    const double ops = (2.0 * n * (double)n * n) / 3.0 + 2.0 * (double)n * n;
    double solve_time = 0, worst_residn = 0, worst_err = 0, start = wl_now();
    long reps = 0;
    int ok = 1;
    for (;;) {
        if (c.iterations > 0 ? reps >= c.iterations : (reps > 0 && wl_now() - start >= c.seconds)) break;
        matgen(a, lda, n, x);
        double t0 = wl_now();
        int info = dgefa(a, lda, n, ipvt);
        /* The self-test nudges one pivot of U, as a miscomputed elimination step would. */
        if (c.corrupt) A(n / 2, n / 2) *= 1.0 + 1e-6;
        dgesl(a, lda, n, ipvt, x);
        solve_time += wl_now() - t0;
        reps++;
        if (info != 0) {
            fprintf(stderr, "linpack: matrix is singular at column %d\n", info);
            ok = 0;
        }
        /* Residual against a freshly generated A and b: r = A x - b. */
        double norma = matgen(a, lda, n, b), resid = 0, normx = 0, err = 0;
        for (int i = 0; i < n; i++) b[i] = -b[i];
        for (int j = 0; j < n; j++) daxpy(n, x[j], &A(0, j), b);
        for (int i = 0; i < n; i++) {
            if (fabs(b[i]) > resid) resid = fabs(b[i]);
            if (fabs(x[i]) > normx) normx = fabs(x[i]);
            if (fabs(x[i] - 1.0) > err) err = fabs(x[i] - 1.0);
        }
        double residn = resid / (n * norma * normx * DBL_EPSILON);
        if (!(residn <= worst_residn)) worst_residn = residn;
        if (!(err <= worst_err)) worst_err = err;
        if (!(residn < 100.0)) ok = 0;
        double elapsed = wl_now() - start;
        wl_progress(&c, "linpack", c.iterations > 0 ? (double)reps / (double)c.iterations : elapsed / c.seconds,
                    "reps=%ld mflops=%.1f", reps, ops * (double)reps / solve_time / 1e6);
    }
    if (!ok) fprintf(stderr, "linpack: verification failed: normalised residual %g (limit 100)\n", worst_residn);
    double mflops = solve_time > 0 ? ops * (double)reps / solve_time / 1e6 : 0;
    wl_json_begin("linpack", mflops, "MFLOPS", wl_now() - start, ok);
    wl_json_int("n", n);
    wl_json_int("repetitions", reps);
    wl_json_num("solve_seconds", solve_time);
    wl_json_num("normalised_residual", worst_residn);
    wl_json_num("max_error", worst_err);
    wl_json_num("cpu_seconds", wl_cpu_seconds());
    wl_json_end();
    return ok ? 0 : EXIT_VERIFY_FAILED;
}
