# debian-cross.cmake: what the Raspberry Pi toolchain files share. Expects
# TINYAD_TRIPLET (GNU triplet of Debian's cross compiler) and TINYAD_DEB_ARCH
# (dpkg's architecture name) from the including file.
#
# The sysroot (CMAKE_SYSROOT) is TINYAD_SYSROOT (-D or environment), else
# scripts/cross/sysroot.sh's cache folder ~/.cache/tinyad/sysroot-<deb arch>.
# Programs (flatc, npm) are the build machine's; libraries, headers, CMake
# packages and pkg-config files are the sysroot's only.
set(CMAKE_SYSTEM_NAME Linux)

if(NOT TINYAD_SYSROOT)
  if(DEFINED ENV{TINYAD_SYSROOT})
    set(TINYAD_SYSROOT "$ENV{TINYAD_SYSROOT}")
  elseif(DEFINED ENV{XDG_CACHE_HOME})
    set(TINYAD_SYSROOT "$ENV{XDG_CACHE_HOME}/tinyad/sysroot-${TINYAD_DEB_ARCH}")
  else()
    set(TINYAD_SYSROOT "$ENV{HOME}/.cache/tinyad/sysroot-${TINYAD_DEB_ARCH}")
  endif()
endif()
if(NOT EXISTS "${TINYAD_SYSROOT}/usr/lib/${TINYAD_TRIPLET}")
  message(FATAL_ERROR "no ${TINYAD_DEB_ARCH} sysroot at ${TINYAD_SYSROOT} "
                      "(scripts/cross/sysroot.sh ${TINYAD_DEB_ARCH} makes one)")
endif()
# try_compile projects read this file again: hand them the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYAD_SYSROOT TINYAD_TRIPLET TINYAD_DEB_ARCH)
set(CMAKE_SYSROOT "${TINYAD_SYSROOT}")

set(CMAKE_C_COMPILER ${TINYAD_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${TINYAD_TRIPLET}-g++)
set(CMAKE_ASM_COMPILER ${TINYAD_TRIPLET}-gcc)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libzip, HDF5, libmosquitto): the target's .pc files, their
# paths prefixed with the sysroot.
set(ENV{PKG_CONFIG_LIBDIR} "${TINYAD_SYSROOT}/usr/lib/${TINYAD_TRIPLET}/pkgconfig:${TINYAD_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${TINYAD_SYSROOT}")

# Runs target programs on the build machine (qemu-user, no binfmt needed).
set(CMAKE_CROSSCOMPILING_EMULATOR ${TINYAD_QEMU} -L ${TINYAD_SYSROOT})

# For `make deb ARCH=...`: CPack's Debian architecture field.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${TINYAD_DEB_ARCH})
