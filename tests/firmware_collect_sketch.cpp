// firmware_collect_sketch.cpp: compiles firmware/collect/collect.ino as C++
// for the host (the Arduino IDE adds nothing the sketch relies on).
#include "collect.ino"
