// The on-disk layout of a cgdmer shard store (the ONE place it is written down). A store is
// a folder written by `cgdmer prepare` (data/shard_writer.h) and read by data/shard_store.h:
//
//   STORE_DIR/
//     store.json    commit marker + store info. Written LAST, atomically (rename). A folder
//                   without it is an incomplete store and ShardStore::open refuses it.
//     signals.bin   header (kSignalHeaderBytes) + n_records fixed-size records, memory-mapped
//     meta.jsonl    one JSON object per record, in record order (text, tokens, labels, ...)
//     summary.json  prepare's skip report: records_seen, records_written, skipped[{path,reason}]
//   while prepare runs (never present in a complete store):
//     signals.bin.partial, records.jsonl.partial, prepare.journal.json
//
// signals.bin, all integers little-endian:
//   offset size  field
//        0    8  magic "CGDMSIG\0"
//        8    4  u32 format version (kFormatVersion)
//       12    4  u32 dtype: 1 = int16 (the only one written)
//       16    4  u32 n_leads
//       20    4  u32 n_samples (per lead)
//       24    8  f64 fs (Hz)
//       32    8  u64 n_records (0 while the store is being written; set when committed)
//       40    8  u64 record_bytes = n_leads * n_samples * 2
//       48    4  f32 scale (32767): stored q = round(v * scale), v = q / scale
//       52   64  preprocessing hash (= store.json's preprocessing_hash, <= 63 chars), NUL-padded
//      116 ...   zero padding up to kSignalHeaderBytes (4096, so records are page aligned)
//   record i lives at kSignalHeaderBytes + i * record_bytes (fixed size: the offset table is
//   implicit), int16 (n_leads, n_samples) row-major, lead order of MIMIC-IV-ECG.
//   Values are the preprocessed signal in [0, 1]; quantisation error <= 0.5/32767 ≈ 1.5e-5.
//
// meta.jsonl, line i describes record i:
//   {"id": str, "path": str (source file), "fold": int (-1 = none), "report": str (cleaned,
//    "" = none), "tokens": [int...] (WordPiece of store.json's "tokenizer", MedCPT's by
//    default; [CLS]..[SEP], <= max_text_len),
//    "labels": {"<set>": [class indices of the positives in store.json's label_sets]}}
//
// store.json:
//   {"format": "cgdmer-shard-store", "version": 2, "dataset": str, "n_records": int,
//    "n_leads": int, "n_samples": int, "fs": num, "dtype": "int16", "scale": 32767,
//    "preprocessing_settings": str, "preprocessing_hash": str, "lead_names": [...],
//    "label_sets": {set: [class...]}, "max_text_len": int,
//    "signals_bytes": int (exact size of signals.bin),
//    "tokenizer": str (optional: WordPieceTokenizer::fingerprint() of the tokenizer that made
//                 meta.jsonl's "tokens"; absent in stores written before it was recorded,
//                 whose readers tokenize "report" themselves — an additive field, no new version)}
//   preprocessing_settings is the text naming every preprocessing option
//   (PreprocessOptions::settings_text(), "pp1:leads=...;fs=...;..."); preprocessing_hash is
//   the FNV-1a-64 (core/fnv1a.h) of its UTF-8 bytes as 16 lower-case hex digits. A store
//   written without settings (tests' synthetic stores) has "" and a free-form hash.
//
// Versions (the u32 in signals.bin and "version" in store.json agree):
//   2  current. preprocessing_hash is the real FNV-1a-64 of preprocessing_settings; open()
//      verifies it when the settings text is non-empty.
//   1  same layout without "preprocessing_settings". Its preprocessing_hash was computed with
//      the mistyped offset basis 1469598103934665603 (fnv1a64_mistyped_basis), not FNV-1a-64.
//      The settings text it digests is in summary.json's "preprocessing", written as
//      "<settings>;fnv1a64=<hash>"; open() verifies a version-1 hash against it (legacy basis)
//      when summary.json has it. Still read; never written.
//   A version outside [kOldestReadableVersion, kFormatVersion], or a hash that does not match
//   its settings, is a FormatError naming the file and the version.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/fnv1a.h"

namespace cgdmer::store_format {

inline constexpr char kMagic[8] = {'C', 'G', 'D', 'M', 'S', 'I', 'G', '\0'};
inline constexpr std::uint32_t kFormatVersion = 2;         // written by this build
inline constexpr std::uint32_t kOldestReadableVersion = 1;  // still opened (legacy hash)
inline constexpr std::uint32_t kDtypeInt16 = 1;
inline constexpr std::size_t kSignalHeaderBytes = 4096;
inline constexpr float kScale = 32767.0f;

inline constexpr const char* kStoreJson = "store.json";
inline constexpr const char* kSignalsFile = "signals.bin";
inline constexpr const char* kMetaFile = "meta.jsonl";
inline constexpr const char* kSummaryFile = "summary.json";
inline constexpr const char* kSignalsPartial = "signals.bin.partial";
inline constexpr const char* kRecordsPartial = "records.jsonl.partial";
inline constexpr const char* kJournal = "prepare.journal.json";
inline constexpr const char* kFormatName = "cgdmer-shard-store";

// The preprocessing_hash a store of `version` carries for `settings` (see Versions above).
inline std::string preprocessing_hash_for(std::uint32_t version, std::string_view settings) {
  return version == 1 ? hex64(fnv1a64_mistyped_basis(settings)) : fnv1a64_hex(settings);
}

#pragma pack(push, 1)
struct SignalHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t dtype;
  std::uint32_t n_leads;
  std::uint32_t n_samples;
  double fs;
  std::uint64_t n_records;
  std::uint64_t record_bytes;
  float scale;
  char preprocessing_hash[64];
};
#pragma pack(pop)
static_assert(sizeof(SignalHeader) == 116, "signals.bin header layout");

// [0,1] float → stored int16 (values outside are clamped; NaN → 0).
inline std::int16_t quantize(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return std::int16_t(32767);
  return std::int16_t(v * kScale + 0.5f);
}
inline float dequantize(std::int16_t q) { return float(q) / kScale; }

}  // namespace cgdmer::store_format
