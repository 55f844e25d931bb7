/* Split loads on AVX-512 (docs/performance.md, "Narrow rows as one wide row"): a per-filter
 * pattern-conv kernel loop (a 7x7 wide row: 4 vectors of 16, 4 taps at flat shifts 0, 1, 9,
 * 10, channels picked by an index table from a 64-byte aligned 96-float plane each, all in
 * L1), with 8 FMA chains (taps 0-1 and 2-3 accumulated apart, so the FMA latency does not
 * bound it), timed as patcc's taps load (the 12 loads of shifts 1, 9 and 10 straddle two
 * cache lines, the 4 of shift 0 do not) and with the same number of loads all aligned.
 * Nanoseconds per kernel (16 FMAs, 16 vector loads), 3 rounds of 200 x 4096 kernels, one
 * thread.
 *
 *   gcc -O3 -mavx512f scripts/split_loads.c -o /tmp/split_loads && /tmp/split_loads
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One kernel loop: tap t of vector v loads p + 16v + S_t (the tap's shift), taps 0-1 into
 * the a chains and taps 2-3 into the b chains. */
#define KERNEL(NAME, S0, S1, S2, S3)                                                        \
    __attribute__((noipa)) __m512 NAME(const float *x, const float *w, const int *idx, int n) { \
        __m512 a[4], b[4];                                                                  \
        for (int v = 0; v < 4; v++) a[v] = b[v] = _mm512_setzero_ps();                      \
        for (int k = 0; k < n; k++) {                                                       \
            const float *p = x + idx[k] * 96;                                               \
            __m512 w0 = _mm512_set1_ps(w[4 * k]), w1 = _mm512_set1_ps(w[4 * k + 1]);       \
            __m512 w2 = _mm512_set1_ps(w[4 * k + 2]), w3 = _mm512_set1_ps(w[4 * k + 3]);   \
            for (int v = 0; v < 4; v++) {                                                   \
                a[v] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 16 * v + (S0)), w0, a[v]);      \
                a[v] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 16 * v + (S1)), w1, a[v]);      \
                b[v] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 16 * v + (S2)), w2, b[v]);      \
                b[v] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 16 * v + (S3)), w3, b[v]);      \
            }                                                                               \
        }                                                                                   \
        for (int v = 1; v < 4; v++) a[0] = _mm512_add_ps(a[0], _mm512_add_ps(a[v], b[v])); \
        return _mm512_add_ps(a[0], b[0]);                                                   \
    }

KERNEL(split, 0, 1, 9, 10)     /* patcc's shifts at Wp = 9: 12 of 16 loads straddle lines */
KERNEL(aligned, 0, 16, 32, 0)  /* the same count of loads, all on 64-byte boundaries */

int main(void) {
    const int channels = 64, n = 4096, rounds = 200;
    float *x = aligned_alloc(64, (channels * 96 + 1024) * sizeof(float));
    float *w = malloc(n * 4 * sizeof(float));
    int *idx = malloc(n * sizeof(int));
    for (int i = 0; i < channels * 96 + 1024; i++) x[i] = (float)(i % 7) * 0.1f;
    for (int i = 0; i < n * 4; i++) w[i] = 0.001f * (float)(i % 5);
    srand(1);
    for (int k = 0; k < n; k++) idx[k] = rand() % channels;
    float sink = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (int r = 0; r < rounds; r++) sink += _mm512_reduce_add_ps(split(x, w, idx, n));
        double t1 = now();
        for (int r = 0; r < rounds; r++) sink += _mm512_reduce_add_ps(aligned(x, w, idx, n));
        double t2 = now();
        double per = 1e9 / ((double)rounds * n);
        printf("split %.2f ns/kernel, aligned %.2f ns/kernel\n", (t1 - t0) * per, (t2 - t1) * per);
    }
    return sink == 1234.5f;
}
