/*
 * Data shared by the Livermore kernels (lfk_kernels.c) and their driver (livermore.c).
 * Written from F. H. McMahon's description of the 24 Livermore Fortran Kernels (UCRL-53745,
 * 1986); indices are 0-based, array bounds sized for the longest span of each kernel.
 */
#ifndef VIRTMIG_LFK_H
#define VIRTMIG_LFK_H

#define LFK_KERNELS 24
#define N1 2112 /* 1-D arrays: kernel 2 needs 2n + 2, kernel 14's rh needs 2050 */
#define N2 102  /* columns of 2-D arrays: spans up to 101 plus one neighbour */

/* One pass of a kernel over span n; returns the floating-point operations it performed. */
typedef long (*lfk_kernel_fn)(long n);

extern double x[N1], y[N1], z[N1], u[N1], v[N1], w[N1];
extern double xx[N1], vx[N1], xi[N1], ex[N1], dex[N1], ex1[N1], dex1[N1], rx[N1], rh[N1], grd[N1];
extern long ix[N1], ir[N1], zone[N1];
extern double g[N1], plan[N1], d[N1], sa[N1], sb[N1], b5[N1];
extern double vsp[N1], vstp[N1], vxne[N1], vxnd[N1], ve3[N1], vlr[N1], vlin[N1];
extern double bmat[64][64];
extern double u1[2][N2][5], u2[2][N2][5], u3[2][N2][5], du1[N2], du2[N2], du3[N2];
extern double px[N2][25], cx[N2][25], vy21[25][25];
extern double p[64][4], bb[64][64], cc[64][64], h[64][64];
extern long e[96], f[96];
extern double vy[7][N2], vh[7][N2], vf[7][N2], vg[7][N2], vs[7][N2];
extern double za[7][N2], zb[7][N2], zp[7][N2], zq[7][N2], zr[7][N2], zm[7][N2], zu[7][N2], zv[7][N2], zz[7][N2];
extern double q, r, t, a11, a12, a13, a21, a22, a23, a31, a32, a33, sig, c0;
extern double dm22, dm23, dm24, dm25, dm26, dm27, dm28, stb5, dk, flx, k3q;
extern long k24m;

/* The two builds of lfk_kernels.c: -O2 (timed) and -O0 (reference). */
extern const lfk_kernel_fn opt_kernels[LFK_KERNELS];
extern const lfk_kernel_fn ref_kernels[LFK_KERNELS];

#endif
