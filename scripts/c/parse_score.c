/*
 * The measuring stick for churn's single-thread speed: a hand-written C loop that reads a CSV,
 * parses every feature field and scores each row with a logistic-regression model, on one core.
 * It does what `churn score --threads 1` does at its heart (parse, standardize, one-hot, dot,
 * sigmoid) and nothing else: no drivers, health, intervention, aggregate, results file or history.
 *
 * usage: parse_score MODEL.flat INPUT.csv
 *   MODEL.flat (written by scripts/bench-local from the model JSON and the CSV header):
 *     intercept X
 *     then one line per CSV column, in file order:
 *       skip
 *       num MEAN STD MEDIAN COEF          (a blank or unparsable cell gets MEDIAN)
 *       cat K VALUE1 COEF1 … VALUEK COEFK  (an unknown value adds nothing)
 * Fields are separated by commas; quoted fields are not supported (the generated files have none).
 * Prints rows, the sum of probabilities (a checksum) and the count at risk score >= 70 (round(100 p)).
 *
 * gcc -O2 -o parse_score parse_score.c -lm
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SKIP, NUM, CAT };
typedef struct {
    int kind;
    double mean, inv_std, median, coef;
    int ncat;
    char **values;
    int *lengths;
    double *coefs;
} Column;

static const double pow10_neg[] = {1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10,
                                   1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18};

/* Parses [-+]digits[.digits][e[-+]digits] between p and end; returns 0 when it is not a number. */
static int parse_number(const char *p, const char *end, double *out) {
    int negative = 0;
    if (p < end && (*p == '-' || *p == '+')) { negative = *p == '-'; p++; }
    unsigned long long mantissa = 0;
    int digits = 0, fraction = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (digits < 19) { mantissa = mantissa * 10 + (unsigned)(*p - '0'); digits++; } else { fraction--; }
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) { mantissa = mantissa * 10 + (unsigned)(*p - '0'); digits++; fraction++; }
            p++;
        }
    }
    if (digits == 0) return 0;
    int exponent = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '-' || *p == '+')) { eneg = *p == '-'; p++; }
        while (p < end && *p >= '0' && *p <= '9') { exponent = exponent * 10 + (*p - '0'); p++; }
        if (eneg) exponent = -exponent;
    }
    if (p != end) return 0;
    int scale = exponent - fraction;
    double v = (double)mantissa;
    if (scale < 0 && scale >= -18) v *= pow10_neg[-scale]; else if (scale != 0) v *= pow(10.0, scale);
    *out = negative ? -v : v;
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: parse_score MODEL.flat INPUT.csv\n"); return 2; }
    FILE *m = fopen(argv[1], "r");
    if (!m) { perror(argv[1]); return 1; }
    double intercept;
    if (fscanf(m, " intercept %lf", &intercept) != 1) { fprintf(stderr, "%s: no intercept\n", argv[1]); return 1; }
    Column columns[512];
    int ncols = 0;
    char kind[16];
    while (ncols < 512 && fscanf(m, " %15s", kind) == 1) {
        Column *c = &columns[ncols++];
        memset(c, 0, sizeof *c);
        if (strcmp(kind, "num") == 0) {
            double std;
            if (fscanf(m, " %lf %lf %lf %lf", &c->mean, &std, &c->median, &c->coef) != 4) return 1;
            c->kind = NUM;
            c->inv_std = std != 0 ? 1 / std : 1;
        } else if (strcmp(kind, "cat") == 0) {
            c->kind = CAT;
            if (fscanf(m, " %d", &c->ncat) != 1) return 1;
            c->values = calloc((size_t)c->ncat, sizeof(char *));
            c->lengths = calloc((size_t)c->ncat, sizeof(int));
            c->coefs = calloc((size_t)c->ncat, sizeof(double));
            for (int k = 0; k < c->ncat; k++) {
                char value[256];
                if (fscanf(m, " %255s %lf", value, &c->coefs[k]) != 2) return 1;
                c->values[k] = strdup(value);
                c->lengths[k] = (int)strlen(value);
            }
        } else {
            c->kind = SKIP;
        }
    }
    fclose(m);

    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    size_t capacity = 4 << 20, have = 0;
    char *buffer = malloc(capacity);
    long long rows = 0, high = 0;
    double sum = 0;
    int header = 1;
    for (;;) {
        ssize_t n = read(fd, buffer + have, capacity - have);
        if (n < 0) { perror("read"); return 1; }
        int at_end = n == 0;
        have += (size_t)n;
        const char *p = buffer, *end = buffer + have;
        for (;;) {
            const char *newline = memchr(p, '\n', (size_t)(end - p));
            if (!newline) {
                if (!at_end || p == end) break;
                newline = end; /* last line without a newline */
            }
            const char *line_end = newline > p && newline[-1] == '\r' ? newline - 1 : newline;
            if (header) {
                header = 0;
            } else if (line_end > p) {
                double z = intercept;
                const char *f = p;
                for (int i = 0; i < ncols; i++) {
                    const char *g = f;
                    while (g < line_end && *g != ',') g++;
                    const Column *c = &columns[i];
                    if (c->kind == NUM) {
                        double x;
                        if (!parse_number(f, g, &x)) x = c->median;
                        z += c->coef * (x - c->mean) * c->inv_std;
                    } else if (c->kind == CAT) {
                        int len = (int)(g - f);
                        for (int k = 0; k < c->ncat; k++) {
                            if (c->lengths[k] == len && memcmp(c->values[k], f, (size_t)len) == 0) { z += c->coefs[k]; break; }
                        }
                    }
                    f = g < line_end ? g + 1 : line_end;
                }
                double prob = 1 / (1 + exp(-z));
                sum += prob;
                high += (int)(100 * prob + 0.5) >= 70;
                rows++;
            }
            p = newline + (newline < end ? 1 : 0);
            if (newline == end) break;
        }
        size_t rest = (size_t)(end - p);
        if (at_end) break;
        if (rest == capacity) { capacity *= 2; buffer = realloc(buffer, capacity); }
        memmove(buffer, p, rest);
        have = rest;
    }
    close(fd);
    printf("%lld rows, probability sum %.6f, %lld at risk score >= 70\n", rows, sum, high);
    return 0;
}
