// XLI: the waveform compression of Philips PageWriter / TraceMaster / HeartStart XML
// (<parsedwaveforms compression="XLI">), decoded here from its published description (the
// MIT-licensed sierra-ecg-tools documents it; this is our own implementation). The base64-
// decoded payload is a run of chunks, one per lead:
//   8-byte header: int32 LE payload size, 2 bytes unused, int16 LE "first" value;
//   payload: LZW with fixed 10-bit codes packed MSB first, a 256-entry byte alphabet and
//     codes 256…1022 for new strings (1023 ends the stream). A code is only taken while more
//     than 24 bits remain bufferable, as the writers pad the stream (and sierraecg decodes so).
//   The decoded bytes (one 0 appended if odd) hold n = bytes/2 int16: high bytes in the first
//   half, low bytes in the second. They are second-order differences: with d[0], d[1] kept,
//   each later sample is 2·y − x − last, where x, y are the two previous outputs and `last`
//   starts as the header's first value and then is the previous raw d[i] − 64.
// Philips then stores III, aVR, aVL, aVF as residuals from I and II: see philips_xml.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cgdmer {

// Decodes the first `max_leads` chunks of an XLI payload into int16 samples per lead.
// Throws FormatError(path, ...) for a truncated chunk header, a size beyond the payload or an
// invalid LZW code. Fewer chunks than max_leads is not an error here (the caller checks).
std::vector<std::vector<std::int16_t>> xli_decode(const std::vector<std::uint8_t>& payload, std::size_t max_leads,
                                                  const std::string& path);

}  // namespace cgdmer
