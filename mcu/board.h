// board.h: the three things the self-test needs from a board (plus a
// number printer on top of them), implemented
// per target in cm4/board.c and rv32/board.c: write text, read an instruction
// (or cycle) counter, and end the emulation with a status the shell sees.
// Plain C, no C library.
#ifndef TINYAD_MCU_BOARD_H
#define TINYAD_MCU_BOARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void board_init(void);
void board_write(const char* text);
/// Counter for instruction counts; board_counter_unit() names it. Use
/// board_elapsed() for differences (a counter may be narrower than 32 bits).
uint32_t board_counter(void);
uint32_t board_elapsed(uint32_t start, uint32_t end);
const char* board_counter_unit(void);
/// Ends the program: status 0 = success. Does not return.
void board_exit(int status) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

/// Writes v in decimal (no C library for printf here).
static inline void board_write_u32(uint32_t v) {
  char buf[11];
  char* p = buf + sizeof buf - 1;
  *p = '\0';
  do {
    *--p = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  board_write(p);
}

#endif  // TINYAD_MCU_BOARD_H
