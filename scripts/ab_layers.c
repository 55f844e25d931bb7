/* Two x86 builds' layers timed in turns, with no Python: for machines that lack patcc's
 * environment (the device machine) or to rule out the Python loop.
 *
 * Each build's model.c is first instrumented as scripts/layer_profile.py does (a clock
 * around every layer call of patcc_run, `instrument`) and built as a shared library with
 * the build's Makefile line; this driver dlopens both, feeds them one arbitrary input,
 * runs them in turns (a warm-up round, then RUNS rounds, each round starting with the
 * other build), and prints each layer's median in ms and the ratio A/B, then the whole
 * call's. FLUSH=MB sweeps that many MB before every call (a cold start, as after
 * VGG-16's classifier stream or another runtime). The outputs of the two builds are
 * compared (max squared difference; 0 for builds meant to be bit-identical).
 *
 *   .venv/bin/python -c "from patcc.bench.layer_profile import instrument; \
 *       from pathlib import Path; \
 *       src, names = instrument(Path('A/model.c').read_text()); \
 *       Path('A_prof/model.c').write_text(src); print(len(names))"      # likewise for B
 *   (cd A_prof && cp ../A/weights.bin . && gcc -O3 -mavx512f ... -fopenmp -fPIC -shared \
 *       model.c -lm -o libmodel.so)                                        # the Makefile line
 *   gcc -O2 -Iscripts scripts/ab_layers.c -o /tmp/ab -ldl
 *   FLUSH=1024 /tmp/ab THREADS RUNS LAYERS A_prof B_prof
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

#define MAX_RUNS 64 /* layer_profile.py's MAX_RUNS: the instrumented clocks' slots */

typedef void (*run_fn)(const float *const *, float *const *, const void *, void *, int);
typedef size_t (*size_fn)(void);
typedef size_t (*elems_fn)(int);

typedef struct {
    run_fn run;
    double (*get)(int, int);
    int *it;
    void *weights, *workspace;
    float *in, *out;
    size_t nout;
} Build;

static void *aligned(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64); }

static void *symbol(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "ab_layers: %s missing (an instrumented patcc build?)\n", name);
        exit(2);
    }
    return p;
}

static Build load(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/libmodel.so", dir);
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "ab_layers: %s\n", dlerror());
        exit(2);
    }
    Build b;
    b.run = (run_fn)symbol(lib, "patcc_run");
    b.get = (double (*)(int, int))symbol(lib, "prof_get");
    b.it = (int *)symbol(lib, "prof_it");
    size_t workspace = ((size_fn)symbol(lib, "patcc_workspace_bytes"))();
    size_t nin = ((elems_fn)symbol(lib, "patcc_input_elems"))(0);
    b.nout = ((elems_fn)symbol(lib, "patcc_output_elems"))(0);
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ab_layers: %s: cannot open\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.weights = aligned(n);
    if (fread(b.weights, 1, n, f) != n) exit(2);
    fclose(f);
    b.workspace = aligned(workspace);
    b.in = aligned(nin * sizeof(float));
    b.out = aligned(b.nout * sizeof(float));
    for (size_t i = 0; i < nin; i++) b.in[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    return b;
}

static double median(const double *v, int n) {
    double sorted[MAX_RUNS];
    memcpy(sorted, v, n * sizeof *v);
    return median_ms(sorted, n);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: ab_layers THREADS RUNS LAYERS BUILD_A BUILD_B\n");
        return 2;
    }
    int threads = atoi(argv[1]), runs = atoi(argv[2]), layers = atoi(argv[3]);
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "ab_layers: RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    Build builds[2] = {load(argv[4]), load(argv[5])};
    size_t flush_bytes = getenv("FLUSH") ? (size_t)atol(getenv("FLUSH")) << 20 : 0;
    volatile char *flush = flush_bytes ? malloc(flush_bytes) : NULL;
    if (flush) memset((char *)flush, 1, flush_bytes);
    double whole[2][MAX_RUNS];
    for (int r = -1; r < runs; r++) {     /* round -1: the warm-up, its clocks to no slot */
        for (int k = 0; k < 2; k++) {
            int which = (r + 2 + k) % 2; /* each round starts with the other build */
            Build *b = &builds[which];
            *b->it = r < 0 ? MAX_RUNS : r;
            if (flush) {
                long sum = 0;
                for (size_t i = 0; i < flush_bytes; i += 64) sum += flush[i];
                flush[0] = (char)sum;
            }
            const float *ins[1] = {b->in};
            float *outs[1] = {b->out};
            double t0 = now_ms();
            b->run(ins, outs, b->weights, b->workspace, threads);
            if (r >= 0) whole[which][r] = now_ms() - t0;
        }
    }
    double diff = 0;
    for (size_t i = 0; i < builds[0].nout; i++) {
        double e = (double)builds[0].out[i] - builds[1].out[i];
        diff = e * e > diff ? e * e : diff;
    }
    printf("threads %d, %d runs in turns; max squared difference A - B %g\n", threads, runs, diff);
    for (int l = 0; l < layers; l++) {
        double a[MAX_RUNS], b[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            a[r] = builds[0].get(l, r);
            b[r] = builds[1].get(l, r);
        }
        double ma = median(a, runs), mb = median(b, runs);
        printf("layer %2d  A %8.3f  B %8.3f  A/B %.3fx\n", l, ma, mb, ma / mb);
    }
    double ma = median(whole[0], runs), mb = median(whole[1], runs);
    printf("whole     A %8.3f  B %8.3f  A/B %.3fx\n", ma, mb, ma / mb);
    return 0;
}
