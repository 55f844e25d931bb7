/* The stand-alone comparison behind skip-zero-inputs (docs/performance.md, "Classifier
 * layers skip their zero inputs"): one-row gemm y = x W^T, W N x K, by
 *   gemv4    the N-major dot of lower-to-loops (4 rows of W per tile, lanes along k),
 *   blocked  W K-major in blocks of 512 outputs, every input (no skipping),
 *   skip1    the same, an input's run skipped when it is zero,
 *   group8   the same, 8 inputs' runs skipped when all 8 are zero (what patcc emits).
 * Median ms of 31 interleaved runs each. AVX-512 (the VM's Zen 4); x = a file of K floats
 * (e.g. VGG-16's flattened pool5 output), or random with a fraction of zeros.
 *
 *   gcc -O3 -march=native -fopenmp scripts/gemv_layouts.c -o /tmp/gemv_layouts
 *   /tmp/gemv_layouts THREADS K N ZERO_FRACTION [X_FILE]
 *   /tmp/gemv_layouts 1 4096 4096 0.5           # VGG-16's second classifier layer
 *   /tmp/gemv_layouts 1 25088 4096 0 pool5.bin  # its first, with the model's zeros
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define B 512
#define RUNS 31
static int K, N, NT;
static float *W, *WB, *x, *y;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void gemv4(void)
{
#pragma omp parallel for schedule(static) num_threads(NT)
    for (int n = 0; n < N; n += 4) {
        __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int k = 0; k < K; k += 16) {
            __m512 xv = _mm512_loadu_ps(x + k);
            for (int r = 0; r < 4; r++)
                a[r] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(W + (size_t)(n + r) * K + k), a[r]);
        }
        for (int r = 0; r < 4; r++)
            y[n + r] = _mm512_reduce_add_ps(a[r]);
    }
}

static void row(float *acc, const float *w, float xk)
{
    __m512 xv = _mm512_set1_ps(xk);
    for (int j = 0; j < B; j += 16)
        _mm512_storeu_ps(acc + j, _mm512_fmadd_ps(xv, _mm512_loadu_ps(w + j), _mm512_loadu_ps(acc + j)));
}

/* group 0: no skipping; else runs of `group` inputs skipped when all are zero */
static void blocked(int group)
{
#pragma omp parallel for schedule(static) num_threads(NT)
    for (int nb = 0; nb < N; nb += B) {
        float *acc = y + nb;
        const float *wb = WB + (size_t)nb * K;
        memset(acc, 0, B * sizeof(float));
        int g = group ? group : 1;
        for (int k0 = 0; k0 < K; k0 += g) {
            int any = !group;
            for (int k = k0; k < k0 + g && k < K; k++)
                any |= x[k] != 0.0f;
            if (any)
                for (int k = k0; k < k0 + g && k < K; k++)
                    row(acc, wb + (size_t)k * B, x[k]);
        }
    }
}

static int cmp(const void *a, const void *b)
{
    double d = *(const double *)a - *(const double *)b;
    return (d > 0) - (d < 0);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s THREADS K N ZERO_FRACTION [X_FILE]\n", argv[0]);
        return 2;
    }
    NT = atoi(argv[1]), K = atoi(argv[2]), N = atoi(argv[3]);
    double zeros = atof(argv[4]);
    if (N % B || K % 16) {
        fprintf(stderr, "N must be a multiple of %d and K of 16\n", B);
        return 2;
    }
    W = aligned_alloc(64, (size_t)K * N * 4), WB = aligned_alloc(64, (size_t)K * N * 4);
    x = aligned_alloc(64, (size_t)K * 4), y = aligned_alloc(64, (size_t)N * 4);
    srand(1);
    if (argc > 5) {
        FILE *f = fopen(argv[5], "rb");
        if (!f || fread(x, 4, K, f) != (size_t)K) {
            fprintf(stderr, "cannot read %d floats from %s\n", K, argv[5]);
            return 1;
        }
        fclose(f);
    } else {
        for (int k = 0; k < K; k++)
            x[k] = rand() < zeros * RAND_MAX ? 0.0f : (rand() % 100) / 100.0f + 0.01f;
    }
    for (size_t i = 0; i < (size_t)K * N; i++)
        W[i] = (rand() % 1000) / 1000.0f - 0.5f;
    for (size_t nb = 0; nb < (size_t)N; nb += B)
        for (size_t k = 0; k < (size_t)K; k++)
            for (int j = 0; j < B; j++)
                WB[nb * K + k * B + j] = W[(nb + j) * K + k];
    const char *names[] = {"gemv4", "blocked", "skip1", "group8"};
    static double t[4][RUNS];
    for (int r = 0; r < RUNS; r++)
        for (int v = 0; v < 4; v++) {
            double t0 = now();
            if (v == 0)
                gemv4();
            else
                blocked(v == 1 ? 0 : v == 2 ? 1 : 8);
            t[v][r] = now() - t0;
        }
    for (int v = 0; v < 4; v++) {
        qsort(t[v], RUNS, sizeof(double), cmp);
        printf("%-8s %.3f ms\n", names[v], t[v][RUNS / 2]);
    }
    return 0;
}
