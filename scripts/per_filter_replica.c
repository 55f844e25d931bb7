/* A synthetic replica of the per-filter pattern-conv nest (per-kernel pruning, PatDNN's
 * default): VGG-16's 256 -> 256 conv at 56x56 (or 28x28 with -DW=28), 71 kept kernels per
 * filter (connectivity 3.6) sorted into 8 pattern runs of ascending channels, a register
 * tile of 4 rows x 4 vectors of 16 floats, row blocks of 8 rows, the next kernel's input
 * lines prefetched (docs/performance.md, "The per-filter nest on a busy Xeon"). Variants:
 *   as built          what patcc emits (rows of W + 2 floats, every tap an unaligned load)
 *   centre-aligned    rows padded to a multiple of 16 floats, placed so that the centre
 *                     column's taps (kw = 1) load 64-byte aligned
 *   aligned+valignd   the same rows, every tap from aligned loads: kw = 0 and 2 by valignd
 *                     of two neighbouring vectors (a port-5 shuffle instead of a split load)
 *   built+valignd     rows as built, kw = 0 and 2 by valignd of the centre column's unaligned
 *                     loads where the neighbouring vector is 16 floats away (the layout
 *                     unchanged: a register-level rewrite LRE could do)
 *   runs outside      each pattern run over all the row tiles of the block, partial sums in
 *                     the output: 4 of a tile's 6 input rows are new, 2 come from L1
 *   channel blocks    blocks of CB (16) channels outside the filters: a block's rows stay
 *                     in L1 for every filter; partial sums in the output
 *   kw accumulators   rows of PW_ALIGNED floats with padded column 0 on a 64-byte boundary,
 *                     every tap an aligned load at its output's own column: one set of
 *                     accumulators per kw (tap column) in input coordinates, a tile of 2
 *                     rows x NV vectors (3 x 2 x 4 = 24 accumulators at W = 56), the sets
 *                     summed once per tile by valignd (shift by kw). No split load, no
 *                     extra FMA (the row's last vector is partial), 0.5 input lines per FMA
 *                     (4 rows x 4 lines per 32) against the built tile's 0.4.
 *   input stationary  per row tile (2 rows x 1 vector) every filter's tile in a buffer,
 *                     per (channel, pattern) its 4 x 2 input vectors loaded once for every
 *                     filter with that kernel, weights in (channel, pattern) order
 *                     (input_stationary below)
 * L1=1 makes every kernel read channel 0 (all inputs in L1, wrong sums, the same
 * instructions): the bound for any blocking. Outputs of "runs outside" are checked equal
 * to "as built". Median of 11 runs, 3 rounds, one thread.
 *
 *   gcc -O3 -march=native scripts/per_filter_replica.c -o /tmp/pf -lm && /tmp/pf && L1=1 /tmp/pf
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#ifndef W
#define W 56
#endif
#define H W
#define C 256
#define F 256
#ifndef NK
#define NK 71 /* kept kernels per filter: connectivity 3.6 (-DNK=256: pattern-only) */
#endif
#define NP 8
#define CB 16
#define NV ((W + 15) / 16)
#if W == 56
#define PW_BUILT 58 /* W + 2 */
#define PW_ALIGNED 80
#define OFFS_BUILT {0, 16, 32, 40} /* the last vector overlaps, as patcc clamps it */
#define OFFS_ALIGNED {0, 16, 32, 48}
#else
#define PW_BUILT 30
#define PW_ALIGNED 48
#define OFFS_BUILT {0, 12, 0, 0}
#define OFFS_ALIGNED {0, 16, 0, 0}
#endif
#define ALIGNED_BASE 15 /* padded column 1 of every row on a 64-byte boundary */

static const int pats[NP][4][2] = {
    {{1, 1}, {0, 1}, {1, 0}, {1, 2}}, {{1, 1}, {0, 0}, {0, 1}, {2, 1}}, {{1, 1}, {1, 2}, {2, 2}, {0, 1}},
    {{1, 1}, {2, 0}, {2, 1}, {1, 0}}, {{1, 1}, {0, 2}, {1, 2}, {2, 1}}, {{1, 1}, {0, 0}, {1, 0}, {2, 2}},
    {{1, 1}, {2, 1}, {2, 2}, {1, 0}}, {{1, 1}, {0, 1}, {0, 2}, {2, 0}}};
static int32_t idx[F][NK], pat_of[F][NK], run_start[F][NP + 1], block_start[F][C / CB + 1];
static int32_t cb_idx[F][NK], cb_pat[F][NK];
static float *wt;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Huge pages, as numpy gives patcc's runtime for its workspace. */
static float *alloc_floats(size_t n) {
    size_t a = 2u << 20, bytes = (n * 4 + a - 1) / a * a;
    char *p = mmap(0, bytes + a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *q = (char *)(((uintptr_t)p + a - 1) / a * a);
    madvise(q, bytes, MADV_HUGEPAGE);
    return (float *)q;
}

/* Vector v of a row (aligned at its centre column) shifted by kw - 1 columns. */
static inline __attribute__((always_inline)) __m512 shifted(const float *row, int kw, int v) {
    __m512i x = _mm512_castps_si512(_mm512_load_ps(row + 16 * v));
    if (kw == 1) return _mm512_castsi512_ps(x);
    if (kw == 2)
        return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_load_ps(row + 16 * v + 16)), x, 1));
    return _mm512_castsi512_ps(_mm512_alignr_epi32(x, _mm512_castps_si512(_mm512_load_ps(row + 16 * v - 16)), 15));
}

/* Vector v of a row of the built layout (padded column 0 at `row`), shifted by kw - 1
 * columns: kw = 0 and 2 by valignd of two unaligned centre-column loads where the
 * neighbouring vector lies 16 floats away, else loaded (the clamped last vector). */
static inline __attribute__((always_inline)) __m512 shifted_built(const float *row, int kw, int v,
                                                                  const int *off) {
    __m512i x = _mm512_castps_si512(_mm512_loadu_ps(row + 1 + off[v]));
    if (kw == 1) return _mm512_castsi512_ps(x);
    if (kw == 2 && v + 1 < NV && off[v + 1] - off[v] == 16)
        return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_loadu_ps(row + 1 + off[v + 1])), x, 1));
    if (kw == 0 && v > 0 && off[v] - off[v - 1] == 16)
        return _mm512_castsi512_ps(_mm512_alignr_epi32(x, _mm512_castps_si512(_mm512_loadu_ps(row + 1 + off[v - 1])), 15));
    return _mm512_loadu_ps(row + kw + off[v]);
}

/* One kernel of pattern P on the tile: unaligned loads (the shared rows of a tap column
 * are one load after gcc's CSE, as after patcc's LRE), or with SHUFFLE aligned loads and
 * `valignd` (rows aligned at their centre column); SHUFFLE = 3: the kw accumulators, each
 * tap's aligned vectors of its row (r + kh) added to the set of its column kw (3 sets of
 * 2 rows x NV vectors). */
static inline __attribute__((always_inline)) void tile_kernel(__m512 *a, const float *p, const float *w,
                                                              int pw, const int *off, int P, int SHUFFLE) {
#pragma GCC unroll 4
    for (int t = 0; t < 4; t++) {
        __m512 b = _mm512_set1_ps(w[t]);
        const int kh = pats[P][t][0], kw = pats[P][t][1];
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) {
                if (SHUFFLE == 3 && r >= 2) continue; /* the kw tile has 2 rows */
                const float *row = p + (r + kh) * pw;
                __m512 x = SHUFFLE == 3   ? _mm512_load_ps(row + 16 * v)
                           : SHUFFLE == 2 ? shifted_built(row, kw, v, off)
                           : SHUFFLE      ? shifted(row + 1, kw, v)
                                          : _mm512_loadu_ps(row + kw + off[v]);
                const int i = (SHUFFLE == 3 ? kw * 2 * NV : 0) + r * NV + v;
                a[i] = _mm512_fmadd_ps(x, b, a[i]);
            }
    }
}

#define kernel(a, p, w, pw, off, P) tile_kernel(a, p, w, pw, off, P, 0)
#define kernel_valignd(a, p, w, pw, off, P) tile_kernel(a, p, w, pw, off, P, 1)
#define kernel_built_valignd(a, p, w, pw, off, P) tile_kernel(a, p, w, pw, off, P, 2)

#define DISPATCH(KERNEL, a, p, w, pw, off, P)                                  \
    switch (P) {                                                               \
    case 0: KERNEL(a, p, w, pw, off, 0); break;                                \
    case 1: KERNEL(a, p, w, pw, off, 1); break;                                \
    case 2: KERNEL(a, p, w, pw, off, 2); break;                                \
    case 3: KERNEL(a, p, w, pw, off, 3); break;                                \
    case 4: KERNEL(a, p, w, pw, off, 4); break;                                \
    case 5: KERNEL(a, p, w, pw, off, 5); break;                                \
    case 6: KERNEL(a, p, w, pw, off, 6); break;                                \
    default: KERNEL(a, p, w, pw, off, 7); break;                               \
    }

static inline void prefetch_rows(const float *n, int pw, int from) {
    for (int r = from; r < 6; r++)
        for (int l = 0; l <= W + 1; l += 16) _mm_prefetch((const char *)(n + r * pw + l), _MM_HINT_T0);
}

static inline void store_tile(float *out, const __m512 *a, int f, int oh, int pw, int base, const int *off,
                              int relu, int masked) {
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < NV; v++) {
            float *o = out + base + (size_t)f * pw * (H + 2) + (oh + r + 1) * pw + 1 + off[v];
            __m512 y = relu ? _mm512_max_ps(a[r * NV + v], _mm512_setzero_ps()) : a[r * NV + v];
            if (masked && v == NV - 1)
                _mm512_mask_storeu_ps(o, (__mmask16)((1u << (W - off[v])) - 1), y);
            else
                _mm512_storeu_ps(o, y);
        }
}

/* The partial sums of a tile of the built layout (zeros for the first kernels). */
static inline void load_tile(__m512 *a, const float *out, int f, int oh, const int *off, int first) {
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < NV; v++)
            a[r * NV + v] = first ? _mm512_setzero_ps()
                                  : _mm512_loadu_ps(out + (size_t)f * PW_BUILT * (H + 2) + (oh + r + 1) * PW_BUILT + 1 + off[v]);
}

/* for row block, filter, row tile: all of the filter's kernels, accumulators in registers */
#define NEST(NAME, KERNEL, PW, BASE, OFFS, MASKED)                                                   \
    __attribute__((noinline)) void NAME(const float *in, float *out) {                              \
        static const int off[4] = OFFS;                                                              \
        const int ch = PW * (H + 2);                                                                 \
        for (int ohb = 0; ohb < H; ohb += 8)                                                         \
            for (int f = 0; f < F; f++)                                                              \
                for (int oh = ohb; oh < ohb + 8 && oh < H; oh += 4) {                                \
                    __m512 a[16];                                                                    \
                    for (int i = 0; i < 16; i++) a[i] = _mm512_setzero_ps();                         \
                    for (int k = 0; k < NK; k++) {                                                   \
                        const float *p = in + BASE + (size_t)idx[f][k] * ch + oh * PW;               \
                        prefetch_rows(in + BASE + (size_t)idx[f][k + 1 < NK ? k + 1 : k] * ch + oh * PW, \
                                      PW, 0);                                                        \
                        DISPATCH(KERNEL, a, p, wt + ((size_t)f * NK + k) * 4, PW, off, pat_of[f][k]) \
                    }                                                                                \
                    store_tile(out, a, f, oh, PW, BASE, off, 1, MASKED);                             \
                }                                                                                    \
    }
NEST(as_built, kernel, PW_BUILT, 0, OFFS_BUILT, 0)
NEST(centre_aligned, kernel, PW_ALIGNED, ALIGNED_BASE, OFFS_ALIGNED, 1)
NEST(aligned_valignd, kernel_valignd, PW_ALIGNED, ALIGNED_BASE, OFFS_ALIGNED, 1)
NEST(built_valignd, kernel_built_valignd, PW_BUILT, 0, OFFS_BUILT, 0)

#define kernel_kw(a, p, w, pw, off, P) tile_kernel(&a[0][0][0], p, w, pw, off, P, 3)

/* Output vector v of row r: set kw's lanes kw .. kw + 15 from vector v on (valignd). */
static inline __m512 kw_sum(__m512 a[3][2][NV], int r, int v) {
    const __m512i z = _mm512_setzero_si512();
    const __m512i h1 = v + 1 < NV ? _mm512_castps_si512(a[1][r][v + 1]) : z;
    const __m512i h2 = v + 1 < NV ? _mm512_castps_si512(a[2][r][v + 1]) : z;
    __m512 y = _mm512_add_ps(a[0][r][v], _mm512_castsi512_ps(_mm512_alignr_epi32(h1, _mm512_castps_si512(a[1][r][v]), 1)));
    return _mm512_add_ps(y, _mm512_castsi512_ps(_mm512_alignr_epi32(h2, _mm512_castps_si512(a[2][r][v]), 2)));
}

/* for row block, filter, tile of 2 rows: inputs in the aligned layout, outputs as built */
__attribute__((noinline)) void kw_accumulators(const float *in, float *out) {
    const int pw = PW_ALIGNED, ch = pw * (H + 2);
    for (int ohb = 0; ohb < H; ohb += 8)
        for (int f = 0; f < F; f++)
            for (int oh = ohb; oh < ohb + 8 && oh < H; oh += 2) {
                __m512 a[3][2][NV];
                for (int i = 0; i < 3; i++)
                    for (int r = 0; r < 2; r++)
                        for (int v = 0; v < NV; v++) a[i][r][v] = _mm512_setzero_ps();
                for (int k = 0; k < NK; k++) {
                    const float *n = in + (size_t)idx[f][k + 1 < NK ? k + 1 : k] * ch + oh * pw;
                    for (int r = 0; r < 4; r++)
                        for (int l = 0; l < 16 * NV; l += 16) _mm_prefetch((const char *)(n + r * pw + l), _MM_HINT_T0);
                    DISPATCH(kernel_kw, a, in + (size_t)idx[f][k] * ch + oh * pw, wt + ((size_t)f * NK + k) * 4, pw, 0,
                             pat_of[f][k])
                }
                for (int r = 0; r < 2; r++)
                    for (int v = 0; v < NV; v++) {
                        float *o = out + (size_t)f * PW_BUILT * (H + 2) + (oh + r + 1) * PW_BUILT + 1 + 16 * v;
                        __m512 y = _mm512_max_ps(kw_sum(a, r, v), _mm512_setzero_ps());
                        if (16 * v + 16 > W)
                            _mm512_mask_storeu_ps(o, (__mmask16)((1u << (W - 16 * v)) - 1), y);
                        else
                            _mm512_storeu_ps(o, y);
                    }
            }
}

/* for row block, filter, pattern run, row tile: partial sums in the output */
__attribute__((noinline)) void runs_outside(const float *in, float *out) {
    static const int off[4] = OFFS_BUILT;
    const int pw = PW_BUILT, ch = pw * (H + 2);
    for (int ohb = 0; ohb < H; ohb += 8)
        for (int f = 0; f < F; f++)
            for (int pp = 0; pp < NP; pp++) {
                int k0 = run_start[f][pp], k1 = run_start[f][pp + 1];
                if (k0 == k1 && k1 != NK) continue;
                for (int oh = ohb; oh < ohb + 8 && oh < H; oh += 4) {
                    __m512 a[16];
                    load_tile(a, out, f, oh, off, k0 == 0);
                    for (int k = k0; k < k1; k++) {
                        int next = k + 1 < k1 ? k + 1 : k0, next_oh = k + 1 < k1 ? oh : oh + 4;
                        prefetch_rows(in + (size_t)idx[f][next] * ch + next_oh * pw, pw, next_oh == ohb ? 0 : 2);
                        DISPATCH(kernel, a, in + (size_t)idx[f][k] * ch + oh * pw, wt + ((size_t)f * NK + k) * 4, pw,
                                 off, pp)
                    }
                    store_tile(out, a, f, oh, pw, 0, off, k1 == NK, 0);
                }
            }
}

/* for row block, channel block, filter, row tile: the filter's kernels in the block */
__attribute__((noinline)) void channel_blocks(const float *in, float *out) {
    static const int off[4] = OFFS_BUILT;
    const int pw = PW_BUILT, ch = pw * (H + 2);
    for (int ohb = 0; ohb < H; ohb += 8)
        for (int cb = 0; cb < C / CB; cb++)
            for (int f = 0; f < F; f++)
                for (int oh = ohb; oh < ohb + 8 && oh < H; oh += 4) {
                    __m512 a[16];
                    load_tile(a, out, f, oh, off, cb == 0);
                    for (int k = block_start[f][cb]; k < block_start[f][cb + 1]; k++)
                        DISPATCH(kernel, a, in + (size_t)cb_idx[f][k] * ch + oh * pw, wt + ((size_t)f * NK + k) * 4,
                                 pw, off, cb_pat[f][k])
                    store_tile(out, a, f, oh, pw, 0, off, cb == C / CB - 1, 0);
                }
}

/* Input stationary: per row tile (RI rows x 1 vector) the tiles of every filter in a
 * buffer (F x RI vectors: 32 KB at RI = 2), and per (channel, pattern) the pattern's 4 x RI
 * input vectors loaded once into registers and fed to every filter with that kernel; the
 * buffer is read and written once per kernel instead of the input lines (sums in channel
 * order: within rounding of "as built"). */
#define RI 2
static int32_t cp_start[C * NP + 1], cp_filter[F * NK];
static float *cp_wt; /* the kernels' weights in (channel, pattern, filter) order: one stream */

static void index_by_channel(void) {
    int32_t count[C * NP] = {0};
    for (int f = 0; f < F; f++)
        for (int k = 0; k < NK; k++) count[idx[f][k] * NP + pat_of[f][k]]++;
    for (int i = 0; i < C * NP; i++) cp_start[i + 1] = cp_start[i] + count[i], count[i] = 0;
    for (int f = 0; f < F; f++)
        for (int k = 0; k < NK; k++) {
            const int i = idx[f][k] * NP + pat_of[f][k], at = cp_start[i] + count[i]++;
            cp_filter[at] = f;
            for (int t = 0; t < 4; t++) cp_wt[at * 4 + t] = wt[((size_t)f * NK + k) * 4 + t];
        }
}

__attribute__((noinline)) void input_stationary(const float *in, float *out) {
    static const int off[4] = OFFS_BUILT;
    static __m512 tile[F][RI];
    const int pw = PW_BUILT, ch = pw * (H + 2);
    for (int oh = 0; oh < H; oh += RI)
        for (int v = 0; v < NV; v++) {
            for (int f = 0; f < F; f++)
                for (int r = 0; r < RI; r++) tile[f][r] = _mm512_setzero_ps();
            for (int c = 0; c < C; c++)
                for (int P = 0; P < NP; P++) {
                    const int k0 = cp_start[c * NP + P], k1 = cp_start[c * NP + P + 1];
                    if (k0 == k1) continue;
                    const float *p = in + (size_t)c * ch + oh * pw + off[v];
                    __m512 x[4][RI];
                    for (int t = 0; t < 4; t++)
                        for (int r = 0; r < RI; r++)
                            x[t][r] = _mm512_loadu_ps(p + (r + pats[P][t][0]) * pw + pats[P][t][1]);
                    for (int k = k0; k < k1; k++) {
                        const float *w = cp_wt + (size_t)k * 4;
                        const __m512 w0 = _mm512_set1_ps(w[0]), w1 = _mm512_set1_ps(w[1]);
                        const __m512 w2 = _mm512_set1_ps(w[2]), w3 = _mm512_set1_ps(w[3]);
                        __m512 *a = tile[cp_filter[k]];
                        for (int r = 0; r < RI; r++)
                            a[r] = _mm512_fmadd_ps(x[3][r], w3, _mm512_fmadd_ps(x[2][r], w2,
                                   _mm512_fmadd_ps(x[1][r], w1, _mm512_fmadd_ps(x[0][r], w0, a[r]))));
                    }
                }
            for (int f = 0; f < F; f++)
                for (int r = 0; r < RI; r++)
                    _mm512_storeu_ps(out + (size_t)f * pw * (H + 2) + (oh + r + 1) * pw + 1 + off[v],
                                     _mm512_max_ps(tile[f][r], _mm512_setzero_ps()));
        }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* sort kernels by (key1, key2, channel) */
static void sort_kernels(int32_t *ch, int32_t *pat, int by_block) {
    for (int i = 0; i < NK; i++)
        for (int j = i + 1; j < NK; j++) {
            int bi = by_block ? ch[i] / CB : 0, bj = by_block ? ch[j] / CB : 0;
            if (bj < bi || (bj == bi && (pat[j] < pat[i] || (pat[j] == pat[i] && ch[j] < ch[i])))) {
                int32_t t = ch[i]; ch[i] = ch[j]; ch[j] = t;
                t = pat[i]; pat[i] = pat[j]; pat[j] = t;
            }
        }
}

int main(void) {
    size_t n = (size_t)C * (H + 2) * PW_ALIGNED + 4096;
    float *in = alloc_floats(n), *out = alloc_floats(n), *ref = malloc(n * 4);
    wt = malloc((size_t)F * NK * 4 * sizeof(float));
    for (size_t i = 0; i < n; i++) in[i] = (float)(i % 13) * 0.01f, out[i] = 0;
    for (size_t i = 0; i < (size_t)F * NK * 4; i++) wt[i] = (float)(i % 7) * 0.1f - 0.3f;
    int in_l1 = getenv("L1") != NULL;
    srand(1);
    for (int f = 0; f < F; f++) {
        int perm[C];
        for (int i = 0; i < C; i++) perm[i] = i;
        for (int i = C - 1; i > 0; i--) {
            int j = rand() % (i + 1), t = perm[i];
            perm[i] = perm[j], perm[j] = t;
        }
        for (int k = 0; k < NK; k++) idx[f][k] = cb_idx[f][k] = perm[k], pat_of[f][k] = cb_pat[f][k] = rand() % NP;
        sort_kernels(idx[f], pat_of[f], 0);
        sort_kernels(cb_idx[f], cb_pat[f], 1);
        for (int p = 0, k = 0; p <= NP; p++) {
            while (k < NK && pat_of[f][k] < p) k++;
            run_start[f][p] = k;
        }
        for (int b = 0, k = 0; b <= C / CB; b++) {
            while (k < NK && cb_idx[f][k] / CB < b) k++;
            block_start[f][b] = k;
        }
        if (in_l1)
            for (int k = 0; k < NK; k++) idx[f][k] = cb_idx[f][k] = 0;
    }
    as_built(in, out);
    for (size_t i = 0; i < n; i++) ref[i] = out[i];
    runs_outside(in, out);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += ref[i] != out[i];
    printf("runs outside vs as built: %zu outputs differ\n", differ);
    built_valignd(in, out);
    differ = 0;
    for (size_t i = 0; i < n; i++) differ += ref[i] != out[i];
    printf("built+valignd vs as built: %zu outputs differ\n", differ);
    /* kw accumulators read a copy of the input with rows of PW_ALIGNED floats, column 0 aligned */
    float *ina = alloc_floats(n);
    for (size_t i = 0; i < (size_t)C * (H + 2); i++)
        for (int x = 0; x < PW_ALIGNED; x++) ina[i * PW_ALIGNED + x] = x < PW_BUILT ? in[i * PW_BUILT + x] : 0;
    kw_accumulators(ina, out);
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)ref[i] - out[i]));
    printf("kw accumulators vs as built: max |difference| %g (sums in another order)\n", worst);
    cp_wt = malloc((size_t)F * NK * 4 * sizeof(float));
    index_by_channel();
    input_stationary(in, out);
    worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)ref[i] - out[i]));
    printf("input stationary vs as built: max |difference| %g (sums in another order)\n", worst);
    void (*nests[8])(const float *, float *) = {as_built,     centre_aligned, aligned_valignd, built_valignd,
                                                 runs_outside, channel_blocks, kw_accumulators, input_stationary};
    const char *names[8] = {"as built",     "centre-aligned", "aligned+valignd", "built+valignd",
                            "runs outside", "channel blocks", "kw accumulators", "input stationary"};
    for (int round = 0; round < 3; round++)
        for (int v = 0; v < 8; v++) {
            double ts[11];
            for (int r = 0; r < 11; r++) {
                double t0 = now();
                nests[v](v == 6 ? ina : in, out);
                ts[r] = now() - t0;
            }
            qsort(ts, 11, sizeof(double), cmp);
            printf("W=%d%s %-16s %6.2f ms %6.1f GFLOP/s\n", W, in_l1 ? " (L1)" : "", names[v], ts[5] * 1e3,
                   2.0 * H * W * F * NK * 4 / ts[5] * 1e-9);
        }
    return 0;
}
