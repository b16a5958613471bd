/* board.c (host): the self-test as a normal program, to check the generated
   headers compile with the strict flags and score like the exporter did. */
#include <stdio.h>
#include <stdlib.h>

#include "../board.h"

void board_init(void) {}
void board_write(const char* text) { fputs(text, stdout); }
uint32_t board_counter(void) { return 0; }
uint32_t board_elapsed(uint32_t start, uint32_t end) { return end - start; }
const char* board_counter_unit(void) { return "(not counted on the host)"; }
void board_exit(int status) { exit(status); }
