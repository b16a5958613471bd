# tinyad: the two commands of the README, plus the usual build targets.
#   make demo   install what is missing, build, run the quick start
#   make test   install what is missing (tests too), build, run every test
BUILD ?= build
JOBS ?= $(shell nproc)

# The real recordings and the original system's files live next to the
# repository in the development workspace; CI passes them in explicitly.
SHARED := $(abspath $(CURDIR)/../shared)
TINYAD_DATA ?= $(if $(wildcard $(SHARED)/datasets/ceiling-fan),$(SHARED)/datasets/ceiling-fan,)
TINYAD_REFERENCE ?= $(if $(wildcard $(SHARED)/reference-models),$(SHARED)/reference-models,)
export TINYAD_DATA TINYAD_REFERENCE
# Without either, `make test` and `make demo` fetch the original project's
# recordings once into a cache (scripts/fetch_dataset.sh: pinned commit and
# checksum; TINYAD_DATA_URL=URL|PATH points it at a mirror). A shell
# expression for recipes: the dataset folder, or a failed command substitution.
DATA_OR_FETCH = $(if $(TINYAD_DATA),$(TINYAD_DATA),$$(scripts/fetch_dataset.sh))

.PHONY: all build demo test bench clean deps-demo deps-test golden mcu-test deb arduino-lib cross cross-test

all: build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

deps-demo:
	@scripts/deps.sh demo

deps-test:
	@scripts/deps.sh test

demo: deps-demo
	@$(MAKE) --no-print-directory build
	@data="$(DATA_OR_FETCH)" || echo "make demo: no dataset, so the demo simulates one" >&2; \
	$(BUILD)/tinyad demo $${data:+--data "$$data"}

test: deps-test
	@$(MAKE) --no-print-directory build
	@data="$(DATA_OR_FETCH)" || exit 1; export TINYAD_DATA="$$data"; \
	status=0; ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --output-junit ctest-junit.xml || status=$$?; \
	scripts/test_summary.py $(BUILD)/ctest-junit.xml; exit $$status

# The scoring core on emulated microcontrollers (Cortex-M4F, RV32IMC under
# QEMU; the Arduino library on AVR under simavr, Xtensa LX106): export, build,
# run, compare with the host's scores (also in `make test`).
mcu-test: deps-test
	@$(MAKE) --no-print-directory build
	mcu/mcu_test.sh $(BUILD)/tinyad $(BUILD)/mcu
	mcu/arduino_test.sh $(BUILD)/tinyad $(BUILD)/arduino-test

# The Arduino / PlatformIO library (core/ + firmware/ sketches, generated, not
# kept in git): $(BUILD)/arduino/tinyad/ and $(BUILD)/arduino/tinyad-VERSION.zip.
arduino-lib: build
	scripts/arduino/make_library.sh $(BUILD)/tinyad $(BUILD)/arduino

# The Debian package $(BUILD)/tinyad_<version>_<arch>.deb (CPack; packaging/,
# docs/packaging.md): builds the binary and the man pages and completion made
# from it, not the tests. The architecture is the compiler's; `make deb
# ARCH=arm64` (or armhf) cross-builds first (`make cross`) and packages
# build-ARCH/ for the Raspberry Pi.
ifeq ($(origin ARCH),command line)
deb: cross
	cmake --build build-$(ARCH) -j $(JOBS) --target package_files
	cd build-$(ARCH) && cpack -G DEB
else
deb:
	@scripts/deps.sh deb
	@$(MAKE) --no-print-directory $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target package_files
	cd $(BUILD) && cpack -G DEB
endif

# Raspberry Pi: the tinyad CLI cross-built for ARCH=arm64 (default) or armhf
# with Debian's cross compilers and a cached Debian sysroot, into build-ARCH/
# (docs/raspberry-pi.md). cross-test compares both with x86-64 under qemu-user
# (arm64 is also in `make test`).
ARCH ?= arm64
cross:
	@scripts/deps.sh cross
	scripts/cross/build.sh $(ARCH) $(BUILD) build-$(ARCH)

cross-test: deps-test
	@$(MAKE) --no-print-directory build
	scripts/cross/cross_test.sh arm64 $(BUILD) build-arm64
	scripts/cross/cross_test.sh armhf $(BUILD) build-armhf

bench: build
	$(BUILD)/bench/tinyad_bench

# Regenerates golden values from numpy/scipy (Debian's, not the PATH python).
golden:
	/usr/bin/python3 scripts/golden/make_golden.py
	/usr/bin/python3 scripts/golden/make_autoencoder_golden.py
	/usr/bin/python3 scripts/golden/make_baselines_golden.py
	/usr/bin/python3 scripts/golden/make_mcd_golden.py
	/usr/bin/python3 scripts/golden/make_commission_golden.py
	/usr/bin/python3 scripts/golden/make_threshold_golden.py
	/usr/bin/python3 scripts/golden/make_cross_conformal_golden.py

clean:
	rm -rf $(BUILD)
