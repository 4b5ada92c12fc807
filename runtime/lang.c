//go:build linux && cgo

// gun's language commands (check, fmt, lsp) in gun-lang, a small program
// of their own beside gun's executable: executed here, before gun's Go
// runtime and its package initialisers start (docs/gunfile.md, "Speed").
// hack/build.sh builds gun-lang first and compiles its Go build ID into
// gun (GUN_LANG_BUILDID); only a gun-lang with that ID is executed, so that
// a gun never runs another build's. Without the define (go build, go
// install, go test) there is no gun-lang: gun runs every command itself.

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lang.h"

#define GUN_LANG_NAME "gun-lang"
#define GUN_LANG_TRACE_ENV "GUN_LANG_TRACE="

static const char *const gun_lang_commands[] = {"check", "fmt", "lsp"};

int gun_lang_lean(const char *name) {
	for (size_t i = 0; i < sizeof gun_lang_commands / sizeof gun_lang_commands[0]; i++)
		if (strcmp(name, gun_lang_commands[i]) == 0)
			return 1;
	return 0;
}

// The global flags that may come before a command: -v, --verbose[=B],
// --root DIR and --root=DIR.
int gun_lang_command(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-v") == 0)
			continue;
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			size_t n = strcspn(a + 2, "=");
			if (n == strlen("verbose") && strncmp(a + 2, "verbose", n) == 0)
				continue;
			if (n == strlen("root") && strncmp(a + 2, "root", n) == 0) {
				if (a[2 + n] != '=')
					i++; // its value
				continue;
			}
			return -1;
		}
		if (a[0] == '-' || a[0] == '\0')
			return -1;
		return i;
	}
	return -1;
}

static int gun_lang_trace; // GUN_LANG_TRACE: say on stderr which way a command went

// gun_lang_say traces the way a command went: way ("gun-lang" or "in
// gun"), what, and why when there is one.
static void gun_lang_say(const char *way, const char *what, const char *why) {
	if (gun_lang_trace)
		dprintf(2, "gun: lang trace: %s: %s%s%s\n", way, what, why != NULL ? ": " : "", why != NULL ? why : "");
}

#ifdef GUN_LANG_BUILDID

enum { GUN_LANG_PAGE = 4096, GUN_ELF_NOTE_GO_BUILDID = 4 };
enum gun_lang_id { GUN_LANG_OURS, GUN_LANG_OTHER, GUN_LANG_NONE };

// gun_lang_note looks for Go's build ID note among the notes of n bytes
// at b (aligned to align), and says whether it is GUN_LANG_BUILDID.
static enum gun_lang_id gun_lang_note(const unsigned char *b, size_t n, size_t align) {
	static const char want[] = GUN_LANG_BUILDID;
	size_t off = 0;
	while (n - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, b + off, sizeof nh);
		off += sizeof nh;
		size_t name = off, namesz = ((size_t)nh.n_namesz + align - 1) / align * align;
		if (namesz > n - off)
			break;
		off += namesz;
		size_t desc = off, descsz = ((size_t)nh.n_descsz + align - 1) / align * align;
		if (descsz > n - off)
			break;
		off += descsz;
		if (nh.n_type != GUN_ELF_NOTE_GO_BUILDID || nh.n_namesz < 3 || memcmp(b + name, "Go", 3) != 0)
			continue;
		if (nh.n_descsz == sizeof want - 1 && memcmp(b + desc, want, sizeof want - 1) == 0)
			return GUN_LANG_OURS;
		return GUN_LANG_OTHER;
	}
	return GUN_LANG_NONE;
}

// gun_lang_check returns NULL when fd is the gun-lang of this gun's build,
// else why not: it must be a regular file, an ELF executable whose Go build
// ID note (in its first page, where Go's linker puts it) is
// GUN_LANG_BUILDID, and whose segments the file holds whole.
static const char *gun_lang_check(int fd) {
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return "not a regular file";
	// On the stack, not static: no page of gun's data moves for them.
	unsigned char page[GUN_LANG_PAGE], notes[GUN_LANG_PAGE];
	ssize_t n = pread(fd, page, sizeof page, 0);
	Elf64_Ehdr eh;
	if (n < (ssize_t)sizeof eh)
		return "not an ELF executable";
	memcpy(&eh, page, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64_Phdr))
		return "not an ELF executable";
	if (eh.e_phoff > (size_t)n || eh.e_phnum > ((size_t)n - eh.e_phoff) / sizeof(Elf64_Phdr))
		return "its program headers are not in its first page";
	enum gun_lang_id id = GUN_LANG_NONE;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, page + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_LOAD && (ph.p_offset > (Elf64_Off)st.st_size || ph.p_filesz > (Elf64_Off)st.st_size - ph.p_offset))
			return "cut short (a segment ends past the file's end)";
		if (ph.p_type != PT_NOTE || ph.p_filesz > sizeof notes)
			continue;
		if (pread(fd, notes, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			return "its notes cannot be read";
		enum gun_lang_id got = gun_lang_note(notes, ph.p_filesz, ph.p_align == 8 ? 8 : 4);
		if (got < id)
			id = got;
	}
	switch (id) {
	case GUN_LANG_OURS:
		return NULL;
	case GUN_LANG_OTHER:
		return "another build (its Go build ID is not the one this gun was built with)";
	default:
		return "no Go build ID note";
	}
}

// gun_lang_exec executes the gun-lang beside gun's executable if it is
// this build's, and returns if not. Not inlined: in gun_lang's frame its
// buffers (12 KiB) made every start reach stack pages that nothing else
// touches before the prefork's fork, each then faulted twice (touched, and
// copied after the fork): 1.4 more page faults a `gun run` (docs/gunfile.md).
__attribute__((noinline)) static void gun_lang_exec(char **argv, char **envp) {
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path);
	if (n <= 0 || (size_t)n >= sizeof path) {
		gun_lang_say("in gun", "/proc/self/exe", n < 0 ? strerror(errno) : "no path");
		return;
	}
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL || (size_t)(slash + 1 - path) + sizeof GUN_LANG_NAME > sizeof path) {
		gun_lang_say("in gun", "/proc/self/exe", "no directory");
		return;
	}
	memcpy(slash + 1, GUN_LANG_NAME, sizeof GUN_LANG_NAME);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gun_lang_say("in gun", path, strerror(errno));
		return;
	}
	const char *why = gun_lang_check(fd);
	if (why != NULL) {
		close(fd);
		gun_lang_say("in gun", path, why);
		return;
	}
	gun_lang_say("gun-lang", path, NULL);
	// The file checked, whatever its name now leads to.
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	int err = errno;
	close(fd);
	gun_lang_say("in gun", "execute gun-lang", strerror(err));
}
#endif

void gun_lang(int argc, char **argv, char **envp) {
	int i = gun_lang_command(argc, argv);
	if (i < 0 || !gun_lang_lean(argv[i]))
		return;
	for (char **e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, GUN_LANG_TRACE_ENV, strlen(GUN_LANG_TRACE_ENV)) == 0 && (*e)[strlen(GUN_LANG_TRACE_ENV)] != '\0')
			gun_lang_trace = 1;
	// gun-oci's command line is runc's (cmd/gun's ociArgs).
	const char *base = strrchr(argv[0], '/');
	if (strcmp(base != NULL ? base + 1 : argv[0], "gun-oci") == 0)
		return;
#ifndef GUN_LANG_BUILDID
	gun_lang_say("in gun", "built without gun-lang (go build, go install)", NULL);
#else
	gun_lang_exec(argv, envp);
#endif
}
