/* VGG-16's first max pool (64 x 224 x 224, 2 x 2 / 2, into a padded 114-wide buffer) as
 * patcc's C spelled it, in four spellings of the NaN-propagating max (p1: as emitted, p2:
 * bitwise or, p3: two selects, p4: operands swapped), and in rows (p6: column maxima over
 * the window's rows into a row, then pairs), with a contiguous relu loop for comparison (docs/performance.md, "Max pools
 * in rows"). gcc 12 vectorises p1; gcc 13 leaves p1-p4 scalar and vectorises p6. Prints
 * whether the spellings agree on NaNs, infinities and signed zeros, the median of 31 runs
 * each, and whether p6 gives p1's bits.
 *
 *   gcc -O3 -mavx2 -mfma -mavx512f -mavx512vl scripts/pool_replica.c -o /tmp/pool_replica -lm && /tmp/pool_replica
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static inline float max1(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float max2(float a, float b) { return ((a != a) | (a > b)) ? a : b; }
static inline float max3(float a, float b) { float m = a > b ? a : b; return a != a ? a : m; }
static inline float max4(float a, float b) { return (a > b || a != a) ? a : b; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
#define POOL(NAME, MAX) \
__attribute__((noinline)) static void NAME(float *restrict v, const float *restrict buf) { \
    for (ptrdiff_t c = 0; c < 64; c++) \
        for (ptrdiff_t oh = 0; oh < 112; oh++) \
            for (ptrdiff_t ow = 0; ow < 112; ow++) { \
                const ptrdiff_t v_3 = oh * 2; const ptrdiff_t v_4 = ow * 2; \
                float acc = buf[c * 50176 + v_3 * 224 + v_4]; \
                for (ptrdiff_t kh = 0; kh < 2; kh++) { \
                    float acc_1 = acc; \
                    for (ptrdiff_t kw = 0; kw < 2; kw++) \
                        acc_1 = MAX(acc_1, buf[c * 50176 + (v_3 + kh) * 224 + v_4 + kw]); \
                    acc = acc_1; \
                } \
                v[c * 12996 + oh * 114 + ow + 115] = acc; \
            } \
}
POOL(p1, max1) POOL(p2, max2) POOL(p3, max3) POOL(p4, max4)
/* vertical then horizontal: a row of column maxima (contiguous), then pairs of it */
__attribute__((noinline)) static void p6(float *restrict v, const float *restrict buf) {
    float t[224];
    for (ptrdiff_t c = 0; c < 64; c++)
        for (ptrdiff_t oh = 0; oh < 112; oh++) {
            const float *r0 = buf + c * 50176 + oh * 2 * 224, *r1 = r0 + 224;
            for (ptrdiff_t x = 0; x < 224; x++)
                t[x] = max1(r0[x], r1[x]);
            for (ptrdiff_t ow = 0; ow < 112; ow++)
                v[c * 12996 + oh * 114 + ow + 115] = max1(t[2 * ow], t[2 * ow + 1]);
        }
}
/* a relu-like elementwise loop too */
#define ELT(NAME, MAX) __attribute__((noinline)) static void NAME(float *restrict y, const float *restrict x, size_t n) { for (size_t i = 0; i < n; i++) y[i] = MAX(x[i], 0.0f); }
ELT(e1, max1) ELT(e2, max2) ELT(e3, max3) ELT(e4, max4)
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(void) {
    float vals[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1.0f, -1.0f, 3.5f};
    float (*m[4])(float, float) = {max1, max2, max3, max4};
    int bad = 0;
    for (int i = 0; i < 9; i++) for (int j = 0; j < 9; j++) { float r = max1(vals[i], vals[j]); for (int k = 1; k < 4; k++) { float s = m[k](vals[i], vals[j]); if (memcmp(&r, &s, 4)) { bad++; printf("differ v%d %g %g\n", k + 1, vals[i], vals[j]); } } }
    printf("semantics differ: %d\n", bad);
    size_t N = 64 * 50176;
    float *buf = aligned_alloc(64, N * 4), *out = aligned_alloc(64, N * 4);
    srand(1); for (size_t i = 0; i < N; i++) buf[i] = (float)rand() / RAND_MAX - 0.5f;
    memset(out, 0, N * 4);
    void (*f[5])(float *restrict, const float *restrict) = {p1, p2, p3, p4, p6};
    void (*g[4])(float *restrict, const float *restrict, size_t) = {e1, e2, e3, e4};
    double t[9][31];
    for (int r = 0; r < 31; r++) { for (int k = 0; k < 4; k++) { double a = now(); f[k](out, buf); t[k][r] = now() - a; a = now(); g[k](out, buf, N); t[4 + k][r] = now() - a; } { double a = now(); f[4](out, buf); t[8][r] = now() - a; } }
    for (int k = 0; k < 9; k++) { qsort(t[k], 31, sizeof(double), cmp); printf("%s v%d median %.3f ms\n", k < 4 ? "pool" : k < 8 ? "relu" : "pool", k < 8 ? k % 4 + 1 : 6, t[k][15]); }
    float *o1 = aligned_alloc(64, N * 4), *o2 = aligned_alloc(64, N * 4); memset(o1, 0, N * 4); memset(o2, 0, N * 4);
    buf[5] = NAN; buf[50176 + 226] = -0.0f; p1(o1, buf); p6(o2, buf); printf("p6 same: %d\n", !memcmp(o1, o2, N * 4));
    return 0;
}
