/* patcc standalone harness: runs a compiled model on raw float32 files, no Python needed.
 *
 *   ./model WEIGHTS THREADS IN_0 ... IN_n-1 OUT_0 ... OUT_m-1
 *
 * WEIGHTS is weights.bin; THREADS <= 0 means the model's default; every IN/OUT file holds
 * the tensor's float32 values in row-major order, native byte order (numpy .tofile()).
 * Exit status 0 on success, 2 on a usage or file error (one line on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int patcc_num_inputs(void);
int patcc_num_outputs(void);
size_t patcc_input_elems(int i);
size_t patcc_output_elems(int i);
size_t patcc_weights_bytes(void);
size_t patcc_workspace_bytes(void);
void patcc_run(const float *const *inputs, float *const *outputs, const void *weights,
               void *workspace, int num_threads);

static void *alloc64(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) {
        fprintf(stderr, "model: out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

static void *read_exact(const char *path, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "model: %s: cannot open\n", path);
        exit(2);
    }
    void *buf = alloc64(bytes);
    size_t got = fread(buf, 1, bytes, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != bytes || extra) {
        fprintf(stderr, "model: %s: expected exactly %zu bytes\n", path, bytes);
        exit(2);
    }
    return buf;
}

static void write_all(const char *path, const void *buf, size_t bytes) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "model: %s: cannot write\n", path);
        exit(2);
    }
}

int main(int argc, char **argv) {
    int n_in = patcc_num_inputs(), n_out = patcc_num_outputs();
    if (argc != 3 + n_in + n_out) {
        fprintf(stderr, "usage: %s WEIGHTS THREADS IN x%d OUT x%d\n", argv[0], n_in, n_out);
        return 2;
    }
    void *weights = read_exact(argv[1], patcc_weights_bytes());
    int threads = atoi(argv[2]);
    float **inputs = calloc((size_t)n_in + 1, sizeof *inputs);
    float **outputs = calloc((size_t)n_out + 1, sizeof *outputs);
    for (int i = 0; i < n_in; i++)
        inputs[i] = read_exact(argv[3 + i], patcc_input_elems(i) * sizeof(float));
    for (int i = 0; i < n_out; i++)
        outputs[i] = alloc64(patcc_output_elems(i) * sizeof(float));
    void *workspace = alloc64(patcc_workspace_bytes());
    patcc_run((const float *const *)inputs, outputs, weights, workspace, threads);
    for (int i = 0; i < n_out; i++)
        write_all(argv[3 + n_in + i], outputs[i], patcc_output_elems(i) * sizeof(float));
    for (int i = 0; i < n_in; i++) free(inputs[i]);
    for (int i = 0; i < n_out; i++) free(outputs[i]);
    free(inputs);
    free(outputs);
    free(workspace);
    free(weights);
    return 0;
}
