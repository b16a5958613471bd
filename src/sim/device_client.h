// device_client.h: the original ESP32 collection firmware's HTTP client,
// emulated call for call over a blocking socket: WiFiClient's available()
// (bytes already received, never waiting), Stream::readStringUntil('\r'),
// String::trim, and the 500 ms waits. Tests use it to prove that a server
// reply is parsed by the firmware as intended; `tinyad device` uses it to
// load a server like a fleet of boards. What it avoids: being a general HTTP
// client (no redirects, chunking or keep-alive: the firmware has none).
#pragma once

#include <string>

namespace tinyad {

struct DeviceEndpoint {
  std::string host = "127.0.0.1";
  int port = 1337;
  std::string path = "/";
};

/// Parses "http://host:port/path", "host:port" or "host" (port 1337, the
/// firmware's). False with a message for anything else (https, bad port).
bool device_parse_url(const std::string& url, DeviceEndpoint* out, std::string* err);

struct FirmwareTiming {
  int response_timeout_ms = 500;   // the firmware's `timeout`: first byte of a reply
  int stream_timeout_ms = 1000;    // Arduino Stream default: readStringUntil waits this long per byte
  int connect_timeout_ms = 3000;   // WiFiClient::connect
};

/// The firmware's getServerReadyFlag(): GET with Connection: close, wait for
/// the first byte, discard four '\r'-terminated lines, read the fifth,
/// trim it; 1 or 0 when it is "1" or "0", else -1 (also on connect failure
/// or timeout). *trace (optional) gets the lines as read, for test messages.
/// One deviation: where the board would wait out its stream timeout after
/// the server closed, this returns at once (same result, no 1 s stall).
int firmware_get_flag(const DeviceEndpoint& ep, const FirmwareTiming& timing, std::string* trace = nullptr);

struct FirmwarePost {
  int result = 0;         // the firmware's sendPostRequest(): 1 sent and answered, 0 no connection, -1 timeout
  int status = 0;         // HTTP status of the reply (0 when none)
  std::string printed;    // what the firmware prints of the reply (lines without '\r')
};

/// The firmware's sendPostRequest(): POST the JSON body with Connection: close
/// and Content-Type: application/json, wait up to 500 ms for a reply and read
/// what has arrived. `device_id`, when not empty, is sent as X-Device-Id
/// (the original firmware sent none).
FirmwarePost firmware_post(const DeviceEndpoint& ep, const FirmwareTiming& timing, const std::string& json,
                           const std::string& device_id = "");

}  // namespace tinyad
