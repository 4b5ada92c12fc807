//go:build linux && cgo

package runtime

// A process started with mapsSuffix waits for its id maps and then executes
// itself again (see execAfterMaps). This constructor does the same in C,
// before the Go runtime starts, so that the waiting process costs no Go
// start-up: one less Go runtime and set of package initialisers on every
// container start. The Go version remains for builds without cgo.
//
// The entry names below must match entryInit, entryUnpack and entryRemove,
// and the suffix mapsSuffix.

/*
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int gun_is_entry(const char *s, size_t n) {
	static const char *entries[] = {"gun:init", "gun:unpack", "gun:rm"};
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		if (strlen(entries[i]) == n && memcmp(entries[i], s, n) == 0)
			return 1;
	}
	return 0;
}

// glibc passes argc, argv and envp to the executable's constructors.
__attribute__((constructor)) static void gun_after_maps(int argc, char **argv, char **envp) {
	static const char suffix[] = "+maps";
	const size_t sn = sizeof suffix - 1;
	if (argc < 1 || argv == NULL || argv[0] == NULL)
		return;
	size_t n = strlen(argv[0]);
	if (n <= sn || strcmp(argv[0] + n - sn, suffix) != 0 || !gun_is_entry(argv[0], n - sn))
		return;
	// The parent sends one packet on the sync socket (fd 3) once the maps
	// are written; its end without one means the parent failed and says why.
	char buf[64];
	ssize_t r;
	do
		r = recv(3, buf, sizeof buf, 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		_exit(125);
	argv[0][n - sn] = '\0';
	execve("/proc/self/exe", argv, envp);
	dprintf(2, "gun: re-exec %s: %s\n", argv[0], strerror(errno));
	_exit(125);
}
*/
import "C"
