//go:build linux && cgo

// The constructor of gun's binary: see entry_cgo.go.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cinit.h"
#include "claim.h"
#include "detach.h"
#include "fdpass.h"
#include "lang.h"
#include "plan.h"
#include "scratch.h"

enum { GUN_SYNC_FD = 3, GUN_NS_FD = 4 };
#define GUN_PREFORK_MAGIC "gun-prefork-1"
#define GUN_PLANNED_MAGIC "gun-planned-1"

// gun_planned: the prefork set the container up from a plan (plan.c).
static struct gun_plan *gun_planned;

static int gun_is_entry(const char *s, size_t n) {
	static const char *entries[] = {"gun:init", "gun:unpack", "gun:rm", "gun:commit", "gun:copy"};
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		if (strlen(entries[i]) == n && memcmp(entries[i], s, n) == 0)
			return 1;
	}
	return 0;
}

static int gun_has_suffix(const char *s, size_t n, const char *suffix, size_t *entry) {
	size_t sn = strlen(suffix);
	if (n <= sn || strcmp(s + n - sn, suffix) != 0 || !gun_is_entry(s, n - sn))
		return 0;
	*entry = n - sn;
	return 1;
}

// gun_wait_parent waits for the parent's packet on the sync socket; its
// end without one means the parent failed and says why.
static void gun_wait_parent(void) {
	char buf[64];
	ssize_t r;
	do
		r = recv(GUN_SYNC_FD, buf, sizeof buf, 0);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		_exit(125);
}

// gun_fail reports a failed step as the JSON message {"Error": ...} on the
// sync socket (whose reader expects one) and on stderr, and exits.
static void gun_fail(const char *what) {
	const char *why = strerror(errno);
	char msg[256];
	int n = snprintf(msg, sizeof msg, "{\"Error\":\"%s: %s\"}", what, why);
	if (n > 0 && (size_t)n < sizeof msg)
		(void)send(GUN_SYNC_FD, msg, (size_t)n, MSG_NOSIGNAL);
	dprintf(2, "gun: %s: %s\n", what, why);
	_exit(125);
}

static void gun_after_maps(char **argv, char **envp, size_t entry) {
	gun_wait_parent();
	argv[0][entry] = '\0';
	execve("/proc/self/exe", argv, envp);
	dprintf(2, "gun: re-exec %s: %s\n", argv[0], strerror(errno));
	_exit(125);
}

// gun_relay waits for the container's init, forwarding every signal it gets
// to it, and exits with its status (128+N when it was killed by signal N).
static void gun_relay(pid_t init) {
	sigset_t all;
	sigfillset(&all);
	// The parent's end of the sync socket must see the init's end only, and
	// output pipes must close when the container's processes are gone.
	close(GUN_SYNC_FD);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++) {
		if (null >= 0)
			dup2(null, fd);
		else
			close(fd);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(init, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != init)
				continue;
			if (WIFSIGNALED(st))
				_exit(128 + WTERMSIG(st));
			_exit(WEXITSTATUS(st));
		}
	}
}

static void gun_join(int init, int net) {
	pid_t parent = getppid();
	if (setns(GUN_NS_FD, CLONE_NEWUSER) < 0)
		gun_fail("join the user namespace");
	close(GUN_NS_FD);
	if (!init)
		return;
	// The parent's death signal survives setns, as the credentials stay a
	// subset of the parent's; set it again anyway and check the parent
	// did not die meanwhile.
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		gun_fail("set the parent death signal");
	if (getppid() != parent)
		_exit(125);
	// The network namespace before the fork too: gun starts pasta for the
	// init's pid as soon as the relay reports it, and pasta must find the
	// init's own network namespace there, not the host's.
	if (unshare(CLONE_NEWPID | (net ? CLONE_NEWNET : 0)) < 0)
		gun_fail("unshare the pid and network namespaces");
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0)
		gun_fail("fork the container init");
	if (pid > 0) {
		char msg[64];
		int n = snprintf(msg, sizeof msg, "{\"Pid\":%d}", (int)pid);
		(void)send(GUN_SYNC_FD, msg, (size_t)n, MSG_NOSIGNAL);
		gun_relay(pid);
	}
	// pid 1 of the new pid namespace: the relay's death kills it. If the
	// relay died before this, the parent's end of the sync socket tells.
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		gun_fail("set the parent death signal");
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) < 0)
		gun_fail("unshare the container's namespaces");
	if (gun_planned != NULL)
		gun_cinit_planned(gun_planned);
	gun_cinit();
}

// gun_own_init is the init of a container in a user namespace of its own
// (no holder): gun cloned it with every namespace, pid 1 of the new pid
// namespace, with its id maps written (at clone time, or by newuidmap and
// newgidmap before gun_after_maps executed it again, as root of the
// namespace).
__attribute__((noreturn)) static void gun_own_init(void) {
	// The parent's death signal does not survive the exec that gained the
	// capabilities; if gun died meanwhile, the sync socket's end tells.
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		gun_fail("set the parent death signal");
	gun_cinit();
}

// gun_serve hands the user namespace's descriptor to a client that is the
// holder's own user.
static void gun_serve(int c, int ns) {
	struct ucred cr;
	socklen_t n = sizeof cr;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &n) == 0 && cr.uid == getuid()) {
		char b = 'u';
		struct iovec iov = {&b, 1};
		(void)gun_send_fd(c, &iov, 1, ns);
	}
	close(c);
}

// gun_holder is the user namespace holder: argv is entryHolder, the
// socket's path, the lock's path and the idle time in milliseconds.
static void gun_holder(int argc, char **argv) {
	if (argc != 4)
		_exit(2);
	const char *path = argv[1], *lock = argv[2];
	int idle = atoi(argv[3]);
	if (idle <= 0)
		idle = 1;
	gun_wait_parent(); // the id maps are written
	pid_t pid = fork();
	if (pid < 0)
		gun_fail("fork the holder");
	if (pid > 0)
		_exit(0); // the parent waits for this one, and the holder is orphaned
	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	int ns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		gun_fail("open /proc/self/ns/user");
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		gun_fail("holder socket");
	}
	strcpy(a.sun_path, path);
	int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l < 0)
		gun_fail("holder socket");
	umask(077);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0)
		gun_fail("bind the holder socket");
	if (listen(l, 128) < 0)
		gun_fail("listen on the holder socket");
	struct stat mine;
	if (stat(path, &mine) < 0)
		gun_fail("stat the holder socket");
	// Keep no directory of the store busy, and no descriptor but ours.
	if (chdir("/") < 0)
		gun_fail("chdir /");
	(void)send(GUN_SYNC_FD, "{}", 2, MSG_NOSIGNAL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (null >= 0)
			dup2(null, fd);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != l && fd != ns)
			close(fd);
	for (;;) {
		struct pollfd pf = {l, POLLIN, 0};
		int r = poll(&pf, 1, idle);
		if (r < 0)
			continue; // EINTR
		if (r > 0) {
			int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				gun_serve(c, ns);
			continue;
		}
		// Idle: leave. Under the lock the clients take to start a holder,
		// remove the socket unless it is already another holder's, then
		// serve those that connected before.
		int lk = open(lock, O_RDWR | O_CLOEXEC);
		if (lk >= 0)
			while (flock(lk, LOCK_EX) < 0 && errno == EINTR)
				;
		struct stat now;
		if (stat(path, &now) == 0 && now.st_dev == mine.st_dev && now.st_ino == mine.st_ino)
			unlink(path);
		fcntl(l, F_SETFL, O_NONBLOCK);
		int c;
		while ((c = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			gun_serve(c, ns);
		_exit(0);
	}
}

// ---- gun run's prefork ----
//
// gun run forks its container's init here, before the Go runtime starts,
// instead of executing gun again once Go runs: the fork of a process that
// is not yet a Go program is cheap and safe, and the init is ready when gun
// has found its image. The child waits on its end of a socket pair for a
// packet preforkMagic "\0" flags with the holder's user namespace attached,
// and goes on as gun_join does; the end of the socket without one (gun
// needed no container, or made one itself) ends it.

enum { PREFORK_NET = 1, PREFORK_NULL_STDIN = 2, PREFORK_NULL_STDOUT = 4, PREFORK_NULL_STDERR = 8 };

static int gun_prefork_fd = -1, gun_prefork_pid;

// gun_take_prefork hands Go the prefork's socket and pid, once.
int gun_take_prefork(int *pid) {
	int fd = gun_prefork_fd;
	*pid = gun_prefork_pid;
	gun_prefork_fd = -1;
	return fd;
}

// gun_recv_prefork waits for gun's packet; it returns the flags and puts
// the namespace's descriptor in *ns, or exits when there is none.
static int gun_recv_prefork(int s, int *ns) {
	char buf[64];
	int truncated;
	ssize_t r = gun_recv_fd(s, buf, sizeof buf - 1, ns, &truncated);
	if (r <= 0)
		_exit(0); // not needed
	buf[r] = '\0';
	size_t n = strlen(GUN_PREFORK_MAGIC);
	if (*ns < 0 || truncated || (size_t)r <= n + 1 || memcmp(buf, GUN_PREFORK_MAGIC, n + 1) != 0)
		_exit(125); // gun sees the socket's end and says so
	return atoi(buf + n + 1);
}

// gun_high moves fd above the descriptors gun_preforked places.
static int gun_high(int fd) {
	int t = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (t < 0)
		_exit(125); // gun sees the socket's end
	close(fd);
	return t;
}

// gun_place moves fd to want, not close-on-exec.
static void gun_place(int fd, int want) {
	if (fd == want) {
		fcntl(fd, F_SETFD, 0);
		return;
	}
	if (dup2(fd, want) < 0)
		gun_fail("place a descriptor");
	close(fd);
}

// gun_rename makes the process "gun:init" in ps, as an executed init is:
// its comm, and its command line, which is argv's memory.
static void gun_rename(int argc, char **argv) {
	static const char name[] = "gun:init";
	prctl(PR_SET_NAME, name, 0, 0, 0);
	char *end = argv[argc - 1] + strlen(argv[argc - 1]);
	if ((size_t)(end - argv[0]) < sizeof name - 1)
		return;
	memset(argv[0], 0, (size_t)(end - argv[0]));
	memcpy(argv[0], name, sizeof name - 1);
}

static void gun_preforked(int s, int argc, char **argv, struct gun_plan *plan) {
	// The first packet tells gun which start this is: the plan's
	// (GUN_PLANNED_MAGIC, the scratch directory and the plan, its lock
	// attached), or none (GUN_PREFORK_MAGIC: gun sends the namespace).
	int ns, flags;
	if (plan != NULL && gun_plan_open(plan) == 0) {
		struct iovec iov[] = {
			{GUN_PLANNED_MAGIC, sizeof GUN_PLANNED_MAGIC},
			{plan->scratch, strlen(plan->scratch) + 1},
			{plan->buf, plan->n},
		};
		if (gun_send_fd(s, iov, 3, plan->lock) < 0)
			_exit(125); // gun starts its own; the scratch directory is stale
		close(plan->lock);
		ns = plan->ns;
		flags = plan->stdio & (PREFORK_NULL_STDIN | PREFORK_NULL_STDOUT | PREFORK_NULL_STDERR);
		gun_planned = plan;
	} else {
		struct iovec iov = {GUN_PREFORK_MAGIC, sizeof GUN_PREFORK_MAGIC};
		if (gun_send_fd(s, &iov, 1, -1) < 0)
			_exit(0);
		flags = gun_recv_prefork(s, &ns);
	}
	gun_rename(argc, argv); // after the plan, which argv names
	// As for an executed init: the sync socket at GUN_SYNC_FD, the
	// namespace at GUN_NS_FD, the plan file (kept close-on-exec) after
	// them, and no other descriptor of gun's but the standard ones (some
	// replaced by /dev/null). Out of the way first, so that none lands on
	// another.
	s = gun_high(s);
	ns = gun_high(ns);
	int pf = gun_planned != NULL ? gun_high(plan->fd) : -1;
	gun_place(s, GUN_SYNC_FD);
	gun_place(ns, GUN_NS_FD);
	int last = GUN_NS_FD;
	if (pf >= 0) {
		if (dup3(pf, ++last, O_CLOEXEC) < 0)
			gun_fail("place a descriptor");
		close(pf);
		plan->fd = last;
	}
	syscall(SYS_close_range, last + 1, ~0U, 0);
	int null = -1;
	for (int fd = 0; fd < 3; fd++) {
		if (!(flags & (PREFORK_NULL_STDIN << fd)))
			continue;
		if (null < 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			gun_fail("open /dev/null");
		if (dup2(null, fd) < 0)
			gun_fail("dup2 /dev/null");
	}
	if (null >= 0)
		close(null);
	gun_join(1, flags & PREFORK_NET);
	_exit(125); // not reached: the init exits
}

// ---- gun run without Go ----
//
// A `gun run [OPTIONS] IMAGE [CMD...]` whose plan gun_plan_current proves
// current is run here, in the constructor, and gun's Go never starts: this
// process does what gun's Go does for the planned container (run.go's
// Starter.run and awaitExit, cmd/gun's runRun): it takes the scratch
// directory the prefork made, records the container (exec.go), sends gun's
// word with the command, forwards the signals gun forwards to the relay,
// and once the command exits removes the scratch directory and exits with
// its code. Whatever it does not expect before the command runs hands the
// run back to Go (gun_fast_abandon), which starts its own container as
// without a plan; after the command ran, the end is left to Go (gun:finish,
// finish.go) where it takes more than the common case: an error to print,
// a scratch directory that only the user namespace can remove.

static int gun_fast_trace; // GUN_PLAN_TRACE: say on stderr which way a run went

enum gun_way { GUN_WAY_FAST, GUN_WAY_GO };

// gun_fast_say traces a run's way: "run without Go", or "to Go: " and why.
static void gun_fast_say(enum gun_way way, const char *what) {
	if (gun_fast_trace)
		dprintf(2, "gun: plan trace: %s%s\n", way == GUN_WAY_GO ? "to Go: " : "", what);
}

// gun_fast_remove removes the scratch directory as run.go's removeScratch
// does when the init left only its lock: 0, or -1 when more is left.
static int gun_fast_remove(const char *scratch) {
	char lock[PATH_MAX];
	snprintf(lock, sizeof lock, "%s/lock", scratch);
	if ((unlink(lock) == 0 || errno == ENOENT) && (rmdir(scratch) == 0 || errno == ENOENT))
		return 0;
	return -1;
}

// gun_fast_abandon gives up a planned container before its command ran:
// the init empties the scratch directory and exits as the socket's end
// tells it; then the directory goes, and Go runs gun without a prefork.
static void gun_fast_abandon(int s, pid_t pid, const char *scratch, int lock, const sigset_t *old, const char *why) {
	gun_fast_say(GUN_WAY_GO, why);
	close(s);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (scratch != NULL)
		(void)gun_fast_remove(scratch);
	if (lock >= 0)
		close(lock);
	sigprocmask(SIG_SETMASK, old, NULL);
}

// gun_fast_finish hands the end to Go: gun:finish (finish.go) removes the
// scratch directory, prints the error of a message from the init, and
// exits with its code. The lock stays held across the exec.
__attribute__((noreturn)) static void gun_fast_finish(char **envp, const char *root, const char *scratch, int lock,
						      const char *kind, int code, const char *msg) {
	fcntl(lock, F_SETFD, 0);
	char num[16];
	snprintf(num, sizeof num, "%d", code);
	char *args[] = {"gun:finish", (char *)root, (char *)scratch, (char *)kind, num, (char *)msg, NULL};
	execve("/proc/self/exe", args, envp);
	dprintf(2, "gun: re-exec gun:finish: %s\n", strerror(errno));
	_exit(125);
}

// gun_fast_recv receives one packet into buf (NUL-terminated), and a
// descriptor into *fd when fd is not NULL; its size, or -1.
static ssize_t gun_fast_recv(int s, char *buf, size_t size, int *fd) {
	int truncated = 0, got = -1;
	ssize_t r;
	do
		r = gun_recv_fd(s, buf, size - 1, fd != NULL ? fd : &got, &truncated);
	while (r < 0 && errno == EINTR);
	if (fd == NULL && got >= 0)
		close(got);
	if (r <= 0 || truncated) {
		if (fd != NULL && *fd >= 0)
			close(*fd);
		return -1;
	}
	buf[r] = '\0';
	return r;
}

// gun_fast_int parses a message of exactly prefix, a decimal number and
// "}" into *v.
static int gun_fast_int(const char *msg, const char *prefix, int *v) {
	size_t n = strlen(prefix);
	if (strncmp(msg, prefix, n) != 0)
		return -1;
	char *end;
	errno = 0;
	long x = strtol(msg + n, &end, 10);
	if (errno != 0 || end == msg + n || strcmp(end, "}") != 0 || x < -1000000 || x > 1000000)
		return -1;
	*v = (int)x;
	return 0;
}

// gun_start_time puts the start time of process pid (the 22nd field of
// /proc/PID/stat, as internal/proc reads it) in *start.
static int gun_start_time(int pid, unsigned long long *start) {
	char path[64], b[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	// The command's name (field 2) is in parentheses and may hold anything;
	// the fields after it are separated by spaces.
	char *p = strrchr(b, ')'), *save = NULL, *f = NULL;
	if (p == NULL)
		return -1;
	f = strtok_r(p + 1, " \n", &save);
	for (int field = 3; f != NULL && field < 22; field++)
		f = strtok_r(NULL, " \n", &save);
	char *end;
	errno = 0;
	*start = f == NULL ? 0 : strtoull(f, &end, 10);
	return f == NULL || errno != 0 || *end != '\0' || *f < '0' || *f > '9' ? -1 : 0;
}

// gun_fast_record writes the container's record (exec.go's writeContainer)
// for its init pid.
static int gun_fast_record(const char *scratch, const char *record, int pid) {
	unsigned long long start;
	if (gun_start_time(pid, &start) < 0)
		return -1;
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/" SCRATCH_CONTAINER, scratch);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	// Not dprintf: its stream is linked into the C library's list and gets
	// a buffer from malloc, 3 to 4 more page faults of a run (docs/run.md).
	char head[64];
	int n = snprintf(head, sizeof head, "{\"Init\":{\"pid\":%d,\"start\":%llu}", pid, start);
	int ok = n > 0 && (size_t)n < sizeof head && gun_write_all(fd, head, (size_t)n) == 0 &&
		 gun_write_all(fd, record, strlen(record)) == 0;
	return close(fd) == 0 && ok && rename(tmp, path) == 0 ? 0 : -1;
}

// The signals gun forwards to the container (run.go's Prestart).
static const int gun_fast_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// gun_fast_claim records a detached run's container before its command
// runs (claim.c), as its monitor's Go would: the name claimed, the command
// gun's word's (word).
static int gun_fast_claim(struct gun_ctr *c, const struct gun_plan *plan, const char *word, const char *scratch) {
	memset(c, 0, sizeof *c);
	c->lock = -1;
	const char *n = word + strlen(word) + 1;
	c->plan = plan;
	c->nargs = atoi(n);
	c->args = n + strlen(n) + 1;
	c->name = gun_monitor_name();
	c->auto_remove = gun_monitor_rm();
	c->scratch = scratch;
	return gun_ctr_claim(c);
}

// The container gun_fast started for a detached run's monitor.
static struct gun_started gun_started = {.sock = -1};

int gun_take_started(struct gun_started *s) {
	if (gun_started.sock < 0)
		return -1;
	*s = gun_started;
	gun_started.sock = -1;
	return 0;
}

// gun_fast_detached hands a detached run's container, started, to its
// monitor's Go; failed is NULL when its command runs, else the init's
// report of a failed start (it is killed then).
static void gun_fast_detached(int s, pid_t pid, const char *scratch, int lock, struct gun_ctr *c, const char *root,
			      const char *failed) {
	static char report[96];
	if (failed != NULL) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	} else if (gun_ctr_running(c) == 0) {
		// gun run -d returns: the monitor's Go takes the rest.
		snprintf(report, sizeof report, "0 %s", c->id);
		gun_monitor_report(report);
	}
	gun_started = (struct gun_started){
		.sock = s, .pid = pid, .scratch_lock = lock, .ctr_lock = c->lock, .scratch = scratch,
		.containers = c->path, .id = c->id, .store = root, .failed = failed,
	};
}

// gun_fast runs the planned container of sock's prefork pid; for a
// detached run's monitor, it starts it and hands it to Go
// (gun_fast_detached). It returns only when Go is to run gun, without a
// prefork, or takes the detached container.
static void gun_fast(int s, pid_t pid, struct gun_plan *plan, const char *root, int argc, char **argv,
		     char **envp, int monitor) {
	sigset_t fwd, old;
	sigemptyset(&fwd);
	for (size_t i = 0; i < sizeof gun_fast_signals / sizeof gun_fast_signals[0]; i++)
		sigaddset(&fwd, gun_fast_signals[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	static char buf[PLAN_MAX + PATH_MAX + 64], word[PLAN_MAX + 1];
	// The prefork's first packet: the plan set up, else Go takes it.
	size_t n = strlen(GUN_PLANNED_MAGIC) + 1;
	ssize_t r;
	do
		r = recv(s, buf, n, MSG_PEEK);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n || memcmp(buf, GUN_PLANNED_MAGIC, n) != 0) {
		gun_fast_say(GUN_WAY_GO, "the prefork did not set the plan up");
		sigprocmask(SIG_SETMASK, &old, NULL);
		gun_prefork_fd = s;
		gun_prefork_pid = pid;
		return;
	}
	int lock = -1;
	r = gun_fast_recv(s, buf, sizeof buf, &lock);
	char *scratch = r > 0 ? buf + n : NULL;
	size_t sn = scratch != NULL ? strnlen(scratch, (size_t)r - n) : 0;
	if (scratch == NULL || lock < 0 || n + sn + 1 + plan->n != (size_t)r || sn >= PATH_MAX ||
	    memcmp(scratch + sn + 1, plan->buf, plan->n) != 0 || strncmp(scratch, plan->rundir, strlen(plan->rundir)) != 0 ||
	    scratch[strlen(plan->rundir)] != '/' || strchr(scratch + strlen(plan->rundir) + 1, '/') != NULL) {
		gun_fast_abandon(s, pid, NULL, lock, &old, "the prefork's report is not the plan's");
		return;
	}
	static char dir[PATH_MAX];
	memcpy(dir, scratch, sn + 1);
	// The relay's report of the init's pid; gun's word once recorded.
	static char msg[4096];
	int init = 0;
	static struct gun_ctr ctr = {.lock = -1};
	ssize_t wn = gun_plan_verdict(plan, argc, argv, word, sizeof word);
	const char *why = NULL;
	if (wn < 0)
		why = "no command, or one too long";
	else if (gun_fast_recv(s, msg, sizeof msg, NULL) < 0 || gun_fast_int(msg, "{\"Pid\":", &init) < 0 || init <= 0)
		why = "the relay failed";
	else if (gun_fast_record(dir, plan->record, init) < 0)
		why = "the container's record not written";
	else if (monitor && gun_fast_claim(&ctr, plan, word, dir) < 0)
		why = "the detached container not recorded (a name taken or not valid?)";
	else if (send(s, word, (size_t)wn, MSG_NOSIGNAL) != wn)
		why = "gun's word not sent";
	if (why != NULL) {
		if (ctr.lock >= 0)
			gun_ctr_remove(&ctr);
		gun_fast_abandon(s, pid, dir, lock, &old, why);
		return;
	}
	// The init's report: the command started ({}), the init failed before
	// it ran anything (Planned: Go starts one), or after.
	r = gun_fast_recv(s, msg, sizeof msg, NULL);
	size_t ml = r > 0 ? (size_t)r : 0;
	static const char planned1[] = ",\"Planned\":true}", planned2[] = ",\"Planned\":true,\"OverlayRefused\":true}";
	if (r > 0 && ((ml >= sizeof planned1 - 1 && strcmp(msg + ml - (sizeof planned1 - 1), planned1) == 0) ||
		      (ml >= sizeof planned2 - 1 && strcmp(msg + ml - (sizeof planned2 - 1), planned2) == 0))) {
		if (ctr.lock >= 0)
			gun_ctr_remove(&ctr);
		gun_fast_abandon(s, pid, dir, lock, &old, "the init failed");
		return;
	}
	gun_fast_say(GUN_WAY_FAST, monitor ? "started without Go" : "run without Go");
	if (monitor) {
		gun_fast_detached(s, pid, dir, lock, &ctr, root, r < 0 ? "" : strcmp(msg, "{}") != 0 ? msg : NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	if (r < 0 || strcmp(msg, "{}") != 0) {
		// gun kills the init and says why.
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		gun_fast_finish(envp, root, dir, lock, "ready", 125, r < 0 ? "" : msg);
	}
	// Wait for the exit report, forwarding signals to the relay; the end
	// of the socket without one: the relay's status.
	int sfd = signalfd(-1, &fwd, SFD_CLOEXEC);
	struct pollfd pf[2] = {{s, POLLIN, 0}, {sfd, POLLIN, 0}};
	for (;;) {
		if (poll(pf, sfd >= 0 ? 2 : 1, -1) < 0)
			continue; // EINTR
		if (sfd >= 0 && (pf[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				kill(pid, (int)si.ssi_signo);
		}
		if (pf[0].revents == 0)
			continue;
		int code;
		r = gun_fast_recv(s, msg, sizeof msg, NULL);
		if (r > 0 && gun_fast_int(msg, "{\"Code\":", &code) == 0) {
			if (gun_fast_remove(dir) < 0)
				gun_fast_finish(envp, root, dir, lock, "exit", code, msg);
			_exit(code);
		}
		if (r > 0)
			gun_fast_finish(envp, root, dir, lock, "exit", 125, msg);
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		gun_fast_finish(envp, root, dir, lock, "status", code, "");
	}
}

// gun_prefork forks gun run's init, unless GUN_PREFORK=0 or a standard
// descriptor is closed (the socket pair could take its number). A `gun
// run` whose plan is current goes on without Go (gun_fast): in the
// foreground to its end; in a detached run's monitor (whose plan is that
// of the same command line without -d, --name and --rm) until its command
// runs.
static void gun_prefork(int argc, char **argv, char **envp, int foreground) {
	for (char **e = envp; e != NULL && *e != NULL; e++) {
		if (strcmp(*e, "GUN_PREFORK=0") == 0)
			return;
		if (strncmp(*e, "GUN_PLAN_TRACE=", 15) == 0 && (*e)[15] != '\0')
			gun_fast_trace = 1;
	}
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return;
	// The plan, read before the fork: the child sets it up, this process
	// checks it meanwhile.
	static struct gun_plan plan;
	static char root[PATH_MAX];
	int have = gun_plan_read(argc, argv, envp, &plan, root, sizeof root) == 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		gun_plan_close(&plan);
		return; // gun starts its init as it otherwise does
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		gun_plan_close(&plan);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		gun_preforked(sv[1], argc, argv, have ? &plan : NULL);
	}
	close(sv[1]);
	if (plan.fd >= 0) {
		close(plan.fd); // the child's, to set its times
		plan.fd = -1;
	}
	// Checked while the child sets the plan up.
	const char *why = "no plan";
	int monitor = gun_is_monitor();
	int fast = have && gun_plan_current(&plan, root, argc, argv, envp, &why) == 0;
	if (fast) {
		gun_fast(sv[0], pid, &plan, root, argc, argv, envp, monitor);
		gun_plan_close(&plan);
		return;
	}
	if (have || foreground)
		gun_fast_say(GUN_WAY_GO, why);
	gun_plan_close(&plan);
	gun_prefork_fd = sv[0];
	gun_prefork_pid = pid;
}

// gun_given: descriptors 3 to gun_given-1 were open when gun started,
// given by its caller (before anything of gun's, or of Go's, took a free
// number): those that --preserve-fds may pass on.
static int gun_given = 3;

int gun_given_fds(void) { return gun_given - 3; }

// glibc passes argc, argv and envp to the executable's constructors.
__attribute__((constructor)) static void gun_entry(int argc, char **argv, char **envp) {
	if (argc < 1 || argv == NULL || argv[0] == NULL)
		return;
	if (strncmp(argv[0], "gun:", 4) != 0) {
		gun_lang(argc, argv, envp); // returns unless gun-lang runs the command
		while (fcntl(gun_given, F_GETFD) >= 0)
			gun_given++;
		if (argc > 1 && strcmp(argv[1], "run") == 0) {
			// gun run -d returns in its monitor only, whose prefork is
			// that of the same command in the foreground.
			int n = argc;
			char **args = argv;
			gun_detach(&n, &args);
			gun_prefork(n, args, envp, args == argv);
		}
		return;
	}
	size_t n = strlen(argv[0]), entry;
	if (strcmp(argv[0], "gun:holder") == 0) {
		gun_holder(argc, argv);
	} else if (strcmp(argv[0], "gun:exec") == 0) {
		gun_cexec();
	} else if (strcmp(argv[0], "gun:oci") == 0) {
		gun_cinit_oci();
	} else if (gun_has_suffix(argv[0], n, "+maps", &entry)) {
		gun_after_maps(argv, envp, entry);
	} else if (gun_is_entry(argv[0], n)) {
		int init = strcmp(argv[0], "gun:init") == 0;
		for (char **e = envp; e != NULL && *e != NULL; e++) {
			if (strncmp(*e, "_GUN_JOIN=", 10) == 0) {
				gun_join(init, strcmp(*e + 10, "net") == 0);
				return;
			}
		}
		if (init)
			gun_own_init();
	}
}
