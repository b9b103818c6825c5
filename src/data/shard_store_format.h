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
//       52   64  preprocessing hash, ASCII hex, NUL-padded
//      116 ...   zero padding up to kSignalHeaderBytes (4096, so records are page aligned)
//   record i lives at kSignalHeaderBytes + i * record_bytes (fixed size: the offset table is
//   implicit), int16 (n_leads, n_samples) row-major, lead order of MIMIC-IV-ECG.
//   Values are the preprocessed signal in [0, 1]; quantisation error <= 0.5/32767 ≈ 1.5e-5.
//
// meta.jsonl, line i describes record i:
//   {"id": str, "path": str (source file), "fold": int (-1 = none), "report": str (cleaned,
//    "" = none), "tokens": [int...] (MedCPT WordPiece, [CLS]..[SEP], <= max_text_len),
//    "labels": {"<set>": [class indices of the positives in store.json's label_sets]}}
//
// store.json:
//   {"format": "cgdmer-shard-store", "version": 1, "dataset": str, "n_records": int,
//    "n_leads": int, "n_samples": int, "fs": num, "dtype": "int16", "scale": 32767,
//    "preprocessing_hash": str, "lead_names": [...], "label_sets": {set: [class...]},
//    "max_text_len": int, "signals_bytes": int (exact size of signals.bin)}
#pragma once

#include <cstdint>
#include <cstring>

namespace cgdmer::store_format {

inline constexpr char kMagic[8] = {'C', 'G', 'D', 'M', 'S', 'I', 'G', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
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
