// read_hl7_aecg: HL7 v3 annotated ECG (FDA aECG, root <AnnotatedECG xmlns="urn:hl7-org:v3">),
// parsed with libxml2. The waveform lives in component/series with code "RHYTHM" (the
// REPRESENTATIVE_BEAT is a <derivedSeries> and is not read). Its component/sequenceSet holds
// one <sequence> per signal:
//   time:  code TIME_ABSOLUTE or TIME_RELATIVE, value GLIST_TS/GLIST_PQ with
//          <increment value="0.002" unit="s"/>  → fs = 1 / increment
//   lead:  code MDC_ECG_LEAD_<name>, value SLIST_PQ with <origin value= unit=>,
//          <scale value= unit=> and <digits>: white-space separated integers;
//          physical = origin + scale × digit, in the unit given (uV, mV or V) → stored in mV.
// Lead names drop the MDC_ECG_LEAD_ prefix and take the standard spelling (AVR → aVR); leads
// keep the file's order. Only the first sequenceSet of the first RHYTHM series is read.
#include <libxml/tree.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"
#include "io/xml_doc.h"

namespace cgdmer {

namespace {

// Factor from a physical-quantity unit to millivolts.
double to_millivolts(const std::string& unit, const std::string& where, const std::string& path) {
  if (unit == "uV" || unit == "µV") return 1e-3;
  if (unit == "mV") return 1.0;
  if (unit == "V") return 1e3;
  if (unit == "nV") return 1e-6;
  throw FormatError(path, where + ": unsupported unit '" + unit + "' (expected uV, mV or V)");
}

// Seconds per unit of a time increment.
double to_seconds(const std::string& unit, const std::string& path) {
  if (unit == "s") return 1.0;
  if (unit == "ms") return 1e-3;
  if (unit == "us") return 1e-6;
  throw FormatError(path, "time increment: unsupported unit '" + unit + "' (expected s or ms)");
}

// value attribute of <name> under `value`, as a number; FormatError when absent or not a number.
double pq_value(const xmlNode* value, const char* name, const std::string& where, const std::string& path,
                std::string& unit) {
  const xmlNode* n = xml_child(value, name);
  if (!n) throw FormatError(path, where + ": <" + name + "> missing");
  const std::string v = xml_attr(n, "value");
  double x = 0;
  if (!parse_number(v, x)) throw FormatError(path, where + ": <" + name + " value='" + v + "'> is not a number");
  unit = xml_attr(n, "unit");
  return x;
}

// The integers of a <digits> element, strictly (anything but integers and white space → error).
std::vector<double> parse_digits(const std::string& text, const std::string& where, const std::string& path) {
  std::vector<double> out;
  out.reserve(text.size() / 3);
  const char* p = text.c_str();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
    if (p >= end) break;
    char* q = nullptr;
    errno = 0;
    const long long v = std::strtoll(p, &q, 10);
    if (q == p || errno == ERANGE || (q < end && !(*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')))
      throw FormatError(path, where + ": <digits> holds a non-integer value near '" +
                                  std::string(p, std::size_t(std::min<std::ptrdiff_t>(end - p, 20))) + "'");
    out.push_back(double(v));
    p = q;
  }
  return out;
}

}  // namespace

EcgRecord read_hl7_aecg(const std::string& path) {
  const XmlDoc doc = XmlDoc::read_file(path);
  const xmlNode* root = doc.root();
  if (xml_name(root) != "AnnotatedECG")
    throw FormatError(path, "not an HL7 aECG file (root element <" + xml_name(root) + ">, expected <AnnotatedECG>)");

  const xmlNode* series = nullptr;
  for (const xmlNode* comp : xml_children(root, "component")) {
    for (const xmlNode* s : xml_children(comp, "series"))
      if (xml_attr(xml_child(s, "code"), "code") == "RHYTHM") {
        series = s;
        break;
      }
    if (series) break;
  }
  if (!series) throw FormatError(path, "no <series> with code RHYTHM");
  const xmlNode* set = nullptr;
  for (const xmlNode* comp : xml_children(series, "component"))
    if ((set = xml_child(comp, "sequenceSet"))) break;
  if (!set) throw FormatError(path, "RHYTHM series has no <sequenceSet>");

  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  std::vector<std::vector<float>> leads;
  for (const xmlNode* comp : xml_children(set, "component")) {
    const xmlNode* seq = xml_child(comp, "sequence");
    if (!seq) continue;
    const std::string code = xml_attr(xml_child(seq, "code"), "code");
    const xmlNode* value = xml_child(seq, "value");
    if (code == "TIME_ABSOLUTE" || code == "TIME_RELATIVE") {
      if (rec.fs > 0) throw FormatError(path, "RHYTHM sequenceSet has more than one time sequence");
      std::string unit;
      const double inc = pq_value(value, "increment", "time sequence", path, unit) * to_seconds(unit, path);
      if (!(inc > 0) || 1.0 / inc > 1e6) throw FormatError(path, "time sequence: implausible increment");
      rec.fs = 1.0 / inc;
      continue;
    }
    const std::string prefix = "MDC_ECG_LEAD_";
    if (code.rfind(prefix, 0) != 0) continue;  // other signals (e.g. respiration) are not ECG leads
    const std::string name = canonical_lead_name(code.substr(prefix.size()));
    const std::string where = "lead " + name;
    if (name.empty()) throw FormatError(path, "sequence code '" + code + "' names no lead");
    for (const auto& n : rec.lead_names)
      if (n == name) throw FormatError(path, "lead " + name + " appears twice in the RHYTHM series");
    if (!value) throw FormatError(path, where + ": <value> missing");
    std::string origin_unit, scale_unit;
    const double origin = pq_value(value, "origin", where, path, origin_unit);
    const double scale = pq_value(value, "scale", where, path, scale_unit);
    const double origin_mv = origin * to_millivolts(origin_unit, where, path);
    const double scale_mv = scale * to_millivolts(scale_unit, where, path);
    if (!(scale_mv != 0)) throw FormatError(path, where + ": scale is zero");
    const xmlNode* digits = xml_child(value, "digits");
    if (!digits) throw FormatError(path, where + ": <digits> missing (only SLIST_PQ sequences are supported)");
    const std::vector<double> d = parse_digits(xml_text(digits), where, path);
    if (d.empty()) throw FormatError(path, where + ": <digits> is empty");
    if (!leads.empty() && d.size() != leads.front().size())
      throw FormatError(path, where + " has " + std::to_string(d.size()) + " samples, lead " +
                                  rec.lead_names.front() + " has " + std::to_string(leads.front().size()));
    std::vector<float> mv(d.size());
    for (std::size_t t = 0; t < d.size(); ++t) mv[t] = float(origin_mv + scale_mv * d[t]);
    leads.push_back(std::move(mv));
    rec.lead_names.push_back(name);
    rec.units.push_back("mV");
  }
  if (leads.empty()) throw FormatError(path, "RHYTHM series holds no MDC_ECG_LEAD_* sequence");
  if (!(rec.fs > 0)) throw FormatError(path, "RHYTHM series has no time sequence (TIME_ABSOLUTE / TIME_RELATIVE) with an increment");
  rec.n_leads = int(leads.size());
  rec.n_samples = std::int64_t(leads.front().size());
  rec.data.reserve(leads.size() * leads.front().size());
  for (const auto& l : leads) rec.data.insert(rec.data.end(), l.begin(), l.end());
  rec.comments.push_back("Format: HL7 aECG, RHYTHM series");
  return rec;
}

}  // namespace cgdmer
