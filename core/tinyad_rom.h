// tinyad_rom.h: constants in flash where flash is a separate address space.
// On AVR (Harvard) a `static const` array is copied into the 2-8 KB of RAM at
// start-up unless it is marked PROGMEM, and a PROGMEM array must then be read
// with the LPM instruction (pgm_read_*), not through a plain pointer. The
// generated model headers mark their big arrays TINYAD_ROM; code that reads
// them goes through tinyad_rom_read() (or a template with Rom = true), which
// is a plain load everywhere else. On ARM, RISC-V and Xtensa const data is
// already in flash and both macros cost nothing.
#ifndef TINYAD_ROM_H
#define TINYAD_ROM_H

// C code keeps them in RAM: the C API (tinyad_c.cpp) reads plain pointers.
#if defined(__AVR__) && defined(__cplusplus)
#include <avr/pgmspace.h>
#define TINYAD_ROM PROGMEM
#else
#define TINYAD_ROM
#endif

#ifdef __cplusplus
/// *p, where p points into a TINYAD_ROM array (Rom = true) or into RAM.
#if defined(__AVR__)
template <bool Rom, typename T>
inline T tinyad_load(const T* p) {
  if (!Rom) return *p;
  T v;  // byte by byte from flash: any trivially copyable T
  unsigned char* d = reinterpret_cast<unsigned char*>(&v);
  const unsigned char* s = reinterpret_cast<const unsigned char*>(p);
  for (unsigned i = 0; i < sizeof(T); ++i) d[i] = pgm_read_byte(s + i);
  return v;
}
template <>
inline float tinyad_load<true, float>(const float* p) {
  return pgm_read_float(p);
}
#else
template <bool Rom, typename T>
inline T tinyad_load(const T* p) {
  return *p;
}
#endif

/// A value of a TINYAD_ROM array.
inline float tinyad_rom_read(const float* p) { return tinyad_load<true>(p); }
#if defined(__AVR__)
inline unsigned char tinyad_rom_read(const unsigned char* p) { return pgm_read_byte(p); }
#else
inline unsigned char tinyad_rom_read(const unsigned char* p) { return *p; }
#endif
#endif  // __cplusplus

#endif  // TINYAD_ROM_H
