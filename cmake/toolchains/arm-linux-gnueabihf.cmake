# Raspberry Pi 2/3/4 on a 32-bit OS (Debian armhf: ARMv7-A, VFPv3-D16, Thumb-2;
# not the ARMv6 Pi 1 / Zero), built with Debian's g++-arm-linux-gnueabihf:
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake
# (make cross ARCH=armhf does this). TINYAD_DEB_ARCH is dpkg's name for it.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(TINYAD_TRIPLET arm-linux-gnueabihf)
set(TINYAD_DEB_ARCH armhf)
set(TINYAD_QEMU qemu-arm-static)
# GCC's note that passing some std::pair/iterator arguments changed in GCC 7.1
# matters only when linking with code built by GCC < 7; it floods the log.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
