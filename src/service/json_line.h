// json_line.h: appending JSON values to a string for the lines the service
// writes per window (the verdict, its event): a verdict carries 60
// features, and building a DOM (nlohmann::json) to print them cost more
// than reading the window. The text is nlohmann's dump() layout, so a
// verdict reads as before: finite numbers in the shortest form that reads
// back to the same double (std::to_chars), laid out as nlohmann does
// ("0.0123", "1.0", "1e-05", "1.5e+20"), non-finite as null; strings
// escaped as nlohmann does. What it avoids: anything but appending (no
// objects, no nesting checks: the callers write fixed shapes).
#pragma once

#include <string>
#include <string_view>

namespace tinyad {

/// Appends v as nlohmann's dump() writes a double; null when not finite.
void json_append_number(std::string* out, double v);

/// Appends s as a JSON string, quoted and escaped as nlohmann's dump()
/// (with error_handler_t::replace) writes it.
void json_append_string(std::string* out, std::string_view s);

}  // namespace tinyad
