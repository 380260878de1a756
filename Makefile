# Convenience wrapper around Meson, in the style of PipeWire's.
#   make         build into build/
#   make check   install missing Debian packages, build, run every test suite
#   make demo    install, build, run one simulated VM through the module
#   make bench   run the benchmarks (bench/)
#   make fuzz    longer fuzzing run (FUZZ_SECONDS per target, default 600)

BUILD ?= build
BUILD_FUZZ ?= build-fuzz
MESON_OPTS ?=
FUZZ_SECONDS ?= 600

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS) $(if $(CI),-Dwerror=true)

$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=enabled -Db_sanitize=address,undefined \
		-Db_lundef=false -Dsystem-tests=disabled $(if $(CI),-Dwerror=true)

# deps first, then the rest: under make -j, meson setup must not run while
# packages are still being installed.
check: deps
	$(MAKE) all $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	./scripts/run-tests.sh $(BUILD) $(BUILD_FUZZ)

demo: deps
	$(MAKE) all
	./tools/demo/run-demo.sh $(BUILD)

demo-xen: deps
	$(MAKE) all
	./tests/system/run.sh --demo $(BUILD)

bench: deps
	$(MAKE) all
	./bench/run-bench.sh $(BUILD)

fuzz: deps
	$(MAKE) $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)
	./fuzz/run-fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_FUZZ)

.PHONY: all deps check demo demo-xen bench fuzz install clean
