// threads starts threads through glibc's pthread_create, which tries
// clone3 first and falls back to clone when clone3 gives ENOSYS (as the
// default seccomp profile makes it). It prints what clone3 answers and how
// many threads ran.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { nthreads = 4 };

static void *work(void *arg)
{
	*(int *)arg = 1;
	return NULL;
}

int main(void)
{
	long r = syscall(SYS_clone3, NULL, 0);
	printf("clone3: %s\n", r == 0 ? "ok" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
	pthread_t ts[nthreads];
	int ran[nthreads] = {0};
	for (int i = 0; i < nthreads; i++) {
		int err = pthread_create(&ts[i], NULL, work, &ran[i]);
		if (err != 0) {
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	int n = 0;
	for (int i = 0; i < nthreads; i++) {
		int err = pthread_join(ts[i], NULL);
		if (err != 0) {
			fprintf(stderr, "pthread_join: %s\n", strerror(err));
			return 1;
		}
		n += ran[i];
	}
	printf("threads: %d ran\n", n);
	return 0;
}
