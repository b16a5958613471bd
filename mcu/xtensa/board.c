/* board.c for the Xtensa LX106 under QEMU `-M sim -semihosting`: text and the
   exit status through the simulator call (SIMCALL: a2 = call number, a3..a5
   the arguments, as the Xtensa instruction set simulator defines them), the
   counter is the core's CCOUNT register. */
#include "board.h"

enum { SYS_EXIT = 1, SYS_WRITE = 4 };

static int simcall(int nr, int a, int b, int c) {
  register int a2 __asm__("a2") = nr;
  register int a3 __asm__("a3") = a;
  register int a4 __asm__("a4") = b;
  register int a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
  return a2;
}

void board_init(void) {}

void board_write(const char* text) {
  int n = 0;
  while (text[n]) ++n;
  simcall(SYS_WRITE, 1, (int)(unsigned)text, n);
}

uint32_t board_counter(void) {
  uint32_t c;
  __asm__ volatile("rsr %0, ccount" : "=r"(c));
  return c;
}

uint32_t board_elapsed(uint32_t start, uint32_t end) { return end - start; }

const char* board_counter_unit(void) { return "ccount"; }

void board_exit(int status) {
  simcall(SYS_EXIT, status, 0, 0);
  for (;;) {
  }
}
