/* The replay driver: runs LLVMFuzzerTestOneInput (linked from one target
 * of tests/fuzz/) on every file named on the command line and every file
 * in every directory named there, in name order. Fails when it finds no
 * input, so a missing corpus cannot pass. A violated property aborts in
 * the target. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long ran;

static void run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) buf = realloc(buf, cap *= 2);
    fclose(f);
    if (!buf) exit(3);
    /* An exact-size copy, so that reads past the end are caught by ASan. */
    uint8_t *in = malloc(n ? n : 1);
    if (!in) exit(3);
    memcpy(in, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(in, n);
    free(in);
    ran++;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) {
            perror(argv[a]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            run_file(argv[a]);
            continue;
        }
        DIR *d = opendir(argv[a]);
        if (!d) {
            perror(argv[a]);
            return 2;
        }
        size_t n = 0, cap = 64;
        char **names = malloc(cap * sizeof *names);
        for (struct dirent *e; names && (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
            if (names) names[n++] = strdup(e->d_name);
        }
        closedir(d);
        if (!names) return 3;
        qsort(names, n, sizeof *names, by_name);
        for (size_t i = 0; i < n; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
            run_file(path);
            free(names[i]);
        }
        free(names);
    }
    printf("%s: %ld inputs replayed\n", argv[0], ran);
    printf("%d passed, %d failed\n", ran > 0, ran == 0);
    return ran > 0 ? 0 : 1;
}
