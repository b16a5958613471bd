/* start.S: the lx106's reset vector under QEMU `-M sim` (0x50000000, where
   xtensa.ld puts it; the machine starts there, not at the ELF entry). call0
   ABI, no windowed registers: stack pointer, zeroed .bss, main(), then
   board_exit(status). Assembled with --text-section-literals: the literal
   pool sits right after the first jump, before the code that loads it. */
  .section .entry.text, "ax"
  .global _start
  .align 4
_start:
  j .Lbody
  .literal_position
  .literal .Lstack, _stack_top
  .literal .Lbss_start, _bss_start
  .literal .Lbss_end, _bss_end
  .literal .Lmain, main
  .literal .Lexit, board_exit
  .align 4
.Lbody:
  l32r a1, .Lstack
  l32r a2, .Lbss_start
  l32r a3, .Lbss_end
  movi a4, 0
1:
  bgeu a2, a3, 2f
  s32i a4, a2, 0
  addi a2, a2, 4
  j 1b
2:
  l32r a0, .Lmain
  callx0 a0
  l32r a0, .Lexit
  callx0 a0
3:
  j 3b
