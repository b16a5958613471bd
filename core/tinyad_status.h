// tinyad_status.h: status codes shared by every core function.
// Freestanding: no heap, no exceptions, only <stdint.h>.
#ifndef TINYAD_STATUS_H
#define TINYAD_STATUS_H

#include <stdint.h>

// The message for each status sits next to its enum value so they never drift.
#define TINYAD_STATUS_LIST(X)                                                  \
  X(TINYAD_STATUS_OK, "ok")                                                    \
  X(TINYAD_STATUS_NULL_ARGUMENT, "a required pointer argument is null")        \
  X(TINYAD_STATUS_WINDOW_TOO_SHORT, "window has fewer rows than the recipe")   \
  X(TINYAD_STATUS_BAD_RECIPE, "recipe is invalid (window, groups or bands)")   \
  X(TINYAD_STATUS_BUFFER_TOO_SMALL, "caller buffer is too small")              \
  X(TINYAD_STATUS_SIZE_MISMATCH, "model and feature sizes differ")             \
  X(TINYAD_STATUS_NOT_FINITE, "input or result is NaN or infinite")            \
  X(TINYAD_STATUS_NOT_READY, "not enough data yet")                            \
  X(TINYAD_STATUS_SINGULAR, "matrix is not positive definite")                 \
  X(TINYAD_STATUS_BAD_MODEL, "model is invalid (layer sizes or activation)")

enum tinyad_status {
#define TINYAD_STATUS_ENUM(name, text) name,
  TINYAD_STATUS_LIST(TINYAD_STATUS_ENUM)
#undef TINYAD_STATUS_ENUM
};

/// Human-readable text for a status (static storage, never null).
static inline const char* tinyad_status_str(enum tinyad_status s) {
  switch (s) {
#define TINYAD_STATUS_CASE(name, text) \
  case name:                           \
    return text;
    TINYAD_STATUS_LIST(TINYAD_STATUS_CASE)
#undef TINYAD_STATUS_CASE
  }
  return "unknown status";
}

#endif  // TINYAD_STATUS_H
