//go:build linux && cgo

// gun run -d, before the Go runtime starts (detach.go). The constructor
// reads gun run's options as cmd/gun declares them; with -d it forks. The
// child is the container's monitor: in a session of its own, its stdout
// and stderr pipes into the container's log, its stdin /dev/null (with -i
// a pipe whose write end it keeps), it goes on to the prefork and Go, and
// records and runs the container as a foreground gun run would. The parent
// never starts Go: it waits for the monitor's one report on a pipe (the
// container's id, or gun run's exit code and error), prints it and exits.
// So a detached run starts one Go program, as a foreground one does.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "detach.h"

// gun run's options (cmd/gun/run.go and the global ones, root.go): those
// that take a value and the booleans, long and short. TestDetachFlags
// checks them against cmd/gun's.
static const char *const value_long[] = {
	"env", "env-file", "workdir", "entrypoint", "user", "hostname", "volume", "network",
	"publish", "add-host", "dns", "name", "memory", "pids-limit", "cpus", "security-opt",
	"cap-add", "cap-drop", "platform", "root", NULL,
};
static const char *const bool_long[] = {
	"interactive", "tty", "read-only", "publish-all", "rm", "detach", "privileged", "tls-verify",
	"verbose", "help", NULL,
};
static const char value_short[] = "ewuvpm";
static const char bool_short[] = "itPdh";

static int in_list(const char *const *list, const char *name, size_t n) {
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, name, n) == 0)
			return 1;
	return 0;
}

int gun_run_flag(const char *name, int is_short) {
	if (is_short) {
		if (strlen(name) != 1)
			return 0;
		return strchr(value_short, name[0]) != NULL ? 2 : strchr(bool_short, name[0]) != NULL ? 1 : 0;
	}
	size_t n = strlen(name);
	return in_list(value_long, name, n) ? 2 : in_list(bool_long, name, n) ? 1 : 0;
}

// parse_bool is strconv.ParseBool, as pflag reads a boolean: 1, 0, or -1.
static int parse_bool(const char *s) {
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
	if (in_list(t, s, strlen(s)))
		return 1;
	if (in_list(f, s, strlen(s)))
		return 0;
	return -1;
}

// run_line is gun run's command line as far as the constructor reads it.
struct run_line {
	int detach, interactive, tty;
	const char *name; // --name's value, NULL without one
	int rm;           // --rm's value: 1, 0, or -1 when not given
	// argv without -d, --name and --rm: the monitor's plan is the one of
	// the same command in the foreground.
	int argc;
	char **argv;
};

// set_bool records the boolean option c (its short name) as v.
static void set_bool(struct run_line *r, char c, int v) {
	if (c == 'd')
		r->detach = v;
	else if (c == 'i')
		r->interactive = v;
	else if (c == 't')
		r->tty = v;
}

// read_short reads the group of short options argv[*i] ("-dit",
// "-p80:80", "-d=false"), as pflag does, and keeps it in r->argv without
// -d. It returns -1 for what it does not know.
static int read_short(int argc, char **argv, int *i, struct run_line *r) {
	const char *arg = argv[*i];
	char *kept = malloc(strlen(arg) + 1);
	if (kept == NULL)
		return -1;
	size_t k = 0;
	kept[k++] = '-';
	int next = 0; // the next argument is the last option's value
	for (const char *g = arg + 1; *g != '\0';) {
		char c = *g;
		if (strchr(value_short, c) != NULL) {
			// The rest is its value ("=" first is dropped), else the next
			// argument is.
			if (g[1] == '\0')
				next = 1;
			strcpy(kept + k, g);
			k += strlen(g);
			break;
		}
		if (strchr(bool_short, c) == NULL || c == 'h') {
			free(kept);
			return -1;
		}
		int v = 1;
		if (g[1] == '=' && (v = parse_bool(g + 2)) < 0) {
			free(kept);
			return -1;
		}
		set_bool(r, c, v);
		if (c != 'd') {
			size_t n = g[1] == '=' ? strlen(g) : 1;
			memcpy(kept + k, g, n);
			k += n;
		}
		if (g[1] == '=')
			break;
		g++;
	}
	kept[k] = '\0';
	if (next && *i + 1 >= argc) {
		free(kept);
		return -1;
	}
	if (k > 1)
		r->argv[r->argc++] = kept;
	else
		free(kept);
	if (next)
		r->argv[r->argc++] = argv[++*i];
	return 0;
}

// read_long reads the option argv[*i] ("--name=web", "--name web",
// "--detach", "--rm=false") and keeps it in r->argv unless it is --detach,
// --name or --rm. It returns -1 for what it does not know.
static int read_long(int argc, char **argv, int *i, struct run_line *r) {
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	int drop = (n == 6 && memcmp(name, "detach", 6) == 0) || (n == 4 && memcmp(name, "name", 4) == 0) ||
	           (n == 2 && memcmp(name, "rm", 2) == 0);
	int first = *i;
	if (in_list(value_long, name, n)) {
		if (eq == NULL && ++*i >= argc)
			return -1;
		if (n == 4 && memcmp(name, "name", 4) == 0)
			r->name = eq != NULL ? eq + 1 : argv[*i];
	} else if (in_list(bool_long, name, n) && !(n == 4 && memcmp(name, "help", 4) == 0)) {
		int v = eq != NULL ? parse_bool(eq + 1) : 1;
		if (v < 0)
			return -1;
		if (n == 6 && memcmp(name, "detach", 6) == 0)
			set_bool(r, 'd', v);
		else if (n == 2 && memcmp(name, "rm", 2) == 0)
			r->rm = v;
		else if (n == 11 && memcmp(name, "interactive", 11) == 0)
			set_bool(r, 'i', v);
		else if (n == 3 && memcmp(name, "tty", 3) == 0)
			set_bool(r, 't', v);
	} else {
		return -1;
	}
	for (int j = first; !drop && j <= *i; j++)
		r->argv[r->argc++] = argv[j];
	return 0;
}

// read_run reads `gun run [OPTIONS] IMAGE [CMD...]` (argv[1] is "run") as
// pflag reads gun run's options, which end at IMAGE. It returns -1 when it
// cannot tell (an option it does not know, a bad value, --help, no IMAGE):
// gun's Go reads the command line then.
static int read_run(int argc, char **argv, struct run_line *r) {
	memset(r, 0, sizeof *r);
	r->rm = -1;
	r->argv = calloc((size_t)argc + 1, sizeof *r->argv);
	if (r->argv == NULL)
		return -1;
	r->argv[r->argc++] = argv[0];
	r->argv[r->argc++] = argv[1];
	int i = 2;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			r->argv[r->argc++] = argv[i++];
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; // IMAGE
		if ((a[1] == '-' ? read_long(argc, argv, &i, r) : read_short(argc, argv, &i, r)) < 0)
			return -1;
	}
	if (i >= argc)
		return -1;
	for (; i < argc; i++)
		r->argv[r->argc++] = argv[i];
	return 0;
}

// free_run_line frees what read_run allocated: r->argv and the groups of
// short options it rewrote.
static void free_run_line(struct run_line *r, int argc, char **argv) {
	for (int i = 0; r->argv != NULL && i < r->argc; i++) {
		int orig = 0;
		for (int j = 0; j < argc && !orig; j++)
			orig = r->argv[i] == argv[j];
		if (!orig)
			free(r->argv[i]);
	}
	free(r->argv);
	r->argv = NULL;
}

int gun_read_run(int argc, char **argv, char ***out, int *n) {
	struct run_line r;
	if (read_run(argc, argv, &r) < 0) {
		free_run_line(&r, argc, argv);
		return -1;
	}
	*n = r.argc;
	*out = malloc((size_t)r.argc * sizeof **out);
	for (int i = 0; *out != NULL && i < r.argc; i++)
		(*out)[i] = strdup(r.argv[i]);
	free_run_line(&r, argc, argv);
	return r.detach | r.interactive << 1;
}

// The monitor's ends, for Go (gun_take_monitor).
static int mon_report = -1, mon_out = -1, mon_err = -1, mon_stdin = -1, mon_taken;
// The monitor's plan's command line (gun_plan_args), its --name and --rm.
static int plan_argc;
static char **plan_argv;
static const char *mon_name;
static int mon_rm;
// With -t, the window size of the caller's terminal; 0 by 0 without one.
static struct winsize mon_ws;

int gun_take_monitor(int fds[4], unsigned short ws[2]) {
	if (plan_argv == NULL || mon_taken)
		return -1;
	fds[0] = mon_report, fds[1] = mon_out, fds[2] = mon_err, fds[3] = mon_stdin;
	ws[0] = mon_ws.ws_row, ws[1] = mon_ws.ws_col;
	mon_taken = 1;
	return 0;
}

int gun_is_monitor(void) { return plan_argv != NULL; }

const char *gun_monitor_name(void) { return mon_name; }

int gun_monitor_rm(void) { return mon_rm; }

void gun_monitor_report(const char *text) {
	if (mon_report < 0)
		return;
	// gun run -d may be gone: the monitor goes on, SIGPIPE ignored meanwhile.
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	(void)write(mon_report, text, strlen(text));
	sigaction(SIGPIPE, &old, NULL);
	close(mon_report);
	mon_report = -1;
}

char **gun_plan_args(int *argc) {
	*argc = plan_argc;
	return plan_argv;
}

static void die(const char *what) {
	dprintf(2, "gun: run -d: %s: %s\n", what, strerror(errno));
	_exit(125);
}

// await_report is gun run -d once the monitor runs: it prints the
// monitor's report, "0 ID" or "CODE ERROR", and exits with its code.
__attribute__((noreturn)) static void await_report(int fd) {
	static char buf[16 << 10];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	char *text;
	long code = strtol(buf, &text, 10);
	if (n == 0 || text == buf || *text != ' ' || code < 0 || code > 255) {
		dprintf(2, "gun: the container's monitor exited before the container started\n");
		_exit(125);
	}
	text++;
	if (code == 0) {
		dprintf(1, "%s\n", text);
		_exit(0);
	}
	if (*text != '\0')
		dprintf(2, "gun: %s\n", text);
	_exit((int)code);
}

// place moves fd to want, close-on-exec.
static void place(int fd, int want) {
	if (fd == want)
		return;
	if (dup3(fd, want, O_CLOEXEC) < 0)
		die("place a descriptor");
	close(fd);
}

void gun_detach(int *argc, char ***argv) {
	struct run_line r;
	if (read_run(*argc, *argv, &r) < 0 || !r.detach) {
		free_run_line(&r, *argc, *argv);
		return;
	}
	// The pipes must not take the standard descriptors' numbers.
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die("open /dev/null");
	int report[2], out[2], err[2], in[2] = {-1, -1};
	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		die("pipe");
	if (r.interactive ? pipe2(in, O_CLOEXEC) < 0 : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		die("stdin");
	// The pty of -t starts with the size of the caller's terminal, its
	// stdin's or else its stdout's, as gun run -t's (docker's is its
	// stdout's); without one, 0 by 0, as docker's.
	if (r.tty && ioctl(0, TIOCGWINSZ, &mon_ws) < 0 && ioctl(1, TIOCGWINSZ, &mon_ws) < 0)
		memset(&mon_ws, 0, sizeof mon_ws);
	pid_t pid = fork();
	if (pid < 0)
		die("fork the monitor");
	if (pid > 0) {
		close(out[0]), close(out[1]), close(err[0]), close(err[1]), close(in[0]), close(report[1]);
		if (in[1] >= 0)
			close(in[1]);
		await_report(report[0]);
	}
	if (setsid() < 0)
		die("setsid");
	prctl(PR_SET_NAME, "gun:monitor", 0, 0, 0);
	close(report[0]);
	if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
		die("place the standard descriptors");
	close(in[0]), close(out[1]), close(err[1]);
	// The monitor's ends at 3 to 6, and nothing else of the caller's goes
	// on living with it: the standard descriptors are replaced, the rest
	// closed. (The prefork's come after them.)
	int fds[] = {report[1], out[0], err[0], in[1]}, n = in[1] >= 0 ? 4 : 3;
	for (int j = 0; j < n; j++) {
		int high = fcntl(fds[j], F_DUPFD_CLOEXEC, 10);
		if (high < 0)
			die("place a descriptor");
		close(fds[j]);
		fds[j] = high;
	}
	for (int j = 0; j < n; j++)
		place(fds[j], 3 + j);
	syscall(SYS_close_range, 3 + n, ~0U, 0);
	mon_report = 3, mon_out = 4, mon_err = 5, mon_stdin = n == 4 ? 6 : -1;
	mon_name = r.name != NULL && *r.name != '\0' ? r.name : NULL;
	mon_rm = r.rm == 1;
	plan_argc = r.argc;
	plan_argv = r.argv;
	*argc = r.argc;
	*argv = r.argv;
}
