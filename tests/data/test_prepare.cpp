// prepare_dataset on the embedded real sample (data/sample): counts, hand-checked labels,
// signal equality with the io + preprocess chain, skip reasons in summary.json for missing /
// corrupt / non-UTF-8 records, resume after an interruption, and the other adapters.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/label_sets.h"
#include "data/prepare.h"
#include "data/preprocess.h"
#include "data/shard_store.h"
#include "io/ecg_readers.h"
#include "text/tokenizer.h"
#include "synthetic_store.h"

namespace fs = std::filesystem;
using namespace cgdmer;
using nlohmann::json;

namespace {

const std::string kSample = std::string(CGDMER_SOURCE_DIR) + "/data/sample";

PrepareOptions ptbxl_options(const std::string& src, const std::string& out, double rate = 100) {
  PrepareOptions o;
  o.dataset = "ptbxl";
  o.src = src;
  o.out = out;
  o.rate = rate;
  o.jobs = 2;
  o.progress = false;
  return o;
}

json summary_of(const std::string& dir) { return json::parse(read_file(dir + "/summary.json")); }

std::vector<std::string> names(const ShardStore& s, std::int64_t i, const std::string& set) {
  std::vector<std::string> out;
  const auto lab = s.labels(i, set);
  for (std::size_t k = 0; k < lab.size(); ++k)
    if (lab[k]) out.push_back(s.info().label_sets.at(set)[k]);
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t find_id(const ShardStore& s, const std::string& id) {
  for (std::int64_t i = 0; i < s.size(); ++i)
    if (s.record_id(i) == id) return i;
  return -1;
}

// A small PTB-XL tree: the sample's CSVs and the first `n` 100 Hz records listed in it.
std::string copy_ptbxl_subset(const std::string& name) {
  const std::string dir = cgdmer::testing::temp_dir(name);
  fs::copy(kSample + "/ptbxl", dir, fs::copy_options::recursive);
  return dir;
}

}  // namespace

TEST(Prepare, EmbeddedPtbxlSampleAt100Hz) {
  const std::string out = cgdmer::testing::temp_dir("prep100");
  const PrepareSummary sum = prepare_dataset(ptbxl_options(kSample + "/ptbxl", out));
  EXPECT_TRUE(sum.complete);
  EXPECT_EQ(sum.records_seen, 600);
  EXPECT_EQ(sum.records_written, 600);
  EXPECT_EQ(sum.records_skipped, 0);
  const json js = summary_of(out);
  EXPECT_EQ(js["records_seen"], 600);
  EXPECT_EQ(js["records_written"], 600);
  EXPECT_TRUE(js["skipped"].empty());

  ShardStore s = ShardStore::open(out);
  EXPECT_EQ(s.size(), 600);
  EXPECT_EQ(s.info().n_samples, 1000);
  EXPECT_EQ(s.info().fs, 100);
  EXPECT_EQ(s.info().lead_names, mimic_lead_order());
  EXPECT_EQ(s.info().label_sets.at("sub"), ptbxl_sub_classes());
  // Format 2: the settings text and its FNV-1a-64 (the value from Python in preprocess_test).
  EXPECT_EQ(s.info().version, 2u);
  EXPECT_EQ(s.info().preprocessing_settings,
            "pp1:leads=i,ii,iii,avr,avf,avl,v1,v2,v3,v4,v5,v6;fs=100;n=1000;keep=-1;fill=6;"
            "norm=minmax;resampler=poly-kaiser5-10");
  EXPECT_EQ(s.info().preprocessing_hash, "7d223522aeb3bc47");
  // The tokenizer that made the token ids: the bundled MedCPT vocabulary (no --vocab).
  EXPECT_EQ(s.info().tokenizer, WordPieceTokenizer::medcpt().fingerprint());
  EXPECT_EQ(s.info().max_text_len, 256);
  int fold9 = 0;
  for (std::int64_t i = 0; i < s.size(); ++i) fold9 += s.fold(i) == 9;
  EXPECT_EQ(fold9, 120);

  // Labels hand-derived from scp_codes + scp_statements.csv (benchmark rule: every scp_codes
  // key counts, whatever its likelihood; underscores stripped as MERL does).
  struct Want {
    const char* id;
    int fold;
    std::vector<std::string> super, sub, form, rhythm;
  };
  const std::vector<Want> want = {
      {"1", 3, {"NORM"}, {"NORM"}, {"LVOLT"}, {"SR"}},
      {"8", 9, {"MI"}, {"IMI"}, {"ABQRS"}, {"SR"}},
      {"17", 9, {}, {}, {"ABQRS"}, {"AFIB", "AFLT"}},
      {"26", 9, {"STTC"}, {"NST", "STTC"}, {"DIG", "NST"}, {"SR"}},
      {"32", 1, {"CD"}, {"LAFB/LPFB"}, {}, {"SR"}},
      {"39", 9, {"MI", "STTC"}, {"IMI", "NST", "STTC"}, {"ABQRS", "DIG", "LNGQT", "NST"}, {"SR"}},
  };
  for (const auto& w : want) {
    const auto i = find_id(s, w.id);
    ASSERT_GE(i, 0) << w.id;
    SCOPED_TRACE(w.id);
    EXPECT_EQ(s.fold(i), w.fold);
    EXPECT_EQ(names(s, i, "super"), w.super);
    EXPECT_EQ(names(s, i, "sub"), w.sub);
    EXPECT_EQ(names(s, i, "form"), w.form);
    EXPECT_EQ(names(s, i, "rhythm"), w.rhythm);
  }
  const auto i1 = find_id(s, "1");
  EXPECT_EQ(s.report(i1), "sinusrhythmus periphere niederspannung.");
  const auto tok = s.token_ids(i1);
  ASSERT_GE(tok.size(), 3u);
  EXPECT_EQ(tok.front(), 2);  // MedCPT [CLS]
  EXPECT_EQ(tok.back(), 3);   // MedCPT [SEP]

  // Stored signal = the io reader + preprocess chain, within the int16 quantisation (0.5/32767).
  const EcgRecord rec = read_wfdb_record(kSample + "/ptbxl/records100/00000/00001_lr.hea");
  PreprocessOptions pp;
  pp.target_fs = 100;
  pp.target_samples = 1000;
  const auto x = preprocess_record(rec, pp);
  std::vector<float> got(12 * 1000);
  s.read_signal(i1, got.data());
  for (std::size_t k = 0; k < got.size(); ++k) ASSERT_NEAR(got[k], x[k], 0.5f / 32767 + 1e-6f) << k;
  fs::remove_all(out);
}

TEST(Prepare, PartialDownloadAt500HzListsMissingFiles) {
  const std::string out = cgdmer::testing::temp_dir("prep500");
  const PrepareSummary sum = prepare_dataset(ptbxl_options(kSample + "/ptbxl", out, 500));
  EXPECT_TRUE(sum.complete);
  EXPECT_EQ(sum.records_written, 1);  // only records500/00000/00001_hr is in the sample
  EXPECT_EQ(sum.records_skipped, 599);
  const json js = summary_of(out);
  for (auto& k : js["skipped"]) EXPECT_EQ(k["reason"], "file not found") << k.dump();
  ShardStore s = ShardStore::open(out);
  EXPECT_EQ(s.info().n_samples, 5000);
  EXPECT_EQ(s.record_id(0), "1");
  fs::remove_all(out);
}

TEST(Prepare, BadRecordsAreSkippedWithTheirReason) {
  const std::string src = copy_ptbxl_subset("prepbad_src");
  const std::string out = cgdmer::testing::temp_dir("prepbad");
  const std::string missing = src + "/records100/00000/00002_lr";
  const std::string truncated = src + "/records100/00000/00003_lr";
  fs::remove(missing + ".dat");
  fs::resize_file(truncated + ".dat", 1000);
  std::ofstream(src + "/records100/00000/00004_lr.hea", std::ios::trunc) << "this is not a header\n";
  const PrepareSummary sum = prepare_dataset(ptbxl_options(src, out));
  EXPECT_TRUE(sum.complete);
  EXPECT_EQ(sum.records_seen, 600);
  EXPECT_EQ(sum.records_written, 597);
  const json js = summary_of(out);
  ASSERT_EQ(js["skipped"].size(), 3u);
  std::map<std::string, std::string> reason;
  for (auto& k : js["skipped"]) reason[k["path"]] = k["reason"];
  for (const auto& p : {missing, truncated, src + "/records100/00000/00004_lr"}) {
    ASSERT_TRUE(reason.count(p + ".hea")) << p;
    EXPECT_FALSE(reason[p + ".hea"].empty());
    std::printf("  skip %s: %s\n", fs::path(p).filename().c_str(), reason[p + ".hea"].c_str());
  }
  EXPECT_NE(reason[missing + ".hea"].find("00002_lr.dat"), std::string::npos);    // names the file
  EXPECT_NE(reason[truncated + ".hea"].find("00003_lr"), std::string::npos);
  fs::remove_all(src);
  fs::remove_all(out);
}

TEST(Prepare, InterruptedRunResumesToTheSameStore) {
  const std::string ref = cgdmer::testing::temp_dir("prepref");
  prepare_dataset(ptbxl_options(kSample + "/ptbxl", ref));
  const std::string out = cgdmer::testing::temp_dir("prepresume");
  PrepareOptions o = ptbxl_options(kSample + "/ptbxl", out);
  o.stop_after = 57;
  PrepareSummary first = prepare_dataset(o);
  EXPECT_FALSE(first.complete);
  EXPECT_EQ(first.records_seen, 57);
  EXPECT_THROW(ShardStore::open(out), FormatError);  // never looks complete
  o.stop_after = -1;
  o.jobs = 1;  // the result does not depend on the thread count
  PrepareSummary second = prepare_dataset(o);
  EXPECT_TRUE(second.complete);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.records_seen, 600);
  for (const char* f : {"signals.bin", "meta.jsonl", "store.json"})
    EXPECT_EQ(read_file(out + "/" + f), read_file(ref + "/" + f)) << f;
  // Changed options do not resume a foreign partial run: they start over.
  o.stop_after = 10;
  prepare_dataset(o);
  o.stop_after = -1;
  o.max_text_len = 16;
  PrepareSummary third = prepare_dataset(o);
  EXPECT_FALSE(third.resumed);
  EXPECT_EQ(ShardStore::open(out).size(), 600);
  fs::remove_all(ref);
  fs::remove_all(out);
}

TEST(Prepare, OtherAdaptersOnTheSample) {
  const std::string out = cgdmer::testing::temp_dir("prepother");
  PrepareOptions o;
  o.jobs = 2;
  o.progress = false;
  o.out = out;

  o.dataset = "csn";
  o.src = kSample + "/csn";
  auto s = prepare_dataset(o);
  EXPECT_EQ(s.records_written, 1);
  {
    ShardStore st = ShardStore::open(out);
    // JS00001: #Dx 164889003 (AFIB), 59118001 (RBBB), 164934002 (TWC).
    // (codes looked up by hand in ConditionNames_SNOMED-CT.csv; all three are MERL classes)
    EXPECT_EQ(names(st, 0, "csn"), (std::vector<std::string>{"AFIB", "RBBB", "TWC"}));
    EXPECT_EQ(st.info().n_samples, 5000);
  }

  o.dataset = "cpsc2018";
  o.src = kSample + "/cpsc2018";
  o.cpsc_first_2500 = true;
  s = prepare_dataset(o);
  EXPECT_EQ(s.records_written, 1);
  {
    ShardStore st = ShardStore::open(out);
    std::vector<float> x(12 * 5000);
    st.read_signal(0, x.data());
    // MERL's recipe: samples 2500.. are the zero padding (mapped by min-max like the rest).
    for (int l = 0; l < 12; ++l)
      for (int t = 2501; t < 5000; t += 97) EXPECT_EQ(x[l * 5000 + t], x[l * 5000 + 2500]);
  }
  o.cpsc_first_2500 = false;
  // With a REFERENCE.csv (1..9 labels) the original .mat gets CPSC classes.
  const std::string cpsc_src = cgdmer::testing::temp_dir("prepcpsc");
  fs::copy_file(kSample + "/cpsc2018/A1980.mat", cpsc_src + "/A1980.mat");
  std::ofstream(cpsc_src + "/REFERENCE.csv") << "Recording,First_label,Second_label,Third_label\nA1980,2,8,\n";
  o.src = cpsc_src;
  prepare_dataset(o);
  EXPECT_EQ(names(ShardStore::open(out), 0, "cpsc"), (std::vector<std::string>{"AFIB", "STD"}));
  fs::remove_all(cpsc_src);

  // CSN: a record whose Dx codes are all outside the 38 classes is skipped with the codes.
  const std::string csn_src = cgdmer::testing::temp_dir("prepcsn");
  fs::copy(kSample + "/csn", csn_src, fs::copy_options::recursive);
  {
    const std::string hea = csn_src + "/WFDBRecords/01/010/JS00001.hea";
    std::string h = read_file(hea);
    h.replace(h.find("164889003,59118001,164934002"), 28, "426627000");  // a code not in ConditionNames_SNOMED-CT.csv
    std::ofstream(hea, std::ios::trunc) << h;
  }
  o.dataset = "csn";
  o.src = csn_src;
  s = prepare_dataset(o);
  EXPECT_EQ(s.records_written, 0);
  EXPECT_NE(summary_of(out)["skipped"][0]["reason"].get<std::string>().find("426627000"), std::string::npos);
  fs::remove_all(csn_src);

  o.dataset = "ludb";
  o.src = kSample + "/ludb";
  s = prepare_dataset(o);
  EXPECT_EQ(s.records_written, 1);
  {
    ShardStore st = ShardStore::open(out);
    EXPECT_NE(st.report(0).find("sinus bradycardia"), std::string::npos) << st.report(0);
    EXPECT_GT(st.token_ids(0).size(), 5u);
  }

  // folder: Challenge + CSN + CPSC + WFDB records whatever their names, and a labels CSV with
  // one non-UTF-8 report (skipped with that reason).
  const std::string csv = out + "_labels.csv";
  std::ofstream(csv) << "id,report,AF\nE07500,sinus rhythm. normal ecg,0\nA1980,\xff\xfe broken,1\n";
  o.dataset = "folder";
  o.src = kSample;
  o.labels_csv = csv;
  o.rate = 100;
  s = prepare_dataset(o);
  const json js = summary_of(out);
  EXPECT_EQ(s.records_seen, 600 + 1 + 1 + 1 + 1 + 1);  // ptbxl 100 Hz + 500 Hz record + 4 formats
  ASSERT_EQ(js["skipped"].size(), 1u) << js["skipped"].dump();
  EXPECT_NE(js["skipped"][0]["reason"].get<std::string>().find("UTF-8"), std::string::npos);
  {
    ShardStore st = ShardStore::open(out);
    const auto e = find_id(st, "E07500");
    ASSERT_GE(e, 0);
    EXPECT_EQ(st.report(e), "sinus rhythm. normal ecg.");
    EXPECT_EQ(st.info().n_samples, 1000);
  }
  fs::remove(csv);
  fs::remove_all(out);
}

// A labels CSV of only ids and reports: reports, and no label set (this store could not be
// reopened before: "unknown label set labels").
TEST(Prepare, FolderWithAReportOnlyCsvHasReportsAndNoLabelSet) {
  const std::string src = cgdmer::testing::temp_dir("report_only_src");
  const std::string out = cgdmer::testing::temp_dir("report_only_out");
  for (const char* ext : {".hea", ".dat"})
    fs::copy_file(kSample + "/ptbxl/records100/00000/00001_lr" + ext, src + "/00001_lr" + ext);
  const std::string csv = out + "_reports.csv";
  std::ofstream(csv) << "id,report\n00001_lr,sinus rhythm. normal ecg\n";
  PrepareOptions o = ptbxl_options(src, out);
  o.dataset = "folder";
  o.labels_csv = csv;
  o.rate = 100;
  EXPECT_EQ(prepare_dataset(o).records_written, 1);
  const ShardStore st = ShardStore::open(out);
  EXPECT_EQ(st.report(0), "sinus rhythm. normal ecg.");
  EXPECT_TRUE(st.info().label_sets.empty());
  fs::remove(csv);
  fs::remove_all(src);
  fs::remove_all(out);
}

TEST(Prepare, BadOptionsAreConfigErrors) {
  PrepareOptions o = ptbxl_options(kSample + "/ptbxl", cgdmer::testing::temp_dir("prepopt"));
  o.dataset = "nope";
  EXPECT_THROW(prepare_dataset(o), ConfigError);
  o.dataset = "ptbxl";
  o.src = kSample + "/does-not-exist";
  EXPECT_THROW(prepare_dataset(o), IoError);
  fs::remove_all(o.out);
}

TEST(Prepare, MimicLayoutWithSyntheticTables) {
  // No MIMIC-IV-ECG data is available here: a tiny tree in its layout, with a real PTB-XL
  // 500 Hz record standing in for the waveforms.
  const std::string src = cgdmer::testing::temp_dir("mimic_src");
  const std::string out = cgdmer::testing::temp_dir("mimic_out");
  for (const char* study : {"s1", "s2", "s3"}) {
    fs::create_directories(src + "/files/p100/" + study);
    for (const char* ext : {".hea", ".dat"})
      fs::copy_file(kSample + "/ptbxl/records500/00000/00001_hr" + ext,
                    src + "/files/p100/" + study + "/00001_hr" + ext);
  }
  std::ofstream(src + "/record_list.csv")
      << "subject_id,study_id,file_name,ecg_time,path\n"
         "100,1,00001_hr,2180-07-23 08:44:00,files/p100/s1/00001_hr\n"
         "100,2,00001_hr,2180-07-23 09:00:00,files/p100/s2/00001_hr\n"
         "100,3,00001_hr,2180-07-24 09:00:00,files/p100/s3/00001_hr\n"
         "100,4,00001_hr,2180-07-25 09:00:00,files/p100/s4/00001_hr\n"
         "100,5,00001_hr,2180-07-26 09:00:00,files/p100/s5/00001_hr\n";
  std::ofstream(src + "/machine_measurements.csv")
      << "subject_id,study_id,cart_id,report_0,report_1,report_2,report_3\n"
         "100,1,6848296,Sinus rhythm,\"Possible left atrial enlargement, borderline\",,Abnormal EKG\n"
         "100,2,6848296,*** Sinus rhythm ***,,,\n"
         "100,3,6848296,Atrial fibrillation with rapid ventricular response,,,\n"
         "100,4,6848296,Sinus rhythm with first degree AV block,,,\n";
  PrepareOptions o;
  o.dataset = "mimic";
  o.src = src;
  o.out = out;
  o.jobs = 2;
  o.progress = false;
  const PrepareSummary s = prepare_dataset(o);
  EXPECT_EQ(s.records_seen, 5);
  EXPECT_EQ(s.records_written, 2);  // study 2: 2 words; study 4: no file; study 5: no report row
  const json js = summary_of(out);
  ASSERT_EQ(js["skipped"].size(), 3u);
  EXPECT_NE(js["skipped"][0]["reason"].get<std::string>().find("2 word(s)"), std::string::npos);
  EXPECT_EQ(js["skipped"][1]["reason"], "file not found");
  EXPECT_NE(js["skipped"][2]["reason"].get<std::string>().find("machine_measurements"), std::string::npos);
  ShardStore st = ShardStore::open(out);
  EXPECT_EQ(st.record_id(0), "1");
  // MERL: parts joined with ". ", EKG → ECG, lower-case, '.' appended.
  EXPECT_EQ(st.report(0), "sinus rhythm. possible left atrial enlargement, borderline. abnormal ecg.");
  EXPECT_EQ(st.report(1), "atrial fibrillation with rapid ventricular response.");
  // --min-words is configurable: 2 keeps study 2.
  o.min_words = 2;
  EXPECT_EQ(prepare_dataset(o).records_written, 3);
  fs::remove_all(src);
  fs::remove_all(out);
}
