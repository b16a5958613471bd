// config.h: the settings of the collection sketch (collect.ino): Wi-Fi,
// where `tinyad collect` runs, and how windows are recorded. Edit this file,
// not the sketch. The recording settings must match what the models expect
// (200 readings at 200 Hz, like the dataset).
#pragma once

// Wi-Fi network the board joins.
#define TINYAD_WIFI_SSID "your-network"
#define TINYAD_WIFI_PASSWORD "your-password"

// The computer running `tinyad collect -d DIR -p PORT` (its address on the
// Wi-Fi network, not localhost).
#define TINYAD_SERVER_HOST "192.168.1.68"
#define TINYAD_SERVER_PORT 1337

// Sent as X-Device-Id so the server's log says which board a window came from.
#define TINYAD_DEVICE_ID "esp32-fan-1"

// When `tinyad serve` runs with --device-token-file: that file's first line,
// sent as X-Device-Token with every window. "" sends no token (collect and
// an open serve need none).
#ifndef TINYAD_DEVICE_TOKEN
#define TINYAD_DEVICE_TOKEN ""
#endif

// One window: TINYAD_WINDOW_READINGS readings of x, y, z at TINYAD_SAMPLE_RATE_HZ.
#define TINYAD_SAMPLE_RATE_HZ 200
#define TINYAD_WINDOW_READINGS 200

// How long to wait for the first byte of a reply, as the original firmware.
#define TINYAD_RESPONSE_TIMEOUT_MS 500

// Set to 0 to silence the serial log.
#define TINYAD_DEBUG 1
