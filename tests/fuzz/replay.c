/*
 * Runs files through the fuzz target's entry function, in every build:
 * each file named on the command line, or each file in a folder named
 * there (names starting with '.' and README files are skipped). Each file
 * runs twice: as it is, and with its trailing checksum recomputed, so
 * that an input the fuzz build reached past a wrong checksum takes the
 * same path here. A broken promise aborts, as it does under the fuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "nn_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void replay_file(const char *path)
{
    unsigned char *buf;
    FILE *f = fopen(path, "rb");
    long size;

    if (!CHECK(f != NULL) || !CHECK(fseek(f, 0, SEEK_END) == 0)) {
        printf("cannot read %s\n", path);
        if (f != NULL) {
            fclose(f);
        }
        return;
    }
    size = ftell(f);
    rewind(f);
    buf = malloc(size > 0 ? (size_t)size : 1);
    if (!CHECK(buf != NULL && size >= 0)
        || !CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size)) {
        printf("cannot read %s\n", path);
        free(buf);
        fclose(f);
        return;
    }
    fclose(f);

    LLVMFuzzerTestOneInput(buf, (size_t)size);
    if (size >= 4) {
        put_le32(buf + size - 4, (uint32_t)crc32_z(0, buf, (z_size_t)size - 4));
        LLVMFuzzerTestOneInput(buf, (size_t)size);
    }
    free(buf);
}

static int skipped(const char *name)
{
    return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int replay_path(const char *path)
{
    struct dirent *entry;
    struct stat st;
    int count = 0;
    DIR *dir;

    if (stat(path, &st) != 0) {
        return 0;       /* an absent folder holds no inputs */
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return 1;
    }
    dir = opendir(path);
    if (!CHECK(dir != NULL)) {
        return 0;
    }
    while ((entry = readdir(dir)) != NULL) {
        char full[4096];
        if (skipped(entry->d_name)) {
            continue;
        }
        snprintf(full, sizeof full, "%s/%s", path, entry->d_name);
        replay_file(full);
        count++;
    }
    closedir(dir);
    return count;
}

int main(int argc, char **argv)
{
    int count = 0;

    for (int i = 1; i < argc; i++) {
        int n = replay_path(argv[i]);
        printf("%s: %d files\n", argv[i], n);
        count += n;
    }
    /* The seed corpus is never empty; no files means a wrong path. */
    CHECK(count > 0);
    return nn_test_done();
}
