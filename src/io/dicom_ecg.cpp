// read_dicom_ecg: DICOM waveform objects (12-lead ECG SOP class 1.2.840.10008.5.1.4.1.1.9.1.1
// and the other ECG waveform classes), decoded with DCMTK's dcmdata (Debian libdcmtk-dev): the
// DICOM file structure, transfer syntaxes (explicit / implicit VR) and tag dictionary are
// DCMTK's; this file only interprets the Waveform Module:
//   WaveformSequence (5400,0100): one item per multiplex group; we take the first whose
//     WaveformOriginality is ORIGINAL (the rhythm; DERIVED groups are median beats), else the first;
//   NumberOfWaveformChannels, NumberOfWaveformSamples, SamplingFrequency (Hz),
//   WaveformBitsAllocated 16 with WaveformSampleInterpretation SS (signed 16-bit);
//   ChannelDefinitionSequence: per channel ChannelSourceSequence (CodeMeaning "Lead I
//     (Einthoven)" → "I"), ChannelSensitivity × ChannelSensitivityCorrectionFactor per count in
//     the ChannelSensitivityUnitsSequence unit (uV / mV), ChannelBaseline in that unit;
//   WaveformData (5400,1010): samples interleaved by channel (sample-major).
// Value = count × sensitivity × correction + baseline (as pydicom's multiplex_array), in mV for
// voltage channels (uV / mV / V); a channel in another unit (pressure in a hemodynamic
// waveform) keeps its unit, named in EcgRecord::units.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"

namespace cgdmer {

namespace {

// Optional decimal-string attribute (DS), or `fallback` when absent.
double ds_value(DcmItem* item, const DcmTagKey& tag, double fallback, const std::string& what,
                const std::string& path) {
  if (!item->tagExistsWithValue(tag)) return fallback;
  Float64 v = 0;
  if (item->findAndGetFloat64(tag, v).bad() || !std::isfinite(v))
    throw FormatError(path, what + " is not a number");
  return v;
}

OFString string_in_first_item(DcmItem* item, const DcmTagKey& seq, const DcmTagKey& tag) {
  DcmItem* first = nullptr;
  OFString s;
  if (item->findAndGetSequenceItem(seq, first, 0).good() && first) first->findAndGetOFString(tag, s);
  return s;
}

// "Lead I (Einthoven)", "Lead aVR", "Lead V1" → the standard spelling; SCP-ECG code values as
// a fallback for a channel without a code meaning.
std::string lead_name(const std::string& meaning, const std::string& code, int channel) {
  std::string s = meaning;
  if (const auto p = s.find('('); p != std::string::npos) s = s.substr(0, p);
  if (s.rfind("Lead ", 0) == 0) s = s.substr(5);
  std::string name = canonical_lead_name(s);
  if (!name.empty()) return name;
  static const std::vector<std::pair<std::string, std::string>> scp = {
      {"5.6.3-9-1", "I"},  {"5.6.3-9-2", "II"},  {"5.6.3-9-61", "III"}, {"5.6.3-9-62", "aVR"},
      {"5.6.3-9-63", "aVL"}, {"5.6.3-9-64", "aVF"}, {"5.6.3-9-3", "V1"},  {"5.6.3-9-4", "V2"},
      {"5.6.3-9-5", "V3"},  {"5.6.3-9-6", "V4"},  {"5.6.3-9-7", "V5"},  {"5.6.3-9-8", "V6"}};
  for (const auto& [c, n] : scp)
    if (c == code) return n;
  return "channel " + std::to_string(channel + 1);
}

// Millivolts per unit of a voltage; 0 for any other quantity (a hemodynamic waveform's
// pressure channel in mm[Hg]), which keeps its own unit.
double to_millivolts(const std::string& unit) {
  if (unit == "uV" || unit == "µV") return 1e-3;
  if (unit == "mV") return 1.0;
  if (unit == "V") return 1e3;
  return 0;
}

}  // namespace

EcgRecord read_dicom_ecg(const std::string& path) {
  // DCMTK logs every parsing oddity to stderr (a malformed file can print thousands of lines);
  // what matters comes back as OFCondition / our FormatError, so log only fatal errors.
  static std::once_flag quiet;
  std::call_once(quiet, [] { OFLog::configure(OFLogger::FATAL_LOG_LEVEL); });
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw IoError(path, "file not found");
  // Without its dictionary DCMTK cannot give implicit-VR elements their VR.
  if (!dcmDataDict.isDictionaryLoaded())
    throw IoError(path, "DCMTK's DICOM data dictionary is not loaded (set DCMDICTPATH to dicom.dic)");
  DcmFileFormat file;
  const OFCondition st = file.loadFile(path.c_str());
  if (st.bad()) throw FormatError(path, std::string("not a readable DICOM file (DCMTK: ") + st.text() + ")");
  DcmDataset* ds = file.getDataset();
  DcmSequenceOfItems* groups = nullptr;
  if (ds->findAndGetSequence(DCM_WaveformSequence, groups).bad() || !groups || groups->card() == 0)
    throw FormatError(path, "no WaveformSequence (5400,0100): not a DICOM waveform object");
  DcmItem* w = nullptr;
  for (unsigned long i = 0; i < groups->card() && !w; ++i) {
    OFString orig;
    groups->getItem(i)->findAndGetOFString(DCM_WaveformOriginality, orig);
    if (orig == "ORIGINAL") w = groups->getItem(i);
  }
  if (!w) w = groups->getItem(0);

  Uint16 n_ch = 0, bits = 0;
  Uint32 n_samples = 0;
  if (w->findAndGetUint16(DCM_NumberOfWaveformChannels, n_ch).bad() || n_ch == 0)
    throw FormatError(path, "waveform: NumberOfWaveformChannels missing or 0");
  if (w->findAndGetUint32(DCM_NumberOfWaveformSamples, n_samples).bad() || n_samples == 0)
    throw FormatError(path, "waveform: NumberOfWaveformSamples missing or 0");
  const double fs = ds_value(w, DCM_SamplingFrequency, 0, "SamplingFrequency", path);
  if (!(fs > 0 && fs <= 1e6)) throw FormatError(path, "waveform: SamplingFrequency missing or implausible");
  OFString interp;
  w->findAndGetUint16(DCM_WaveformBitsAllocated, bits);
  w->findAndGetOFString(DCM_WaveformSampleInterpretation, interp);
  if (bits != 16 || interp != "SS")
    throw FormatError(path, "waveform: only 16-bit signed samples (SS) are supported, file has " +
                                std::to_string(bits) + "-bit " + std::string(interp.c_str()));

  DcmSequenceOfItems* chdefs = nullptr;
  if (w->findAndGetSequence(DCM_ChannelDefinitionSequence, chdefs).bad() || !chdefs || chdefs->card() != n_ch)
    throw FormatError(path, "waveform: ChannelDefinitionSequence missing or not one item per channel (" +
                                std::to_string(n_ch) + ")");

  // WaveformData is OW; read as bytes when DCMTK typed it OB, and decode little-endian.
  DcmElement* elem = nullptr;
  if (w->findAndGetElement(DCM_WaveformData, elem).bad() || !elem)
    throw FormatError(path, "waveform: WaveformData (5400,1010) missing");
  const std::uint64_t needed = std::uint64_t(n_ch) * n_samples;
  if (needed > (1u << 30)) throw FormatError(path, "waveform: implausible size " + std::to_string(needed) + " samples");
  const Uint32 len = elem->getLength();
  if (std::uint64_t(len) < 2 * needed)
    throw FormatError(path, "waveform: WaveformData holds " + std::to_string(len) + " bytes, " + std::to_string(n_ch) +
                                " channels x " + std::to_string(n_samples) + " samples need " + std::to_string(2 * needed));
  std::vector<std::int16_t> raw(static_cast<std::size_t>(needed));
  Uint16* words = nullptr;
  Uint8* bytes = nullptr;
  if (elem->getUint16Array(words).good() && words) {
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = std::int16_t(words[i]);
  } else if (elem->getUint8Array(bytes).good() && bytes) {
    for (std::size_t i = 0; i < raw.size(); ++i)
      raw[i] = std::int16_t(std::uint16_t(bytes[2 * i]) | std::uint16_t(bytes[2 * i + 1]) << 8);
  } else {
    throw FormatError(path, "waveform: WaveformData cannot be read as 16-bit words");
  }

  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  rec.fs = fs;
  rec.n_leads = n_ch;
  rec.n_samples = n_samples;
  rec.data.resize(std::size_t(needed));
  for (int c = 0; c < n_ch; ++c) {
    DcmItem* ch = chdefs->getItem(unsigned(c));
    const std::string where = "channel " + std::to_string(c + 1);
    const double sens = ds_value(ch, DCM_ChannelSensitivity, 1.0, where + " ChannelSensitivity", path);
    const double corr = ds_value(ch, DCM_ChannelSensitivityCorrectionFactor, 1.0, where + " correction factor", path);
    const double base = ds_value(ch, DCM_ChannelBaseline, 0.0, where + " ChannelBaseline", path);
    const std::string unit = string_in_first_item(ch, DCM_ChannelSensitivityUnitsSequence, DCM_CodeValue).c_str();
    const double to_mv = unit.empty() ? 1e-3 : to_millivolts(unit);  // absent: µV, the ECG norm
    const double scale = to_mv > 0 ? to_mv : 1.0;
    std::string name = lead_name(string_in_first_item(ch, DCM_ChannelSourceSequence, DCM_CodeMeaning).c_str(),
                                 string_in_first_item(ch, DCM_ChannelSourceSequence, DCM_CodeValue).c_str(), c);
    // Two channels of one source (e.g. two pressure lines) keep both, told apart by position.
    if (std::find(rec.lead_names.begin(), rec.lead_names.end(), name) != rec.lead_names.end())
      name += " (channel " + std::to_string(c + 1) + ")";
    float* dst = rec.lead(c);
    for (std::uint32_t t = 0; t < n_samples; ++t)
      dst[t] = float((raw[std::size_t(t) * n_ch + std::size_t(c)] * sens * corr + base) * scale);
    rec.lead_names.push_back(name);
    rec.units.push_back(to_mv > 0 ? "mV" : unit);
  }
  rec.comments.push_back("Format: DICOM waveform");
  return rec;
}

}  // namespace cgdmer
