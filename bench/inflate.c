/* The inflate half of the benchmark's floor (DESIGN.md §4): reads a gzip file
 * with zlib on one core and throws the bytes away. Prints the inflated size.
 *   recon-bench-inflate FILE.gz */
#include <stdio.h>
#include <zlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: recon-bench-inflate FILE.gz\n");
		return 2;
	}
	gzFile f = gzopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	gzbuffer(f, 256 * 1024);
	static char buf[256 * 1024];
	unsigned long long total = 0;
	int n;
	while ((n = gzread(f, buf, sizeof(buf))) > 0)
		total += (unsigned long long)n;
	int errnum = 0;
	const char *msg = gzerror(f, &errnum);
	if (n < 0 || errnum != Z_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], msg);
		gzclose(f);
		return 1;
	}
	gzclose(f);
	printf("%llu\n", total);
	return 0;
}
