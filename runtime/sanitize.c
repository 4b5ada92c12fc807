//go:build linux && cgo && gunsanitize

// Built only with the gunsanitize tag (hack/build.sh with GUN_SANITIZE=1, and
// the CI run of the runtime tests under AddressSanitizer and
// UndefinedBehaviorSanitizer). The defaults below are compiled in because
// the processes gun starts (the init, the relay, the holder, helpers run as
// the test user) do not all inherit the caller's environment.

// Leak checking is off: the init and the holder end with _exit or execve,
// where no leak check runs, and Go's heap is not LeakSanitizer's business.
// Any other finding aborts, so that the test that ran into it fails.
const char *__asan_default_options(void)
{
	return "detect_leaks=0:abort_on_error=1:halt_on_error=1";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}
