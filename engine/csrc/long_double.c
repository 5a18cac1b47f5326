/* INCRBYFLOAT arithmetic in C `long double`, exactly as Redis 7.0 does it.
 *
 * Redis parses both operands with strtold (util.c string2ld), adds them in long double (80-bit
 * x87 extended precision on x86-64), and prints the sum with "%.17Lf" minus trailing zeros
 * (util.c ld2string, LD_STR_HUMAN). Rust has no long double, and f64 gives different bytes
 * (10.5 + 0.1 prints "10.6" here, "10.59999999999999964" with f64), so this one operation is C.
 *
 * Pure and deterministic: no global state besides errno, which strtold reports through.
 * Numeric parsing and printing assume the "C" locale, as Redis does (it only sets LC_COLLATE). */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: the longest operand accepted and the print buffer size. */
#define VERDIS_LONG_DOUBLE_CHARS (5 * 1024)

/* Result codes; keep in sync with `num.rs`. */
#define VERDIS_LD_NOT_FLOAT (-1)
#define VERDIS_LD_NAN_OR_INF (-2)
#define VERDIS_LD_NO_ROOM (-3)

/* Redis's string2ld: 1 and the value in *dp when `s` is a valid long double, else 0. */
static int verdis_string2ld(const char *s, size_t slen, long double *dp) {
    char buf[VERDIS_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    /* The whole input must parse: an embedded NUL stops strtold early and is refused. */
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != slen ||
        (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;

    *dp = value;
    return 1;
}

/* Redis's ld2string in LD_STR_HUMAN mode for a finite value: the length written, or -1 when
 * `len` is too small. */
static long verdis_ld2string_human(char *buf, size_t len, long double value) {
    int n = snprintf(buf, len, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > len) return -1;
    size_t l = (size_t)n;
    /* Remove trailing zeroes after the '.', and the '.' itself if nothing follows it. */
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    return (long)l;
}

/* INCRBYFLOAT's computation: `cur` (NULL for a missing key, which counts as 0) plus `incr`,
 * printed into `out`. Returns the printed length, or one of the VERDIS_LD_* codes. */
long verdis_incrbyfloat(const char *cur, size_t cur_len, const char *incr, size_t incr_len, char *out,
                        size_t out_len) {
    long double value = 0, increment;
    /* Redis reads the stored value first; either failing gives the same error. */
    if (cur != NULL && !verdis_string2ld(cur, cur_len, &value)) return VERDIS_LD_NOT_FLOAT;
    if (!verdis_string2ld(incr, incr_len, &increment)) return VERDIS_LD_NOT_FLOAT;
    value += increment;
    if (isnan(value) || isinf(value)) return VERDIS_LD_NAN_OR_INF;
    long l = verdis_ld2string_human(out, out_len, value);
    return l < 0 ? VERDIS_LD_NO_ROOM : l;
}
