/* A monotonic clock in ms and the median of a sample, for the C timing harnesses of
 * scripts/ (ab_layers.c, the harness layer_alone.py writes). */
#ifndef PATCC_SCRIPTS_TIMING_H
#define PATCC_SCRIPTS_TIMING_H
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int timing_compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n), sorting v in place. */
static double median_ms(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, timing_compare);
    return v[n / 2];
}
#endif
