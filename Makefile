# daemontools in Go. `make run` builds and starts the demo; `make test`
# runs every check CI runs.

GO       ?= go
BIN      := bin/daemontools
# On linux/amd64 the executable starts at privs.entry, which records the
# signal state and closed standard fds it inherited before the Go runtime
# changes them, so that the chain loaders can pass them on (privs/start.go).
ENTRY := $(if $(filter linux/amd64,$(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)),-E=github.com/daemontools-go/daemontools/privs.entry)
# `daemontools --version`: the git description of the sources, when
# they are a git checkout (else the executable falls back to the module
# version the go command records, then "devel").
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
GOFLAGS_BUILD := -trimpath -ldflags='-s -w -buildid= $(ENTRY) $(if $(VERSION),-X=github.com/daemontools-go/daemontools/applets.version=$(VERSION))'
# make install: DESTDIR stages the tree, PREFIX is where it will live.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man
# make man writes the pages here (not committed), dated by the last commit.
MANBUILD ?= bin/man
DATE ?= $(shell git log -1 --format=%cs 2>/dev/null)
# Fuzz each target this long in `make test` (the seeds always run).
FUZZTIME ?= 3s
# The stripped static binary is checked against this hard limit.
MAX_BIN_BYTES := 4194304

.PHONY: all build man install test vet fmt-check unit fuzz size-check run bench install-links clean

all: build

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) .

# The manual pages, made from the applet table by a separate generator
# (applets/internal/mangen), so that the troff writer is not in the
# executable.
man:
	rm -rf $(MANBUILD)
	$(GO) run ./applets/internal/mangen -o $(MANBUILD) $(if $(VERSION),-version $(VERSION)) \
	  $(if $(DATE),-date $(DATE))

# The executable, its links (relative, so that a DESTDIR staging tree
# works once moved into place) and the manual pages.
install: build man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/daemontools
	$(DESTDIR)$(BINDIR)/daemontools install-links -f -r $(DESTDIR)$(BINDIR)
	install -m 644 $(MANBUILD)/man1/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MANBUILD)/man8/*.8 $(DESTDIR)$(MANDIR)/man8

test: fmt-check vet size-check unit fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

size-check: build
	@size=$$(stat -c %s $(BIN)); echo "$(BIN): $$size bytes (limit $(MAX_BIN_BYTES))"; \
	test $$size -le $(MAX_BIN_BYTES)
	@if grep -q 'ld-linux' $(BIN); then echo "$(BIN) is dynamically linked"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

# Every Fuzz target, briefly: the checked-in corpus runs in `unit` anyway.
# Go 1.26's fuzzing engine can fail a target with a bare "context
# deadline exceeded" as -fuzztime runs out on a loaded machine, with no
# failing input (go.dev/issue/75804, fixed in Go 1.27): that one failure
# is run again, once; any other, or a failing input, fails.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >fuzz.log 2>&1; then break; fi; \
	      if [ $$try = 1 ] && grep -q 'context deadline exceeded' fuzz.log && ! grep -q 'Failing input written' fuzz.log; then \
	        echo "fuzz $$pkg $$f: the engine's deadline race (go.dev/issue/75804), once more"; continue; \
	      fi; \
	      cat fuzz.log; rm -f fuzz.log; exit 1; \
	    done; \
	  done; \
	done; rm -f fuzz.log

run: build
	@sh testdata/demo/run.sh $(BIN)

bench: build
	$(GO) run ./bench -bin $(BIN)

install-links: build
	@test -n "$(DIR)" || { echo "usage: make install-links DIR=/usr/local/bin"; exit 100; }
	$(BIN) install-links $(DIR)

clean:
	rm -rf bin
