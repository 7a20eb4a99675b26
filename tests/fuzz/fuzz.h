/* Shared by the libFuzzer targets in tests/fuzz/. Each target defines
 * LLVMFuzzerTestOneInput and checks properties of what the parser returns;
 * a violated property aborts (libFuzzer then saves the input; the replay
 * driver, replay.c, fails). The targets are built two ways (CMakeLists.txt):
 * with clang's -fsanitize=fuzzer for coverage-guided fuzzing
 * (scripts/fuzz NAME SECONDS), and with replay.c as a test that runs every
 * input of tests/corpus/NAME/ (the corpus, and every crash reproducer
 * copied there, are regression tests). */
#ifndef GDLAB_FUZZ_H
#define GDLAB_FUZZ_H

#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, naming the property, when cond is false. */
#define FUZZ_CHECK(cond, what)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz: property violated: %s (%s:%d)\n", what,     \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* data as a NUL-terminated string (the caller frees); NUL bytes inside end
 * it early, as they would on a command line. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A per-process temporary file holding data; its path stays the same
 * across inputs (written anew each time). */
static inline const char *fuzz_file(const char *tag, const uint8_t *data, size_t size) {
    static char path[2][256];
    static int made[2];
    const int i = tag[0] == 'b';
    if (!made[i]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path[i], sizeof path[i], "%s/gdlab-fuzz-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), tag);
        made[i] = 1;
    }
    unlink(path[i]);
    FILE *f = fopen(path[i], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path[i]);
        exit(2);
    }
    return path[i];
}

/* The bytes of the file at path (the caller frees; aborts on failure), for
 * the property that reading a file leaves it unchanged. */
static inline uint8_t *fuzz_slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    size_t cap = 4096;
    uint8_t *b = malloc(cap);
    *n = 0;
    for (size_t got; b && (got = fread(b + *n, 1, cap - *n, f)) > 0;)
        if ((*n += got) == cap) b = realloc(b, cap *= 2);
    fclose(f);
    if (!b) abort();
    return b;
}

#endif
