// Replays the clinical-format fuzz targets' seeds (fuzz/corpus/fuzz_{muse_xml,hl7_aecg,edf,
// csv_record,dicom_ecg,philips_xml,xli,scp_ecg}/) and any regression inputs (tests/io/fuzz_regressions/<target>/) through the same
// harness code, in the normal test binary. Seeds must also read cleanly with the real reader
// (they are valid files cut from the shared data by fuzz/make_clinical_seeds.py), so a reader
// change that starts refusing valid input fails here too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#define LLVMFuzzerTestOneInput fuzz_muse_xml
#include "../../fuzz/fuzz_muse_xml.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_hl7_aecg
#include "../../fuzz/fuzz_hl7_aecg.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_edf
#include "../../fuzz/fuzz_edf.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_csv_record
#include "../../fuzz/fuzz_csv_record.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_dicom_ecg
#include "../../fuzz/fuzz_dicom_ecg.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_philips_xml
#include "../../fuzz/fuzz_philips_xml.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_xli
#include "../../fuzz/fuzz_xli.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_scp_ecg
#include "../../fuzz/fuzz_scp_ecg.cpp"
#undef LLVMFuzzerTestOneInput

#include "io/base64.h"
#include "io/xml_doc.h"

namespace {

namespace fs = std::filesystem;
using Target = int (*)(const std::uint8_t*, std::size_t);

std::vector<fs::path> inputs(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

// Runs every seed and regression input through the harness; returns the number of seeds.
int replay(const std::string& name, Target target) {
  const auto seeds = inputs(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/" + name);
  auto all = seeds;
  for (const auto& p : inputs(std::string(CGDMER_SOURCE_DIR) + "/tests/io/fuzz_regressions/" + name)) all.push_back(p);
  for (const auto& p : all) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    SCOPED_TRACE(p.string());
    EXPECT_EQ(target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0);
  }
  return int(seeds.size());
}

// Every seed of `name` is a valid file: `read` must accept it.
template <class Read>
void seeds_read_cleanly(const std::string& name, Read read) {
  for (const auto& p : inputs(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/" + name)) {
    SCOPED_TRACE(p.string());
    const cgdmer::EcgRecord r = read(p.string());
    EXPECT_EQ(r.n_samples, 16);
    EXPECT_GE(r.n_leads, 2);
  }
}

TEST(ClinicalFuzzReplay, MuseXml) {
  EXPECT_GE(replay("fuzz_muse_xml", fuzz_muse_xml), 2);
  seeds_read_cleanly("fuzz_muse_xml", [](const std::string& p) { return cgdmer::read_muse_xml(p); });
}
TEST(ClinicalFuzzReplay, Hl7Aecg) {
  EXPECT_GE(replay("fuzz_hl7_aecg", fuzz_hl7_aecg), 2);
  seeds_read_cleanly("fuzz_hl7_aecg", [](const std::string& p) { return cgdmer::read_hl7_aecg(p); });
}
TEST(ClinicalFuzzReplay, Edf) {
  EXPECT_GE(replay("fuzz_edf", fuzz_edf), 1);
  const cgdmer::EcgRecord r =
      cgdmer::read_edf(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_edf/contec_8records.edf");
  EXPECT_EQ(r.n_samples, 8);
  EXPECT_EQ(r.n_leads, 12);
}
TEST(ClinicalFuzzReplay, DicomEcg) {
  EXPECT_GE(replay("fuzz_dicom_ecg", fuzz_dicom_ecg), 2);
  // The hand-written seed (fuzz/make_clinical_seeds.py) holds the HL7 example's first 16 digits
  // of leads I and II at 2.5 µV: the DICOM reader must give exactly the HL7 reader's values.
  const cgdmer::EcgRecord d =
      cgdmer::read_dicom_ecg(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_dicom_ecg/hl7_example_2leads.dcm");
  const cgdmer::EcgRecord h = cgdmer::read_hl7_aecg(
      std::string(CGDMER_SHARED_DIR) + "/data/clinical_formats/hl7_aecg/Example aECG.xml");
  ASSERT_EQ(d.lead_names, (std::vector<std::string>{"I", "II"}));
  ASSERT_EQ(d.n_samples, 16);
  EXPECT_EQ(d.fs, 500.0);
  for (int l = 0; l < 2; ++l)
    for (int t = 0; t < 16; ++t) EXPECT_EQ(d.lead(l)[t], h.lead(l)[t]) << l << "," << t;
  // Non-voltage channels keep their unit (count × 2.5 mm[Hg]); a repeated source name is kept,
  // told apart by channel position.
  const cgdmer::EcgRecord p =
      cgdmer::read_dicom_ecg(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_dicom_ecg/ecg_and_two_pressures.dcm");
  EXPECT_EQ(p.lead_names, (std::vector<std::string>{"II", "Pressure", "Pressure (channel 3)"}));
  EXPECT_EQ(p.units, (std::vector<std::string>{"mV", "mm[Hg]", "mm[Hg]"}));
  EXPECT_FLOAT_EQ(p.lead(1)[3], 7.5f);
  EXPECT_FLOAT_EQ(p.lead(2)[3], 257.5f);
  EXPECT_EQ(p.lead(0)[0], h.lead(1)[0]);
}
TEST(ClinicalFuzzReplay, PhilipsXml) {
  EXPECT_GE(replay("fuzz_philips_xml", fuzz_philips_xml), 2);
  seeds_read_cleanly("fuzz_philips_xml", [](const std::string& p) { return cgdmer::read_philips_xml(p); });
}
TEST(ClinicalFuzzReplay, XliSeedRoundTripsTheRealFile) {
  EXPECT_GE(replay("fuzz_xli", fuzz_xli), 1);
  // The seed is fuzz/make_clinical_seeds.py's XLI encoding of the first 16 stored values of each
  // lead of ad4d3d80-d165_1-04_orig.xml: our decoder must give exactly those values from both.
  std::ifstream in(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_xli/ad4d3d80_12leads.xli", std::ios::binary);
  const std::string seed((std::istreambuf_iterator<char>(in)), {});
  const auto small = cgdmer::xli_decode(std::vector<std::uint8_t>(seed.begin(), seed.end()), 16, "seed");
  const std::string real_path =
      std::string(CGDMER_SHARED_DIR) + "/data/clinical_formats/philips_xml/ad4d3d80-d165_1-04_orig.xml";
  const cgdmer::XmlDoc doc = cgdmer::XmlDoc::read_file(real_path);
  const auto payload = cgdmer::base64_decode(cgdmer::xml_text(
      cgdmer::xml_child(cgdmer::xml_child(doc.root(), "waveforms"), "parsedwaveforms")));
  ASSERT_TRUE(payload.has_value());
  const auto real = cgdmer::xli_decode(*payload, 12, real_path);
  ASSERT_EQ(small.size(), 12u);
  ASSERT_EQ(real.size(), 12u);
  for (std::size_t l = 0; l < 12; ++l) {
    ASSERT_EQ(small[l].size(), 16u);
    ASSERT_EQ(real[l].size(), 5500u);
    for (std::size_t t = 0; t < 16; ++t) EXPECT_EQ(small[l][t], real[l][t]) << l << "," << t;
  }
}
TEST(ClinicalFuzzReplay, ScpEcg) {
  EXPECT_GE(replay("fuzz_scp_ecg", fuzz_scp_ecg), 2);
  seeds_read_cleanly("fuzz_scp_ecg", [](const std::string& p) { return cgdmer::read_scp_ecg(p); });
  // The Huffman seed holds the HL7 example's first 16 digits of I, II, V1, aVR (2.5 µV) encoded as
  // second differences by fuzz/make_clinical_seeds.py: an independent encoder for our decoder.
  const cgdmer::EcgRecord s =
      cgdmer::read_scp_ecg(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_scp_ecg/hl7_example_huffman.scp");
  const cgdmer::EcgRecord h = cgdmer::read_hl7_aecg(
      std::string(CGDMER_SHARED_DIR) + "/data/clinical_formats/hl7_aecg/Example aECG.xml");
  ASSERT_EQ(s.lead_names, (std::vector<std::string>{"I", "II", "V1", "aVR"}));
  const int in_hl7[] = {0, 1, 2, 9};  // I, II, V1, ..., aVR in the aECG's order
  for (int l = 0; l < 4; ++l)
    for (int t = 0; t < 16; ++t) EXPECT_EQ(s.lead(l)[t], h.lead(in_hl7[l])[t]) << l << "," << t;
}
TEST(ClinicalFuzzReplay, CsvRecord) { EXPECT_GE(replay("fuzz_csv_record", fuzz_csv_record), 2); }

}  // namespace
