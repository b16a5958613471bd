// micro_mutable_op_resolver.h (stub): see micro_interpreter.h.
#pragma once
#include "micro_interpreter.h"
