// read_philips_xml: Philips SierraECG 1.03 / PhilipsECG 1.04 XML (root <restingecgdata>, in
// the namespace http://www3.medical.philips.com; UTF-8 or UTF-16 with BOM — libxml2 detects it).
// Rhythm data: waveforms/parsedwaveforms, base64 (dataencoding="Base64"), compressed with XLI
// (compressmethod / compression = "XLI"; see xli_codec.h) or stored uncompressed as int16
// little-endian lead after lead. Rate: dataacquisition/signalcharacteristics/samplingrate;
// µV per count: its signalresolution (1.03) or resolution (1.04), e.g. 5. Lead labels:
// parsedwaveforms@leadlabels (first @numberofleads), else the standard 12 for acquisitiontype
// STD-12 / 10-WIRE. XLI files store III, aVR, aVL, aVF as residuals (the same reconstruction
// sierra-ecg-tools applies, with floor division):
//   III = II − I − r3,  aVR = −r4 − ⌊(I+II)/2⌋,  aVL = ⌊(I−III)/2⌋ − r5,  aVF = ⌊(II+III)/2⌋ − r6
// Output: mV, file's lead order. The interpretation's severity and statements become the
// "Diagnosis" comment (e.g. "- DEFECTIVE ECG - All 12 leads are missing").
#include <libxml/tree.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "io/base64.h"
#include "io/ecg_readers.h"
#include "io/lead_names.h"
#include "io/xli_codec.h"
#include "io/xml_doc.h"

namespace cgdmer {

namespace {

std::int64_t floor_half(std::int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

}  // namespace

EcgRecord read_philips_xml(const std::string& path) {
  const XmlDoc doc = XmlDoc::read_file(path);
  const xmlNode* root = doc.root();
  if (xml_name(root) != "restingecgdata")
    throw FormatError(path, "not a Philips ECG XML file (root element <" + xml_name(root) + ">, expected <restingecgdata>)");
  const xmlNode* info = xml_child(root, "documentinfo");
  const std::string doc_type = xml_child_text(info, "documenttype"), doc_ver = xml_child_text(info, "documentversion");
  const xmlNode* sc = xml_child(xml_child(root, "dataacquisition"), "signalcharacteristics");
  const xmlNode* pw = xml_child(xml_child(root, "waveforms"), "parsedwaveforms");
  if (!sc) throw FormatError(path, "no dataacquisition/signalcharacteristics");
  if (!pw) throw FormatError(path, "no waveforms/parsedwaveforms");

  double fs = 0, uv = 5, duration_ms = 0;
  if (!parse_number(xml_child_text(sc, "samplingrate"), fs) || !(fs > 0 && fs <= 1e6))
    throw FormatError(path, "signalcharacteristics/samplingrate missing or implausible: '" + xml_child_text(sc, "samplingrate") + "'");
  std::string res = xml_child_text(sc, "resolution");
  if (res.empty()) res = xml_child_text(sc, "signalresolution");
  if (!res.empty() && (!parse_number(res, uv) || !(uv > 0)))
    throw FormatError(path, "signal resolution is not a positive number: '" + res + "'");
  const std::string dur = xml_attr(pw, "durationperchannel");
  if (!dur.empty() && !parse_number(dur, duration_ms)) throw FormatError(path, "parsedwaveforms@durationperchannel is not a number");

  // Lead labels.
  std::vector<std::string> labels;
  if (const std::string ll = xml_attr(pw, "leadlabels"); !ll.empty()) {
    std::istringstream in(ll);
    for (std::string s; in >> s;) labels.push_back(canonical_lead_name(s));
    double n = 0;
    if (parse_number(xml_attr(pw, "numberofleads"), n) && n >= 1 && n < double(labels.size()))
      labels.resize(std::size_t(n));
  } else {
    const std::string acq = xml_child_text(sc, "acquisitiontype");
    double n = 0;
    if (!parse_number(xml_child_text(sc, "numberchannelsallocated"), n) || n < 1 || n > 64)
      throw FormatError(path, "signalcharacteristics/numberchannelsallocated missing or implausible");
    if (acq != "STD-12" && acq != "10-WIRE")
      throw FormatError(path, "no parsedwaveforms@leadlabels and acquisitiontype '" + acq + "' (only STD-12 / 10-WIRE are known)");
    for (std::size_t i = 0; i < std::size_t(n); ++i)
      labels.push_back(i < 12 ? standard_12_leads()[i] : "Channel " + std::to_string(i + 1));
  }
  if (labels.empty()) throw FormatError(path, "no leads named");

  const std::string encoding = xml_attr(pw, "dataencoding");
  if (encoding != "Base64") throw FormatError(path, "parsedwaveforms@dataencoding '" + encoding + "' (only Base64 is supported)");
  std::string method = xml_attr(pw, "compressmethod");
  if (method.empty()) method = xml_attr(pw, "compression", "Uncompressed");
  std::string why;
  const auto payload = base64_decode(xml_text(pw), &why);
  if (!payload) throw FormatError(path, "parsedwaveforms is not valid base64 (" + why + ")");

  std::vector<std::vector<std::int16_t>> leads;
  if (method == "XLI") {
    leads = xli_decode(*payload, labels.size(), path);
    if (leads.size() < labels.size())
      throw FormatError(path, "XLI data holds " + std::to_string(leads.size()) + " leads, " + std::to_string(labels.size()) + " are named");
  } else if (method == "Uncompressed" || method.empty()) {
    const double per_lead = duration_ms * fs / 1000.0;
    if (!(per_lead >= 1) || per_lead != std::floor(per_lead) || per_lead * 2 * double(labels.size()) != double(payload->size()))
      throw FormatError(path, "uncompressed waveform holds " + std::to_string(payload->size()) + " bytes, not " +
                                  std::to_string(labels.size()) + " leads x durationperchannel " + dur + " ms at " +
                                  std::to_string(fs) + " Hz");
    const std::size_t n = std::size_t(per_lead);
    for (std::size_t l = 0; l < labels.size(); ++l) {
      std::vector<std::int16_t> v(n);
      for (std::size_t t = 0; t < n; ++t) {
        const std::size_t b = 2 * (l * n + t);
        v[t] = std::int16_t(std::uint16_t((*payload)[b]) | std::uint16_t((*payload)[b + 1]) << 8);
      }
      leads.push_back(std::move(v));
    }
  } else {
    throw FormatError(path, "waveform compression '" + method + "' is not supported (XLI or uncompressed)");
  }
  const std::size_t n = leads.front().size();
  if (n == 0) throw FormatError(path, "lead " + labels.front() + " has no samples");
  for (std::size_t l = 0; l < labels.size(); ++l)
    if (leads[l].size() != n)
      throw FormatError(path, "lead " + labels[l] + " has " + std::to_string(leads[l].size()) + " samples, lead " +
                                  labels.front() + " has " + std::to_string(n));

  // Counts (int64 so the residual sums cannot overflow), limb residuals resolved for XLI.
  std::vector<std::vector<std::int64_t>> c(labels.size());
  for (std::size_t l = 0; l < labels.size(); ++l) c[l].assign(leads[l].begin(), leads[l].end());
  if (method == "XLI") {
    const std::vector<std::string> limb = {"I", "II", "III", "aVR", "aVL", "aVF"};
    if (labels.size() < 6 || !std::equal(limb.begin(), limb.end(), labels.begin()))
      throw FormatError(path, "XLI lead order does not start I, II, III, aVR, aVL, aVF: the limb-lead residuals cannot be resolved");
    for (std::size_t t = 0; t < n; ++t) {
      const std::int64_t i = c[0][t], ii = c[1][t];
      const std::int64_t iii = ii - i - c[2][t];
      c[2][t] = iii;
      c[3][t] = -c[3][t] - floor_half(i + ii);
      c[4][t] = floor_half(i - iii) - c[4][t];
      c[5][t] = floor_half(ii + iii) - c[5][t];
    }
  }

  EcgRecord rec;
  rec.id = std::filesystem::path(path).stem().string();
  rec.path = path;
  rec.fs = fs;
  rec.n_leads = int(labels.size());
  rec.n_samples = std::int64_t(n);
  rec.data.resize(labels.size() * n);
  for (std::size_t l = 0; l < labels.size(); ++l) {
    for (const auto& prev : rec.lead_names)
      if (prev == labels[l]) throw FormatError(path, "lead " + labels[l] + " appears twice");
    float* dst = rec.lead(int(l));
    for (std::size_t t = 0; t < n; ++t) dst[t] = float(double(c[l][t]) * uv / 1000.0);
    rec.lead_names.push_back(labels[l]);
    rec.units.push_back("mV");
  }
  rec.comments.push_back("Format: Philips " + doc_type + " " + doc_ver + ", " + method);
  if (duration_ms > 0 && std::fabs(duration_ms * fs / 1000.0 - double(n)) > 0.5)
    rec.comments.push_back("Note: durationperchannel " + dur + " ms does not match " + std::to_string(n) + " samples");
  const xmlNode* interp = xml_child(xml_child(root, "interpretations"), "interpretation");
  std::string dx = xml_child_text(interp, "severity");
  for (const xmlNode* st : xml_children(interp, "statement")) {
    const std::string s = xml_child_text(st, "leftstatement");
    if (!s.empty()) dx += (dx.empty() ? "" : " ") + s;
  }
  if (!dx.empty()) rec.comments.push_back("Diagnosis: " + dx);
  return rec;
}

}  // namespace cgdmer
