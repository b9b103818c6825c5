// read_muse_xml: GE MUSE resting ECG export (XML, root <RestingECG>, parsed with libxml2).
// Each <Waveform> block (WaveformType "Median" = representative beat, "Rhythm" = the 10 s
// recording) holds one <LeadData> per stored lead: <LeadID>, <LeadSampleCountTotal>,
// <LeadAmplitudeUnitsPerBit> (e.g. 4.88) with <LeadAmplitudeUnits> (MICROVOLTS), an optional
// <LeadDataCRC32> (zlib CRC-32 of the decoded bytes) and <WaveFormData>: base64 of
// little-endian int16 samples. Rate = SampleBase × 10^SampleExponent Hz.
// We read the Rhythm block. MUSE usually stores 8 leads (I, II, V1–V6); the limb leads it
// leaves out are derived from the raw counts of I and II (Einthoven / Goldberger):
//   III = II − I,  aVR = −(I + II)/2,  aVL = I − II/2,  aVF = II − I/2
// and every lead is then scaled to millivolts. Output order: the standard 12 (I, II, III,
// aVR, aVL, aVF, V1–V6) as far as present, then any other stored lead in file order.
#include <libxml/tree.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <tuple>

#include "core/error.h"
#include "io/base64.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"
#include "io/xml_doc.h"

namespace cgdmer {

namespace {

double required_number(const xmlNode* parent, const char* name, const std::string& where,
                       const std::string& path) {
  const std::string t = xml_child_text(parent, name);
  double v = 0;
  if (t.empty()) throw FormatError(path, where + ": <" + name + "> missing");
  if (!parse_number(t, v)) throw FormatError(path, where + ": <" + name + "> is not a number: '" + t + "'");
  return v;
}

// Microvolts per unit of <LeadAmplitudeUnits>.
double microvolts_per_unit(const std::string& units, const std::string& where, const std::string& path) {
  if (units.empty() || units == "MICROVOLTS" || units == "MICROVOLT" || units == "uV") return 1.0;
  if (units == "MILLIVOLTS" || units == "MILLIVOLT" || units == "mV") return 1000.0;
  throw FormatError(path, where + ": unknown <LeadAmplitudeUnits> '" + units + "'");
}

struct StoredLead {
  std::string name;
  double uv_per_count = 0;        // microvolts per stored count
  std::vector<std::int16_t> raw;  // the stored counts
};

StoredLead decode_lead(const xmlNode* ld, std::size_t index, const std::string& path) {
  StoredLead lead;
  lead.name = canonical_lead_name(xml_child_text(ld, "LeadID"));
  const std::string where = "Rhythm lead " + std::to_string(index + 1) + (lead.name.empty() ? "" : " (" + lead.name + ")");
  if (lead.name.empty()) throw FormatError(path, where + ": <LeadID> missing");
  const double n = required_number(ld, "LeadSampleCountTotal", where, path);
  if (n < 1 || n > 1e9 || n != std::floor(n))
    throw FormatError(path, where + ": implausible <LeadSampleCountTotal> " + xml_child_text(ld, "LeadSampleCountTotal"));
  const double per_bit = required_number(ld, "LeadAmplitudeUnitsPerBit", where, path);
  if (!(per_bit > 0)) throw FormatError(path, where + ": <LeadAmplitudeUnitsPerBit> must be positive");
  lead.uv_per_count = per_bit * microvolts_per_unit(xml_child_text(ld, "LeadAmplitudeUnits"), where, path);
  if (const std::string ss = xml_child_text(ld, "LeadSampleSize"); !ss.empty() && ss != "2")
    throw FormatError(path, where + ": <LeadSampleSize> " + ss + " (only 2-byte samples are defined)");

  const xmlNode* data = xml_child(ld, "WaveFormData");
  if (!data) throw FormatError(path, where + ": <WaveFormData> missing");
  std::string why;
  const auto bytes = base64_decode(xml_text(data), &why);
  if (!bytes) throw FormatError(path, where + ": <WaveFormData> is not valid base64 (" + why + ")");
  const std::size_t count = std::size_t(n);
  if (bytes->size() != 2 * count)
    throw FormatError(path, where + ": <WaveFormData> holds " + std::to_string(bytes->size()) + " bytes, " +
                                "<LeadSampleCountTotal> " + std::to_string(count) + " needs " +
                                std::to_string(2 * count));
  // The CRC guards against a truncated or edited payload that still decodes.
  if (const std::string crc = xml_child_text(ld, "LeadDataCRC32"); !crc.empty()) {
    double want = 0;
    if (!parse_number(crc, want)) throw FormatError(path, where + ": <LeadDataCRC32> is not a number");
    const unsigned long got = crc32(0L, bytes->data(), uInt(bytes->size()));
    if (double(got) != want)
      throw FormatError(path, where + ": CRC-32 mismatch (file says " + crc + ", data has " + std::to_string(got) + ")");
  }
  lead.raw.resize(count);
  for (std::size_t t = 0; t < count; ++t)  // little-endian int16
    lead.raw[t] = std::int16_t(std::uint16_t((*bytes)[2 * t]) | std::uint16_t((*bytes)[2 * t + 1]) << 8);
  return lead;
}

void add_comment(EcgRecord& rec, const std::string& key, const std::string& value) {
  if (!value.empty()) rec.comments.push_back(key + ": " + value);
}

}  // namespace

EcgRecord read_muse_xml(const std::string& path) {
  const XmlDoc doc = XmlDoc::read_file(path);
  const xmlNode* root = doc.root();
  if (xml_name(root) != "RestingECG")
    throw FormatError(path, "not a GE MUSE XML file (root element <" + xml_name(root) + ">, expected <RestingECG>)");

  const xmlNode* rhythm = nullptr;
  for (const xmlNode* w : xml_children(root, "Waveform"))
    if (xml_child_text(w, "WaveformType") == "Rhythm") {
      rhythm = w;
      break;
    }
  if (!rhythm) throw FormatError(path, "no <Waveform> with <WaveformType>Rhythm</WaveformType> (only the median beat?)");

  const double base = required_number(rhythm, "SampleBase", "Rhythm waveform", path);
  const std::string exp_text = xml_child_text(rhythm, "SampleExponent");
  double exponent = 0;
  if (!exp_text.empty() && !parse_number(exp_text, exponent))
    throw FormatError(path, "Rhythm waveform: <SampleExponent> is not a number: '" + exp_text + "'");
  if (std::fabs(exponent) > 6) throw FormatError(path, "Rhythm waveform: implausible <SampleExponent> " + exp_text);
  const double fs = base * std::pow(10.0, exponent);
  if (!(fs > 0 && fs <= 1e6)) throw FormatError(path, "Rhythm waveform: implausible sample rate " + std::to_string(fs) + " Hz");

  std::vector<StoredLead> stored;
  const auto lead_nodes = xml_children(rhythm, "LeadData");
  if (lead_nodes.empty()) throw FormatError(path, "Rhythm waveform has no <LeadData>");
  for (std::size_t i = 0; i < lead_nodes.size(); ++i) {
    stored.push_back(decode_lead(lead_nodes[i], i, path));
    for (std::size_t j = 0; j + 1 < stored.size(); ++j)
      if (stored[j].name == stored.back().name) throw FormatError(path, "lead " + stored.back().name + " stored twice");
    if (stored.back().raw.size() != stored.front().raw.size())
      throw FormatError(path, "lead " + stored.back().name + " has " + std::to_string(stored.back().raw.size()) +
                                  " samples, lead " + stored.front().name + " has " +
                                  std::to_string(stored.front().raw.size()));
  }
  auto find = [&](const std::string& name) -> const StoredLead* {
    for (const auto& l : stored)
      if (l.name == name) return &l;
    return nullptr;
  };

  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  rec.fs = fs;
  rec.n_samples = std::int64_t(stored.front().raw.size());
  // Each output lead: a stored one, or a derived limb lead as (a·I + b·II) in counts.
  struct Out {
    std::string name;
    const StoredLead* src;
    double a, b;  // derived only
  };
  std::vector<Out> outs;
  const StoredLead* lead_i = find("I");
  const StoredLead* lead_ii = find("II");
  const bool can_derive = lead_i && lead_ii && lead_i->uv_per_count == lead_ii->uv_per_count;
  const std::vector<std::tuple<std::string, double, double>> derived = {
      {"III", -1.0, 1.0}, {"aVR", -0.5, -0.5}, {"aVL", 1.0, -0.5}, {"aVF", -0.5, 1.0}};
  for (const auto& name : standard_12_leads()) {
    if (const StoredLead* s = find(name)) {
      outs.push_back({name, s, 0, 0});
      continue;
    }
    for (const auto& [dn, a, b] : derived)
      if (dn == name && can_derive) outs.push_back({name, nullptr, a, b});
  }
  for (const auto& l : stored)
    if (standard_lead_index(l.name) < 0) outs.push_back({l.name, &l, 0, 0});

  rec.n_leads = int(outs.size());
  rec.data.resize(outs.size() * std::size_t(rec.n_samples));
  for (std::size_t k = 0; k < outs.size(); ++k) {
    float* dst = rec.lead(int(k));
    const Out& o = outs[k];
    if (o.src) {
      const double mv = o.src->uv_per_count / 1000.0;
      for (std::int64_t t = 0; t < rec.n_samples; ++t) dst[t] = float(o.src->raw[std::size_t(t)] * mv);
    } else {
      const double mv = lead_i->uv_per_count / 1000.0;
      for (std::int64_t t = 0; t < rec.n_samples; ++t)
        dst[t] = float((o.a * lead_i->raw[std::size_t(t)] + o.b * lead_ii->raw[std::size_t(t)]) * mv);
    }
    rec.lead_names.push_back(o.name);
    rec.units.push_back("mV");
  }

  add_comment(rec, "Format", "GE MUSE XML, Rhythm waveform");
  add_comment(rec, "MuseVersion", xml_child_text(xml_child(root, "MuseInfo"), "MuseVersion"));
  const xmlNode* demo = xml_child(root, "PatientDemographics");
  if (xml_child_text(demo, "AgeUnits") == "YEARS") add_comment(rec, "Age", xml_child_text(demo, "PatientAge"));
  const std::string gender = xml_child_text(demo, "Gender");
  add_comment(rec, "Sex", gender == "MALE" ? "Male" : gender == "FEMALE" ? "Female" : "");
  add_comment(rec, "AcquisitionDevice", xml_child_text(xml_child(root, "TestDemographics"), "AcquisitionDevice"));
  std::string dx;  // the cardiologist's / device's statement, one line
  for (const xmlNode* st : xml_children(xml_child(root, "Diagnosis"), "DiagnosisStatement")) {
    const std::string s = xml_child_text(st, "StmtText");
    if (!s.empty()) dx += (dx.empty() ? "" : " ") + s;
  }
  add_comment(rec, "Diagnosis", dx);
  return rec;
}

}  // namespace cgdmer
