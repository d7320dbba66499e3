/* OpenBLAS sgemm peer: C = A·B for row-major n×n float matrices. Validates a few entries against a
 * double-precision dot product first, then times: one warm-up call, then the median of repeated calls.
 * Prints one JSON line, e.g. {"impl":"openblas","n":1024,"gflops":140.2,"median_ms":15.3,"runs":15}.
 * Usage: openblas_sgemm N [RUNS] */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Checks C at a spread of positions; the tolerance grows with sqrt(n) as float rounding does. */
static int validate(int n, const float *a, const float *b, const float *c)
{
    for (int s = 0; s < 64; s++) {
        int i = (int)((s * 7919L) % n), j = (int)((s * 104729L) % n);
        double expected = 0, magnitude = 0;
        for (int p = 0; p < n; p++) {
            expected += (double)a[(long)i * n + p] * b[(long)p * n + j];
            magnitude += fabs((double)a[(long)i * n + p] * b[(long)p * n + j]);
        }
        if (fabs(c[(long)i * n + j] - expected) > 1e-5 * sqrt((double)n) * (magnitude + 1)) {
            fprintf(stderr, "mismatch at (%d,%d): %g vs %g\n", i, j, c[(long)i * n + j], expected);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [RUNS]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    int runs = argc > 2 ? atoi(argv[2]) : 15;
    long count = (long)n * n;
    float *a = malloc(count * sizeof(float)), *b = malloc(count * sizeof(float)), *c = malloc(count * sizeof(float));
    double *times = malloc(runs * sizeof(double));
    srand(1);
    for (long i = 0; i < count; i++) {
        a[i] = (float)rand() / RAND_MAX - 0.5f;
        b[i] = (float)rand() / RAND_MAX - 0.5f;
    }

    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    if (!validate(n, a, b, c)) return 1;

    for (int r = 0; r < runs; r++) {
        double start = now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        times[r] = now_seconds() - start;
    }
    qsort(times, runs, sizeof(double), compare_doubles);
    double median = times[runs / 2];
    printf("{\"impl\":\"openblas\",\"n\":%d,\"gflops\":%.2f,\"median_ms\":%.3f,\"runs\":%d}\n",
        n, 2.0 * n * n * (double)n / median * 1e-9, median * 1e3, runs);
    free(a); free(b); free(c); free(times);
    return 0;
}
