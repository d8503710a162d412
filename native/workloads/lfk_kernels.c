/*
 * The 24 Livermore loops. This file is compiled twice: with -O2 for the timed runs and with
 * -O0 -ffp-contract=off as the reference the driver checks every optimised result against.
 * KTABLE names the kernel table of each build.
 */
#include <math.h>

#include "lfk.h"

#ifndef KTABLE
#error "compile with -DKTABLE=opt_kernels or -DKTABLE=ref_kernels"
#endif

/* 1: hydro fragment */
static long k1(long n)
{
    for (long k = 0; k < n; k++) x[k] = q + y[k] * (r * z[k + 10] + t * z[k + 11]);
    return 5 * n;
}

/* 2: incomplete Cholesky conjugate gradient excerpt */
static long k2(long n)
{
    long ii = n, ipntp = 0, trips = 0;
    do {
        long ipnt = ipntp;
        ipntp += ii;
        ii /= 2;
        long i = ipntp - 1;
        for (long k = ipnt + 1; k < ipntp; k += 2) {
            i++;
            x[i] = x[k] - v[k] * x[k - 1] - v[k + 1] * x[k + 1];
            trips++;
        }
    } while (ii > 0);
    return 4 * trips;
}

/* 3: inner product */
static long k3(long n)
{
    double s = 0.0;
    for (long k = 0; k < n; k++) s += z[k] * x[k];
    k3q = s;
    return 2 * n;
}

/* 4: banded linear equations */
static long k4(long n)
{
    long m = (1001 - 7) / 2, flops = 0;
    for (long k = 6; k < 1001; k += m) {
        long lw = k - 6;
        double temp = x[k - 1];
        for (long j = 4; j < n; j += 5) {
            temp -= x[lw] * y[j];
            lw++;
            flops += 2;
        }
        x[k - 1] = y[4] * temp;
        flops++;
    }
    return flops;
}

/* 5: tri-diagonal elimination, below diagonal */
static long k5(long n)
{
    for (long i = 1; i < n; i++) x[i] = z[i] * (y[i] - x[i - 1]);
    return 2 * (n - 1);
}

/* 6: general linear recurrence equations */
static long k6(long n)
{
    for (long i = 1; i < n; i++) {
        w[i] = 0.01;
        for (long k = 0; k < i; k++) w[i] += bmat[k][i] * w[(i - k) - 1];
    }
    return n * (n - 1);
}

/* 7: equation of state fragment */
static long k7(long n)
{
    for (long k = 0; k < n; k++)
        x[k] = u[k] + r * (z[k] + r * y[k]) +
               t * (u[k + 3] + r * (u[k + 2] + r * u[k + 1]) + t * (u[k + 6] + q * (u[k + 5] + q * u[k + 4])));
    return 16 * n;
}

/* 8: ADI integration */
static long k8(long n)
{
    const int nl1 = 0, nl2 = 1;
    for (int kx = 1; kx < 3; kx++)
        for (long ky = 1; ky < n; ky++) {
            du1[ky] = u1[nl1][ky + 1][kx] - u1[nl1][ky - 1][kx];
            du2[ky] = u2[nl1][ky + 1][kx] - u2[nl1][ky - 1][kx];
            du3[ky] = u3[nl1][ky + 1][kx] - u3[nl1][ky - 1][kx];
            u1[nl2][ky][kx] = u1[nl1][ky][kx] + a11 * du1[ky] + a12 * du2[ky] + a13 * du3[ky] +
                              sig * (u1[nl1][ky][kx + 1] - 2.0 * u1[nl1][ky][kx] + u1[nl1][ky][kx - 1]);
            u2[nl2][ky][kx] = u2[nl1][ky][kx] + a21 * du1[ky] + a22 * du2[ky] + a23 * du3[ky] +
                              sig * (u2[nl1][ky][kx + 1] - 2.0 * u2[nl1][ky][kx] + u2[nl1][ky][kx - 1]);
            u3[nl2][ky][kx] = u3[nl1][ky][kx] + a31 * du1[ky] + a32 * du2[ky] + a33 * du3[ky] +
                              sig * (u3[nl1][ky][kx + 1] - 2.0 * u3[nl1][ky][kx] + u3[nl1][ky][kx - 1]);
        }
    return 36 * 2 * (n - 1);
}

/* 9: integrate predictors */
static long k9(long n)
{
    for (long i = 0; i < n; i++)
        px[i][0] = dm28 * px[i][12] + dm27 * px[i][11] + dm26 * px[i][10] + dm25 * px[i][9] + dm24 * px[i][8] +
                   dm23 * px[i][7] + dm22 * px[i][6] + c0 * (px[i][4] + px[i][5]) + px[i][2];
    return 17 * n;
}

/* 10: difference predictors */
static long k10(long n)
{
    for (long i = 0; i < n; i++) {
        double ar = cx[i][4], br, cr;
        br = ar - px[i][4];
        px[i][4] = ar;
        cr = br - px[i][5];
        px[i][5] = br;
        ar = cr - px[i][6];
        px[i][6] = cr;
        br = ar - px[i][7];
        px[i][7] = ar;
        cr = br - px[i][8];
        px[i][8] = br;
        ar = cr - px[i][9];
        px[i][9] = cr;
        br = ar - px[i][10];
        px[i][10] = ar;
        cr = br - px[i][11];
        px[i][11] = br;
        px[i][13] = cr - px[i][12];
        px[i][12] = cr;
    }
    return 9 * n;
}

/* 11: first sum */
static long k11(long n)
{
    x[0] = y[0];
    for (long k = 1; k < n; k++) x[k] = x[k - 1] + y[k];
    return n - 1;
}

/* 12: first difference */
static long k12(long n)
{
    for (long k = 0; k < n; k++) x[k] = y[k + 1] - y[k];
    return n;
}

/* 13: 2-D particle in cell; positions wrap onto the 64 x 64 grid */
static long k13(long n)
{
    for (long ip = 0; ip < n; ip++) {
        long i1 = (long)p[ip][0] & 63, j1 = (long)p[ip][1] & 63;
        p[ip][2] += bb[j1][i1];
        p[ip][3] += cc[j1][i1];
        p[ip][0] += p[ip][2];
        p[ip][1] += p[ip][3];
        long i2 = (long)p[ip][0] & 63, j2 = (long)p[ip][1] & 63;
        p[ip][0] += y[i2 + 32];
        p[ip][1] += z[j2 + 32];
        i2 = (i2 + e[i2 + 32]) & 63;
        j2 = (j2 + f[j2 + 32]) & 63;
        h[j2][i2] += 1.0;
    }
    return 7 * n;
}

/* 14: 1-D particle in cell */
static long k14(long n)
{
    for (long k = 0; k < n; k++) {
        vx[k] = 0.0;
        xx[k] = 0.0;
        ix[k] = (long)grd[k];
        xi[k] = (double)ix[k];
        ex1[k] = ex[ix[k] - 1];
        dex1[k] = dex[ix[k] - 1];
    }
    for (long k = 0; k < n; k++) {
        vx[k] += ex1[k] + (xx[k] - xi[k]) * dex1[k];
        xx[k] += vx[k] + flx;
        ir[k] = (long)xx[k];
        rx[k] = xx[k] - (double)ir[k];
        ir[k] = (ir[k] & 2047) + 1;
        xx[k] = rx[k] + (double)ir[k];
    }
    for (long k = 0; k < n; k++) {
        rh[ir[k] - 1] += 1.0 - rx[k];
        rh[ir[k]] += rx[k];
    }
    return 11 * n;
}

/* 15: casual Fortran (branchy 2-D stencil with square roots) */
static long k15(long n)
{
    const int ng = 7;
    const double ar = 0.053, br = 0.073;
    long flops = 0;
    for (int j = 1; j < ng; j++)
        for (long k = 1; k < n; k++) {
            double rr, ss, tt;
            if (j + 1 >= ng) {
                vy[j][k] = 0.0;
                continue;
            }
            tt = vh[j + 1][k] > vh[j][k] ? ar : br;
            if (vf[j][k] < vf[j][k - 1]) {
                rr = vh[j][k - 1] > vh[j + 1][k - 1] ? vh[j][k - 1] : vh[j + 1][k - 1];
                ss = vf[j][k - 1];
            } else {
                rr = vh[j][k] > vh[j + 1][k] ? vh[j][k] : vh[j + 1][k];
                ss = vf[j][k];
            }
            vy[j][k] = sqrt(vg[j][k] * vg[j][k] + rr * rr) * tt / ss;
            flops += 6;
            if (k + 1 >= n) {
                vs[j][k] = 0.0;
                continue;
            }
            if (vf[j][k] < vf[j - 1][k]) {
                rr = vg[j - 1][k] > vg[j - 1][k + 1] ? vg[j - 1][k] : vg[j - 1][k + 1];
                ss = vf[j - 1][k];
                tt = br;
            } else {
                rr = vg[j][k] > vg[j][k + 1] ? vg[j][k] : vg[j][k + 1];
                ss = vf[j][k];
                tt = ar;
            }
            vs[j][k] = sqrt(vh[j][k] * vh[j][k] + rr * rr) * tt / ss;
            flops += 6;
        }
    return flops;
}

/* 16: Monte Carlo search loop */
static long k16(long n)
{
    const double rr = 0.3, ss = 0.5, tt = 0.7;
    long ii = n / 3, lb = ii + ii, cheap = 0, dear = 0;
    long i1 = 1, m = 1;
    for (;;) {
        long j2 = (n + n) * (m - 1) + 1, k;
        int restart = 0;
        for (k = 1; k <= n; k++) {
            long j4 = j2 + k + k, j5 = zone[j4 - 1];
            double tmp;
            if (j5 < n) {
                if (j5 + lb < n) tmp = plan[j5 - 1] - tt;
                else if (j5 + ii < n) tmp = plan[j5 - 1] - ss;
                else tmp = plan[j5 - 1] - rr;
                cheap++;
            } else if (j5 == n) {
                break;
            } else {
                tmp = d[j5 - 1] - (d[j5 - 2] * (tt - d[j5 - 3]) * (tt - d[j5 - 3]) + (ss - d[j5 - 4]) * (ss - d[j5 - 4]) +
                                   (rr - d[j5 - 5]) * (rr - d[j5 - 5]));
                dear++;
            }
            if (tmp < 0.0) {
                if (zone[j4 - 2] < 0) continue;
                if (zone[j4 - 2] == 0) break;
            } else if (tmp > 0.0) {
                if (zone[j4 - 2] > 0) continue;
                if (zone[j4 - 2] == 0) break;
            } else {
                break;
            }
            m++;
            if (m > zone[0]) m = 1;
            restart = i1 != m;
            break;
        }
        if (!restart) break;
    }
    return cheap + 13 * dear;
}

/* 17: implicit, conditional computation */
static long k17(long n)
{
    const double scale = 5.0 / 3.0;
    double xnm = 1.0 / 3.0, e6 = 1.03 / 3.07, e3, xnei, xnc;
    long i = n - 1, flops = 0;
    const long j = 0, ink = -1;
    for (;;) {
        e3 = xnm * vlr[i] + vlin[i];
        xnei = vxne[i];
        vxnd[i] = e6;
        xnc = scale * e3;
        flops += 3;
        if (xnm > xnc || xnei > xnc) {
            e6 = xnm * vsp[i] + vstp[i];
            vxne[i] = e6;
            xnm = e6;
            ve3[i] = e6;
            flops += 2;
        } else {
            ve3[i] = e3;
            e6 = e3 + e3 - xnm;
            vxne[i] = e3 + e3 - xnei;
            xnm = e6;
            flops += 4;
        }
        i += ink;
        if (i == j) break;
    }
    return flops;
}

/* 18: 2-D explicit hydrodynamics fragment */
static long k18(long n)
{
    const double tt = 0.0037, ss = 0.0041;
    const int kn = 6;
    for (int k = 1; k < kn; k++)
        for (long j = 1; j < n; j++) {
            za[k][j] = (zp[k + 1][j - 1] + zq[k + 1][j - 1] - zp[k][j - 1] - zq[k][j - 1]) * (zr[k][j] + zr[k][j - 1]) /
                       (zm[k][j - 1] + zm[k + 1][j - 1]);
            zb[k][j] = (zp[k][j - 1] + zq[k][j - 1] - zp[k][j] - zq[k][j]) * (zr[k][j] + zr[k - 1][j]) /
                       (zm[k][j] + zm[k][j - 1]);
        }
    for (int k = 1; k < kn; k++)
        for (long j = 1; j < n; j++) {
            zu[k][j] += ss * (za[k][j] * (zz[k][j] - zz[k][j + 1]) - za[k][j - 1] * (zz[k][j] - zz[k][j - 1]) -
                              zb[k][j] * (zz[k][j] - zz[k - 1][j]) + zb[k + 1][j] * (zz[k][j] - zz[k + 1][j]));
            zv[k][j] += ss * (za[k][j] * (zr[k][j] - zr[k][j + 1]) - za[k][j - 1] * (zr[k][j] - zr[k][j - 1]) -
                              zb[k][j] * (zr[k][j] - zr[k - 1][j]) + zb[k + 1][j] * (zr[k][j] - zr[k + 1][j]));
        }
    for (int k = 1; k < kn; k++)
        for (long j = 1; j < n; j++) {
            zr[k][j] += tt * zu[k][j];
            zz[k][j] += tt * zv[k][j];
        }
    return 44 * (kn - 1) * (n - 1);
}

/* 19: general linear recurrence equations (forward, then backward) */
static long k19(long n)
{
    double s5 = stb5;
    for (long k = 0; k < n; k++) {
        b5[k] = sa[k] + s5 * sb[k];
        s5 = b5[k] - s5;
    }
    for (long i = 1; i <= n; i++) {
        long k = n - i;
        b5[k] = sa[k] + s5 * sb[k];
        s5 = b5[k] - s5;
    }
    stb5 = s5;
    return 6 * n;
}

/* 20: discrete ordinates transport, conditional recurrence */
static long k20(long n)
{
    const double dw = 0.2, lo = 0.02, hi = 0.5;
    long flops = 0;
    for (long k = 0; k < n; k++) {
        double di = y[k] - g[k] / (xx[k] + dk), dn = dw;
        flops += 13;
        if (di != 0.0) {
            dn = z[k] / di;
            if (hi < dn) dn = hi;
            if (lo > dn) dn = lo;
            flops++;
        }
        x[k] = ((w[k] + v[k] * dn) * xx[k] + u[k]) / (vx[k] + v[k] * dn);
        xx[k + 1] = (x[k] - xx[k]) * dn + xx[k];
    }
    return flops;
}

/* 21: matrix * matrix product */
static long k21(long n)
{
    for (int k = 0; k < 25; k++)
        for (int i = 0; i < 25; i++)
            for (long j = 0; j < n; j++) px[j][i] += vy21[k][i] * cx[j][k];
    return 2 * 25 * 25 * n;
}

/* 22: Planckian distribution */
static long k22(long n)
{
    const double expmax = 20.0;
    u[n - 1] = 0.99 * expmax * v[n - 1];
    for (long k = 0; k < n; k++) {
        y[k] = u[k] / v[k];
        w[k] = x[k] / (exp(y[k]) - 1.0);
    }
    return 2 + 4 * n;
}

/* 23: 2-D implicit hydrodynamics fragment (relaxation sweep) */
static long k23(long n)
{
    for (int j = 1; j < 6; j++)
        for (long k = 1; k < n; k++) {
            double qa = za[j + 1][k] * zr[j][k] + za[j - 1][k] * zb[j][k] + za[j][k + 1] * zu[j][k] +
                        za[j][k - 1] * zv[j][k] + zz[j][k];
            za[j][k] += 0.175 * (qa - za[j][k]);
        }
    return 11 * 5 * (n - 1);
}

/* 24: location of the first minimum */
static long k24(long n)
{
    long m = 0;
    x[n / 2] = -1000.0; /* below every datum; small enough not to swamp the checksum */
    for (long k = 1; k < n; k++)
        if (x[k] < x[m]) m = k;
    k24m = m;
    return n - 1;
}

const lfk_kernel_fn KTABLE[LFK_KERNELS] = {k1,  k2,  k3,  k4,  k5,  k6,  k7,  k8,  k9,  k10, k11, k12,
                                           k13, k14, k15, k16, k17, k18, k19, k20, k21, k22, k23, k24};
