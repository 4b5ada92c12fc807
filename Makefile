# gun's developer entry points. `make test` is the whole suite, as CI runs it.
GO ?= go
PKGS := ./...

.PHONY: all build install test check bench fuzz clean

all: build

# gun is linked statically, and gun-lang, the lean program of its language
# commands, is built beside it (hack/build.sh says why).
build:
	GO=$(GO) ./hack/build.sh bin/gun

install:
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH)/bin; \
		mkdir -p "$$bin" && GO=$(GO) ./hack/build.sh "$$bin/gun" && echo "installed $$bin/gun and $$bin/gun-lang"

# The whole test suite. As root it first creates the unprivileged test user
# (hack/testuser.sh), so that runtime tests exercise the rootless path.
test:
	@if [ "$$(id -u)" -eq 0 ]; then ./hack/testuser.sh; fi
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 30m -race $$($(GO) list $(PKGS) | grep -v -x -F $(foreach p,$(NORACE),-e $(p)))
	$(GO) test -count=1 -timeout 30m $(NORACE)

# Packages whose tests run without the race detector: runtime's tests time a
# user namespace holder's 2 s idle exit between container runs, which the
# detector's slowdown (5-10x on gun's processes) stretches past; hugeheap's
# count the page faults of writing the heap, and the detector faults in
# shadow memory for every page written (8,221 faults for 16 MiB, not 19).
NORACE := github.com/gun-tools/gun/runtime github.com/gun-tools/gun/internal/hugeheap

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Every fuzz target for FUZZTIME each; the corpus stays under each package's testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done

clean:
	rm -rf bin
