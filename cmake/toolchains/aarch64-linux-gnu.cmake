# Raspberry Pi 3/4/5 on a 64-bit OS (Debian / Raspberry Pi OS arm64), built
# with Debian's g++-aarch64-linux-gnu:
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# (make cross ARCH=arm64 does this). TINYAD_DEB_ARCH is dpkg's name for it.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TINYAD_TRIPLET aarch64-linux-gnu)
set(TINYAD_DEB_ARCH arm64)
set(TINYAD_QEMU qemu-aarch64-static)
# No fused multiply-add where the source has a multiply and an add: with it,
# two thirds of the default recipe's scores differ from x86-64 in the last
# bits; without it every score is bit-identical (docs/raspberry-pi.md).
set(CMAKE_CXX_FLAGS_INIT -ffp-contract=off)
set(CMAKE_C_FLAGS_INIT -ffp-contract=off)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
