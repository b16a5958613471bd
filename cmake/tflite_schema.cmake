# Generates C++ accessors for tinyad's TensorFlow Lite schema subset
# (src/formats/tflite_subset.fbs) with Debian's flatc at build time, so the generated
# header is never committed. Defines TINYAD_TFLITE_SCHEMA_H (add it to the
# sources that include it) and TINYAD_GENERATED_DIR (an include directory).
find_program(TINYAD_FLATC flatc REQUIRED)
set(TINYAD_GENERATED_DIR ${CMAKE_CURRENT_BINARY_DIR}/generated)
set(TINYAD_TFLITE_SCHEMA_H ${TINYAD_GENERATED_DIR}/tflite_subset_generated.h)
add_custom_command(
  OUTPUT ${TINYAD_TFLITE_SCHEMA_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${TINYAD_GENERATED_DIR}
  COMMAND ${TINYAD_FLATC} --cpp -o ${TINYAD_GENERATED_DIR} ${PROJECT_SOURCE_DIR}/src/formats/tflite_subset.fbs
  DEPENDS ${PROJECT_SOURCE_DIR}/src/formats/tflite_subset.fbs
  COMMENT "flatc: TFLite schema subset -> tflite_subset_generated.h"
  VERBATIM)
