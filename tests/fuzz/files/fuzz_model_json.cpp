// fuzz_model_json.cpp: libFuzzer target for tinyad's own model file (.json,
// model.h), read through model_import and then scored (fuzz_model_file.h).
#include "fuzz_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyad::fuzz::import_bytes(data, size, ".json");
  return 0;
}
