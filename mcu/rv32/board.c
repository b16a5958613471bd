/* board.c (RV32IMC, QEMU virt): output on the NS16550 UART at 0x10000000,
   exit through the SiFive test device at 0x100000 (QEMU exits with the
   status), minstret as the counter (exact instructions under qemu -icount).
   No C library: this toolchain has none. */
#include <stdint.h>

#include "../board.h"

#define UART_THR (*(volatile uint8_t*)0x10000000u)
#define UART_LSR (*(volatile uint8_t*)0x10000005u)
#define TEST_DEV (*(volatile uint32_t*)0x00100000u)

void board_init(void) {}

void board_write(const char* text) {
  for (; *text; ++text) {
    while (!(UART_LSR & 0x20u)) {
    } /* transmit holding register empty */
    UART_THR = (uint8_t)*text;
  }
}

uint32_t board_counter(void) {
  uint32_t n;
  /* Zicsr is its own extension for the assembler; the core is built without it. */
  __asm__ volatile(".option push\n .option arch, +zicsr\n csrr %0, minstret\n .option pop" : "=r"(n));
  return n;
}
uint32_t board_elapsed(uint32_t start, uint32_t end) { return end - start; }
const char* board_counter_unit(void) { return "instructions"; }

void board_exit(int status) {
  /* 0x5555 = pass; (code << 16) | 0x3333 = fail with that exit code. */
  TEST_DEV = status == 0 ? 0x5555u : (((uint32_t)status << 16) | 0x3333u);
  for (;;) {
  }
}
