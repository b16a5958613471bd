// fuzz_tflite.cpp: libFuzzer target for .tflite models: the FlatBuffers
// verifier must refuse a damaged buffer before any accessor touches it, and
// a network that loads must run (fuzz_model_file.h).
#include "fuzz_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyad::fuzz::import_bytes(data, size, ".tflite");
  return 0;
}
