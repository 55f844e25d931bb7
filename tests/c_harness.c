/* The test harness of tests/c_build.py: input.bin (every input, float32, concatenated) and
   weights.bin in, output.bin (every output) out; argv[4] = threads. */
#include <stdio.h>
#include <stdlib.h>
int patcc_num_inputs(void); int patcc_num_outputs(void);
size_t patcc_input_elems(int); size_t patcc_output_elems(int);
size_t patcc_weights_bytes(void); size_t patcc_workspace_bytes(void);
void patcc_run(const float *const *, float *const *, const void *, void *, int);
static void *alloc64(size_t size) { return aligned_alloc(64, (size + 127) / 64 * 64); }
static void *slurp(const char *path, size_t size) {
    void *p = alloc64(size); FILE *f = fopen(path, "rb");
    if (!f || fread(p, 1, size, f) != size) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f); return p;
}
int main(int argc, char **argv) {
    int ni = patcc_num_inputs(), no = patcc_num_outputs(); size_t total = 0;
    for (int i = 0; i < ni; i++) total += patcc_input_elems(i);
    float *in = slurp(argv[1], total * sizeof(float));
    void *w = slurp(argv[2], patcc_weights_bytes());
    void *ws = alloc64(patcc_workspace_bytes());
    const float *ins[16]; float *outs[16]; size_t at = 0;
    for (int i = 0; i < ni; i++) { ins[i] = in + at; at += patcc_input_elems(i); }
    FILE *f = fopen(argv[3], "wb");
    for (int i = 0; i < no; i++) outs[i] = alloc64(patcc_output_elems(i) * sizeof(float));
    patcc_run(ins, outs, w, ws, argc > 4 ? atoi(argv[4]) : 0);
    for (int i = 0; i < no; i++) fwrite(outs[i], sizeof(float), patcc_output_elems(i), f);
    fclose(f);
    for (int i = 0; i < no; i++) free(outs[i]);
    free(in); free(w); free(ws);
    return 0;
}
