/* Plain driver for the fuzz targets: replays every regular file under the
 * directories given on the command line (recursively; missing ones are
 * skipped), so seed corpora and fixtures run in every test build. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_BYTES ((size_t)64 << 20) /* larger files are skipped: not fuzz inputs */

static long replayed;

static int replay_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	size_t got = fread(buf, 1, size, f);
	fclose(f);
	if (got != size) {
		fprintf(stderr, "short read on %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	replayed++;
	return 0;
}

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	int rc = 0;
	if (!d)
		return 0; /* a corpus that does not exist yet */
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(n);
		if (!path)
			abort();
		snprintf(path, n, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc |= replay_dir(path);
			else if (S_ISREG(st.st_mode) && (size_t)st.st_size <= REPLAY_MAX_BYTES)
				rc |= replay_file(path, (size_t)st.st_size);
		}
		free(path);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++)
		rc |= replay_dir(argv[i]);
	printf("replayed %ld inputs\n", replayed);
	return rc ? 1 : 0;
}
