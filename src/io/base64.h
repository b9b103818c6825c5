// Base64 (RFC 4648, standard alphabet) decoding for waveform payloads embedded in XML (GE MUSE
// <WaveFormData>). White space between characters is ignored, as MUSE wraps lines at 76
// columns; any other character outside the alphabet, or padding in the wrong place, is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cgdmer {

// The decoded bytes, or nullopt (with *why set when given) for malformed input.
std::optional<std::vector<std::uint8_t>> base64_decode(const std::string& text, std::string* why = nullptr);

}  // namespace cgdmer
