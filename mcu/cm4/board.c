/* board.c (Cortex-M4F, mps2-an386 under QEMU): vector table, reset handler
   (FPU on, .data copied, .bss cleared), semihosting for output and exit, and
   SysTick as the counter (with qemu -icount, virtual time follows executed
   instructions). No C library. */
#include <stdint.h>

#include "../board.h"

extern uint32_t _stack_top, _data_start, _data_end, _data_load, _bss_start, _bss_end;
int main(void);

/* Semihosting call: r0 = operation, r1 = argument, BKPT 0xAB. */
static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void board_write(const char* text) { semihost(0x04, text); /* SYS_WRITE0 */ }

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)

static uint32_t insns_per_tick = 1;

/* SysTick counts down from 2^24 - 1 at the 25 MHz system clock; QEMU's
   -icount shift=0 makes one instruction take 1 ns of virtual time, so a tick
   is a fixed number of instructions. Measured once on a loop of known length. */
static uint32_t ticks(void) { return 0x00FFFFFFu - SYST_CVR; }

void board_init(void) {
  SYST_RVR = 0x00FFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5u; /* processor clock, enabled, no interrupt */
  const uint32_t loops = 100000u; /* 2 instructions each: subs, bne */
  const uint32_t t0 = ticks();
  uint32_t n = loops;
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  const uint32_t t = (ticks() - t0) & 0x00FFFFFFu;
  insns_per_tick = t ? (2u * loops + t / 2u) / t : 1u;
}

uint32_t board_counter(void) { return ticks(); }
uint32_t board_elapsed(uint32_t start, uint32_t end) { return ((end - start) & 0x00FFFFFFu) * insns_per_tick; }
const char* board_counter_unit(void) { return "instructions (SysTick under qemu -icount)"; }

void board_exit(int status) {
  /* SYS_EXIT with ADP_Stopped_ApplicationExit (QEMU exits 0) or
     ADP_Stopped_RunTimeErrorUnknown (QEMU exits 1). */
  semihost(0x18, (const void*)(uintptr_t)(status == 0 ? 0x20026u : 0x20023u));
  for (;;) {
  }
}

__attribute__((noreturn)) static void fault_handler(void) {
  board_write("tinyad selftest: FAIL (hard fault)\n");
  board_exit(1);
}

__attribute__((noreturn, used)) void reset_handler(void) {
  /* Full access to CP10/CP11 before any floating-point instruction runs. */
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n isb" ::: "memory");
  const uint32_t* src = &_data_load;
  for (uint32_t* dst = &_data_start; dst < &_data_end;) *dst++ = *src++;
  for (uint32_t* dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
  board_exit(main());
}

__attribute__((section(".vectors"), used)) static const void* const vectors[16] = {
    &_stack_top,   (const void*)reset_handler, (const void*)fault_handler, (const void*)fault_handler,
    (const void*)fault_handler, (const void*)fault_handler, (const void*)fault_handler,
};
