// device_id.h: what a device id may be. Ids come from clients (X-Device-Id,
// the body's "device", an MQTT topic) and end up in JSON, Prometheus labels,
// file names of baselines and console lines, so they are checked once where
// they enter: at most 64 bytes of valid UTF-8 with no control characters.
// A longer id is cut at a character boundary (never inside a character).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyad {

inline constexpr size_t kDeviceIdMaxBytes = 64;

/// The longest prefix of `id` of at most `max_bytes` that does not end
/// inside a UTF-8 sequence.
std::string device_id_cut(std::string_view id, size_t max_bytes = kDeviceIdMaxBytes);

/// True when `id` is valid UTF-8 (no overlong forms, no surrogates) without
/// control characters; else false with *why ("is not valid UTF-8 at byte 3").
bool device_id_valid(std::string_view id, std::string* why);

/// `id` with every byte that is not printable ASCII or part of valid UTF-8
/// written as \xNN, for log lines that must stay one line.
std::string device_id_printable(std::string_view id);

}  // namespace tinyad
