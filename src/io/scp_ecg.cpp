// read_scp_ecg: SCP-ECG (EN 1064 / ISO 11073-91064) files, hand-written (no Debian library
// decodes SCP-ECG). Layout, all integers little-endian:
//   record: CRC-CCITT of the rest (2), record size (4), then sections;
//   section: CRC-CCITT of the rest of the section (2), id (2), length incl. this 16-byte
//     header (4), version (1), protocol (1), "SCPECG"-reserved (6), data;
//   section 0: pointers of 10 bytes: id (2), length (4), index (4, 1-based byte position in
//     the record; length 0 = section absent);
//   section 2 (Huffman tables, absent = samples stored as raw int16): number of tables (2),
//     19999 = the standard's default table; else per table: number of codes (2), then per code
//     prefix bits (1), total bits (1), mode switch (1), base value (2), base code (4, stored
//     bit-reversed);
//   section 3 (leads): number of leads (1), flags (1: bit 0 reference-beat subtraction, bit 2
//     simultaneous recording), then per lead start sample (4), end sample (4), lead id (1);
//   section 6 (rhythm): AVM (2, nV per count), sample interval (2, µs), difference encoding
//     (1: 0 none, 1 first, 2 second differences), bimodal compression (1), per-lead byte
//     counts (2 each), then each lead's bytes.
// Supported: one Huffman table (the default or a file's own, mode switch 1 throughout) or
// none; difference encodings 0–2. Refused with a FormatError: reference-beat subtraction,
// bimodal compression, table switching. Every CRC is verified.
// Section 3's end sample is not trusted beyond what section 6 holds (a converter saturated the
// 16-bit byte counts at 65534: ecg-contec's 0000050.ECG.scp holds 32767 of 37855 samples).
// Lead ids map to names by the standard's table (1 I, 2 II, 3–8 V1–V6, 61–64 III, aVR, aVL,
// aVF, ...). Values: count × AVM nV → mV; fs = 10^6 / interval µs, rounded to a whole Hz when
// within 0.05 % (the µs field cannot say 600 Hz exactly: 1667 µs).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/xml_doc.h"  // read_file_bytes

namespace cgdmer {

namespace {

std::uint16_t u16(const std::string& b, std::size_t o) {
  return std::uint16_t(std::uint8_t(b[o]) | std::uint8_t(b[o + 1]) << 8);
}
std::uint32_t u32(const std::string& b, std::size_t o) {
  return std::uint32_t(u16(b, o)) | std::uint32_t(u16(b, o + 2)) << 16;
}

// CRC-CCITT (polynomial 0x1021, initial 0xFFFF, MSB first), as SCP-ECG specifies.
std::uint16_t crc_ccitt(const std::string& b, std::size_t begin, std::size_t end) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = begin; i < end; ++i) {
    crc ^= std::uint16_t(std::uint8_t(b[i]) << 8);
    for (int k = 0; k < 8; ++k) crc = std::uint16_t(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

struct Section {
  std::size_t begin = 0, length = 0;  // byte offset of the section header, total length
  bool present() const { return length > 0; }
  std::size_t data() const { return begin + 16; }
  std::size_t end() const { return begin + length; }
};

struct HuffCode {
  int prefix_bits, total_bits;
  std::uint32_t code;  // the prefix, MSB first
  int base_value;
};

// The standard's default table (prEN 1064 C.2.7.4): 0 → "0"; ±v (v = 1…8) → v ones, a zero,
// then a sign bit (0 +, 1 −), e.g. 1 → "100", −2 → "1101"; then "1111111110" + an 8-bit and
// "1111111111" + a 16-bit original value.
std::vector<HuffCode> default_table() {
  std::vector<HuffCode> t = {{1, 1, 0b0, 0}};
  for (int v = 1; v <= 8; ++v) {
    const int bits = v + 2;
    const std::uint32_t ones = ((1u << v) - 1) << 2;  // v ones, a 0, the sign bit
    t.push_back({bits, bits, ones, v});
    t.push_back({bits, bits, ones | 1u, -v});
  }
  t.push_back({10, 18, 0x3FE, 0});
  t.push_back({10, 26, 0x3FF, 0});
  return t;
}

std::uint32_t reverse_bits(std::uint32_t v, int n) {
  std::uint32_t r = 0;
  for (int i = 0; i < n; ++i) r |= ((v >> i) & 1u) << (n - 1 - i);
  return r;
}

std::vector<HuffCode> read_tables(const std::string& b, const Section& s, const std::string& path) {
  if (s.length < 18) throw FormatError(path, "SCP section 2 too short");
  const std::uint16_t n_tables = u16(b, s.data());
  if (n_tables == 19999) return default_table();
  if (n_tables != 1)
    throw FormatError(path, "SCP section 2 defines " + std::to_string(n_tables) + " Huffman tables (only one is supported)");
  std::size_t o = s.data() + 2;
  if (o + 2 > s.end()) throw FormatError(path, "SCP section 2 truncated");
  const std::uint16_t n_codes = u16(b, o);
  o += 2;
  if (n_codes == 0 || o + std::size_t(n_codes) * 9 > s.end()) throw FormatError(path, "SCP section 2: Huffman table truncated");
  std::vector<HuffCode> t;
  for (std::uint16_t i = 0; i < n_codes; ++i, o += 9) {
    const int prefix = std::uint8_t(b[o]), total = std::uint8_t(b[o + 1]), mode = std::uint8_t(b[o + 2]);
    if (prefix < 1 || prefix > 32 || total < prefix || total > prefix + 16 || mode != 1)
      throw FormatError(path, "SCP section 2: unsupported Huffman code " + std::to_string(i + 1) + " (prefix " +
                                  std::to_string(prefix) + ", total " + std::to_string(total) + ", switch " +
                                  std::to_string(mode) + ")");
    t.push_back({prefix, total, reverse_bits(u32(b, o + 5), prefix), int(std::int16_t(u16(b, o + 3)))});
  }
  return t;
}

// Decodes up to `want` values of one lead from bytes [p, p+n).
std::vector<std::int32_t> huffman_decode(const std::string& b, std::size_t p, std::size_t n,
                                         const std::vector<HuffCode>& table, std::int64_t want, int lead,
                                         const std::string& path) {
  std::vector<std::int32_t> out;
  const std::uint64_t n_bits = std::uint64_t(n) * 8;
  std::uint64_t pos = 0;
  auto bit = [&](std::uint64_t i) { return (std::uint8_t(b[p + std::size_t(i / 8)]) >> (7 - i % 8)) & 1u; };
  int max_prefix = 0;
  for (const auto& c : table) max_prefix = std::max(max_prefix, c.prefix_bits);
  while (std::int64_t(out.size()) < want) {
    std::uint32_t code = 0;
    const HuffCode* hit = nullptr;
    for (int len = 1; len <= max_prefix && !hit; ++len) {
      if (pos >= n_bits) return out;  // bytes exhausted (trailing padding bits end the lead)
      code = (code << 1) | bit(pos++);
      for (const auto& c : table)
        if (c.prefix_bits == len && c.code == code) {
          hit = &c;
          break;
        }
    }
    if (!hit)
      throw FormatError(path, "SCP lead " + std::to_string(lead + 1) + ": invalid Huffman code at bit " + std::to_string(pos));
    const int extra = hit->total_bits - hit->prefix_bits;
    if (extra == 0) {
      out.push_back(hit->base_value);
      continue;
    }
    if (pos + std::uint64_t(extra) > n_bits) return out;
    std::uint32_t v = 0;
    for (int k = 0; k < extra; ++k) v = (v << 1) | bit(pos++);
    // The original value, two's complement in `extra` bits.
    const std::int32_t sv = (v & (1u << (extra - 1))) ? std::int32_t(v) - std::int32_t(1u << extra) : std::int32_t(v);
    out.push_back(sv);
  }
  return out;
}

std::string scp_lead_name(int id) {
  static const char* names[] = {"",    "I",    "II",   "V1",   "V2",   "V3",   "V4",   "V5",   "V6",   "V7",
                                "V2R", "V3R",  "V4R",  "V5R",  "V6R",  "V7R",  "X",    "Y",    "Z",    "CC5",
                                "CM5", "LA",   "RA",   "LL",   "fI",   "fE",   "fC",   "fA",   "fM",   "fF",
                                "fH",  "dI",   "dII",  "dV1",  "dV2",  "dV3",  "dV4",  "dV5",  "dV6",  "dV7",
                                "dV2R", "dV3R", "dV4R", "dV5R", "dV6R", "dV7R", "dX",   "dY",   "dZ",   "dCC5",
                                "dCM5", "dLA",  "dRA",  "dLL",  "dfI",  "dfE",  "dfC",  "dfA",  "dfM",  "dfF",
                                "dfH",  "III",  "aVR",  "aVL",  "aVF",  "-aVR", "V8",   "V9",   "V8R",  "V9R",
                                "D",    "A",    "J"};
  if (id > 0 && id < int(sizeof(names) / sizeof(names[0]))) return names[id];
  return "lead id " + std::to_string(id);
}

}  // namespace

EcgRecord read_scp_ecg(const std::string& path) {
  const std::string b = read_file_bytes(path);
  if (b.size() < 6 + 16) throw FormatError(path, "SCP-ECG file too short (" + std::to_string(b.size()) + " bytes)");
  const std::uint32_t record_size = u32(b, 2);
  if (record_size != b.size())
    throw FormatError(path, "SCP record size " + std::to_string(record_size) + " does not match the file's " +
                                std::to_string(b.size()) + " bytes");
  if (crc_ccitt(b, 2, b.size()) != u16(b, 0)) throw FormatError(path, "SCP record CRC mismatch");

  // Section 0 starts right after the record header; its pointers locate the others.
  Section sec[12];
  auto check_section = [&](Section s, int id) {
    if (s.begin < 6 || s.length < 16 || s.begin > b.size() || s.length > b.size() - s.begin)
      throw FormatError(path, "SCP section " + std::to_string(id) + " lies outside the file");
    if (u16(b, s.begin + 2) != id)
      throw FormatError(path, "SCP section at byte " + std::to_string(s.begin + 1) + " has id " +
                                  std::to_string(u16(b, s.begin + 2)) + ", section 0 says " + std::to_string(id));
    if (u32(b, s.begin + 4) != s.length) throw FormatError(path, "SCP section " + std::to_string(id) + ": length differs from section 0's");
    if (crc_ccitt(b, s.begin + 2, s.end()) != u16(b, s.begin)) throw FormatError(path, "SCP section " + std::to_string(id) + " CRC mismatch");
  };
  sec[0] = {6, u32(b, 6 + 4)};
  check_section(sec[0], 0);
  for (std::size_t o = sec[0].data(); o + 10 <= sec[0].end(); o += 10) {
    const std::uint16_t id = u16(b, o);
    const std::uint32_t len = u32(b, o + 2), index = u32(b, o + 6);
    if (id == 0 || id >= 12 || len == 0) continue;  // sections we do not read
    sec[id] = {std::size_t(index) - 1, len};
    if (index == 0) throw FormatError(path, "SCP section " + std::to_string(id) + " has index 0");
    check_section(sec[id], id);
  }
  if (!sec[3].present()) throw FormatError(path, "SCP file has no section 3 (lead definitions)");
  if (!sec[6].present()) throw FormatError(path, "SCP file has no section 6 (rhythm data)");

  // Section 3: leads.
  const Section& s3 = sec[3];
  if (s3.length < 18) throw FormatError(path, "SCP section 3 too short");
  const int n_leads = std::uint8_t(b[s3.data()]);
  const int flags = std::uint8_t(b[s3.data() + 1]);
  if (n_leads == 0) throw FormatError(path, "SCP section 3 declares 0 leads");
  if (s3.data() + 2 + std::size_t(n_leads) * 9 > s3.end()) throw FormatError(path, "SCP section 3 truncated");
  if (flags & 1) throw FormatError(path, "SCP reference-beat subtraction is not supported");
  std::vector<std::int64_t> declared(static_cast<std::size_t>(n_leads));
  std::vector<std::string> names;
  for (int l = 0; l < n_leads; ++l) {
    const std::size_t o = s3.data() + 2 + std::size_t(l) * 9;
    const std::uint32_t start = u32(b, o), end = u32(b, o + 4);
    if (start < 1 || end < start) throw FormatError(path, "SCP lead " + std::to_string(l + 1) + ": sample range " +
                                                              std::to_string(start) + "…" + std::to_string(end) + " is empty");
    declared[std::size_t(l)] = std::int64_t(end) - start + 1;
    names.push_back(scp_lead_name(std::uint8_t(b[o + 8])));
    for (int k = 0; k < l; ++k)
      if (names[std::size_t(k)] == names.back()) throw FormatError(path, "SCP lead " + names.back() + " appears twice");
  }

  // Section 6: rhythm.
  const Section& s6 = sec[6];
  const std::size_t h6 = s6.data();
  if (h6 + 6 + 2 * std::size_t(n_leads) > s6.end()) throw FormatError(path, "SCP section 6 truncated");
  const std::uint16_t avm = u16(b, h6), interval = u16(b, h6 + 2);
  const int diff = std::uint8_t(b[h6 + 4]), bimodal = std::uint8_t(b[h6 + 5]);
  if (avm == 0) throw FormatError(path, "SCP section 6: amplitude value multiplier is 0");
  if (interval == 0) throw FormatError(path, "SCP section 6: sample interval is 0");
  if (diff > 2) throw FormatError(path, "SCP section 6: unknown difference encoding " + std::to_string(diff));
  if (bimodal) throw FormatError(path, "SCP bimodal compression is not supported");
  const std::vector<HuffCode> table = sec[2].present() ? read_tables(b, sec[2], path) : std::vector<HuffCode>{};

  std::vector<std::vector<std::int64_t>> leads;
  std::size_t p = h6 + 6 + 2 * std::size_t(n_leads);
  for (int l = 0; l < n_leads; ++l) {
    const std::size_t n_bytes = u16(b, h6 + 6 + 2 * std::size_t(l));
    if (p + n_bytes > s6.end())
      throw FormatError(path, "SCP lead " + names[std::size_t(l)] + ": " + std::to_string(n_bytes) + " bytes declared, section 6 ends first");
    std::vector<std::int32_t> v;
    if (table.empty()) {
      const std::size_t n = std::min<std::size_t>(n_bytes / 2, std::size_t(declared[std::size_t(l)]));
      for (std::size_t t = 0; t < n; ++t) v.push_back(std::int16_t(u16(b, p + 2 * t)));
    } else {
      v = huffman_decode(b, p, n_bytes, table, declared[std::size_t(l)], l, path);
    }
    p += n_bytes;
    if (v.empty()) throw FormatError(path, "SCP lead " + names[std::size_t(l)] + " holds no samples");
    // Undo the differences in int64: integrating a corrupt file's second differences over
    // 65535 × 8 samples can exceed int32 (|x| < 2^16 · n² < 2^55 stays exact).
    std::vector<std::int64_t> x(v.begin(), v.end());
    if (diff >= 1)  // first: x[i] = d[i] + x[i−1]; second: x[i] = d[i] + 2x[i−1] − x[i−2]
      for (std::size_t i = diff == 1 ? 1 : 2; i < x.size(); ++i)
        x[i] = diff == 1 ? x[i] + x[i - 1] : x[i] + 2 * x[i - 1] - x[i - 2];
    if (!leads.empty() && x.size() != leads.front().size())
      throw FormatError(path, "SCP lead " + names[std::size_t(l)] + " holds " + std::to_string(x.size()) + " samples, lead " +
                                  names.front() + " " + std::to_string(leads.front().size()));
    leads.push_back(std::move(x));
  }

  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  const double fs = 1e6 / interval;
  rec.fs = std::fabs(fs - std::round(fs)) <= 5e-4 * fs ? std::round(fs) : fs;
  rec.n_leads = n_leads;
  rec.n_samples = std::int64_t(leads.front().size());
  rec.data.resize(std::size_t(n_leads) * leads.front().size());
  const double mv = avm * 1e-6;
  for (int l = 0; l < n_leads; ++l) {
    float* dst = rec.lead(l);
    for (std::size_t t = 0; t < leads[std::size_t(l)].size(); ++t) dst[t] = float(double(leads[std::size_t(l)][t]) * mv);
  }
  rec.lead_names = names;
  rec.units.assign(std::size_t(n_leads), "mV");
  rec.comments.push_back("Format: SCP-ECG, " + std::string(table.empty() ? "raw" : "Huffman") + ", difference encoding " +
                         std::to_string(diff));
  if (rec.n_samples < declared.front())
    rec.comments.push_back("Note: section 3 declares " + std::to_string(declared.front()) + " samples per lead, section 6 holds " +
                           std::to_string(rec.n_samples));
  return rec;
}

}  // namespace cgdmer
