/* Is VGG-16's first classifier layer (FC1, 25088 -> 4096) bound by memory? Its weights in
 * the K-major blocks of skip-zero-inputs (512 outputs per block, 2 KB per input), the input
 * with a third of its 512 channels of 49 dead (all zero) and 15 % zeros elsewhere (43 % in
 * all, as pool5 of the built-in model), timed as
 *   skip1     what patcc emits on Intel hosts: a test per input, its 2 KB run skipped if 0,
 *   list      the same over a list of the non-zero inputs,
 *   stream    a plain sum over the same runs (no FMA, no accumulator traffic): the bound,
 *   listpf    the list, each input prefetching the run D inputs ahead (hint T0/T1/T2),
 *   lockL     L blocks in lockstep: each non-zero input adds its run of each of the L
 *             blocks (K x B floats apart) in turn, so one core reads L streams at once
 *             (what skip-zero-inputs{streams=L} emits).
 * Median ms of 15 interleaved runs each; every variant's output equals skip1's.
 * docs/performance.md, "FC1 streams at the memory's rate".
 *
 *   gcc -O3 -march=native -fopenmp scripts/gemv_prefetch.c -o /tmp/gemv_prefetch
 *   /tmp/gemv_prefetch THREADS
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define B 512
#define RUNS 15
#define K 25088
#define N 4096
static int NT = 1, D = 2, HINT = 0, nnz;
static float *WB, *x, *y, sink;
static int *nz;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static inline void row(float *acc, const float *w, float xk)
{
    __m512 xv = _mm512_set1_ps(xk);
    for (int j = 0; j < B; j += 16)
        _mm512_storeu_ps(acc + j, _mm512_fmadd_ps(xv, _mm512_loadu_ps(w + j), _mm512_loadu_ps(acc + j)));
}

static void nonzeros(void)
{
    nnz = 0;
    for (int k = 0; k < K; k++)
        if (x[k] != 0.0f)
            nz[nnz++] = k;
}

static void prefetch_run(const char *p)
{
    for (int l = 0; l < B * 4; l += 64) {
        if (HINT == 0)
            _mm_prefetch(p + l, _MM_HINT_T0);
        else if (HINT == 1)
            _mm_prefetch(p + l, _MM_HINT_T1);
        else
            _mm_prefetch(p + l, _MM_HINT_T2);
    }
}

static void skip1(void)
{
#pragma omp parallel for schedule(static) num_threads(NT)
    for (int nb = 0; nb < N; nb += B) {
        float *acc = y + nb;
        const float *w = WB + (size_t)nb * K;
        memset(acc, 0, B * 4);
        for (int k = 0; k < K; k++)
            if (x[k] != 0.0f)
                row(acc, w + (size_t)k * B, x[k]);
    }
}

static void list(int prefetch)
{
    nonzeros();
#pragma omp parallel for schedule(static) num_threads(NT)
    for (int nb = 0; nb < N; nb += B) {
        float *acc = y + nb;
        const float *w = WB + (size_t)nb * K;
        memset(acc, 0, B * 4);
        for (int i = 0; i < nnz; i++) {
            if (prefetch)
                prefetch_run((const char *)(w + (size_t)nz[i + D < nnz ? i + D : nnz - 1] * B));
            row(acc, w + (size_t)nz[i] * B, x[nz[i]]);
        }
    }
}

static void stream(void)
{
    float total = 0;
    nonzeros();
#pragma omp parallel for schedule(static) num_threads(NT) reduction(+ : total)
    for (int nb = 0; nb < N; nb += B) {
        const float *w = WB + (size_t)nb * K;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < nnz; i++) {
            const float *r = w + (size_t)nz[i] * B;
            for (int j = 0; j < B; j += 64) {
                a0 = _mm512_add_ps(a0, _mm512_loadu_ps(r + j));
                a1 = _mm512_add_ps(a1, _mm512_loadu_ps(r + j + 16));
                a2 = _mm512_add_ps(a2, _mm512_loadu_ps(r + j + 32));
                a3 = _mm512_add_ps(a3, _mm512_loadu_ps(r + j + 48));
            }
        }
        total += _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
    sink = total;
}

static void lockstep(int lanes)
{
    nonzeros();
#pragma omp parallel for schedule(static) num_threads(NT)
    for (int nb = 0; nb < N; nb += lanes * B) {
        memset(y + nb, 0, (size_t)lanes * B * 4);
        for (int i = 0; i < nnz; i++)
            for (int l = 0; l < lanes; l++)
                row(y + nb + l * B, WB + (size_t)(nb + l * B) * K + (size_t)nz[i] * B, x[nz[i]]);
    }
}

static int cmp(const void *a, const void *b)
{
    double d = *(const double *)a - *(const double *)b;
    return d < 0 ? -1 : d > 0;
}

#define VARIANTS 11
static const char *names[VARIANTS] = {"skip1", "list", "stream", "listpf D1 T0", "listpf D2 T0",
                                      "listpf D4 T0", "listpf D8 T0", "listpf D2 T1", "listpf D4 T2",
                                      "lock2", "lock4"};
static const int dist[VARIANTS] = {0, 0, 0, 1, 2, 4, 8, 2, 4, 0, 0};
static const int hint[VARIANTS] = {0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0};

static void run(int v)
{
    if (v == 0)
        skip1();
    else if (v == 1)
        list(0);
    else if (v == 2)
        stream();
    else if (v >= 9)
        lockstep(v == 9 ? 2 : 4);
    else {
        D = dist[v], HINT = hint[v];
        list(1);
    }
}

int main(int argc, char **argv)
{
    NT = argc > 1 ? atoi(argv[1]) : 1;
    WB = aligned_alloc(64, (size_t)K * N * 4);
    x = aligned_alloc(64, K * 4);
    y = aligned_alloc(64, N * 4);
    nz = malloc(K * sizeof(int));
    for (size_t i = 0; i < (size_t)K * N; i++)
        WB[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    srand(1);
    for (int c = 0; c < 512; c++) {
        int dead = rand() % 3 == 0;
        for (int i = 0; i < 49; i++) {
            float v = (float)rand() / RAND_MAX;
            x[c * 49 + i] = dead || v < 0.15f ? 0.0f : v;
        }
    }
    nonzeros();
    printf("zero inputs %.1f %%\n", 100.0 * (K - nnz) / K);
    static float ref[N];
    static double t[VARIANTS][RUNS];
    skip1();
    memcpy(ref, y, sizeof ref);
    for (int r = 0; r < RUNS; r++)
        for (int i = 0; i < VARIANTS; i++) {
            int v = (i + r) % VARIANTS;
            double t0 = now();
            run(v);
            t[v][r] = now() - t0;
            if (v != 2 && memcmp(y, ref, sizeof ref) != 0) {
                printf("%s: output differs\n", names[v]);
                return 1;
            }
        }
    for (int v = 0; v < VARIANTS; v++) {
        qsort(t[v], RUNS, sizeof(double), cmp);
        double ms = t[v][RUNS / 2];
        printf("%-13s %7.2f ms  %5.1f GB/s\n", names[v], ms, (double)nnz * N * 4 / 1e6 / ms);
    }
    return 0;
}
