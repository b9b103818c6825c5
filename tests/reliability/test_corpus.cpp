// Bad-input corpus (tests/corpus/, table in tests/corpus/EXPECTED.tsv): every file goes
// through the reader that handles it, and must give exactly the expected outcome — an error of
// the expected type whose message names the file and contains the expected problem text, or a
// clean read. Then the whole corpus folder goes through `prepare --dataset folder` (the library
// call behind the command): every bad record must be in summary.json's skip list with the same
// reason, and the good ones must still be written (one bad record never stops a run).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/dataset.h"
#include "data/prepare.h"
#include "data/preprocess.h"
#include "data/shard_store.h"
#include "io/ecg_readers.h"
#include "scratch_dir.h"

namespace cgdmer {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(CGDMER_SOURCE_DIR) + "/tests/corpus/";

struct Expectation {
  std::string file;     // relative to tests/corpus/
  std::string stage;    // read | preprocess | ok | labels_csv | ptbxl_csv
  std::string error;    // FormatError | IoError | - (none)
  std::string names;    // file the message must name (relative to tests/corpus/), or -
  std::string message;  // substring of the message, or -
  std::string prepare;  // written | skipped | skipped:<reason> | - (not in the prepare run)
};

std::vector<Expectation> load_expectations() {
  std::ifstream in(kCorpus + "EXPECTED.tsv");
  EXPECT_TRUE(in.good()) << "cannot open " << kCorpus << "EXPECTED.tsv";
  std::vector<Expectation> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    EXPECT_EQ(f.size(), 6u) << "EXPECTED.tsv line: " << line;
    if (f.size() != 6) continue;
    out.push_back({f[0], f[1], f[2], f[3], f[4], f[5]});
  }
  return out;
}

const std::vector<Expectation>& expectations() {
  static const std::vector<Expectation> e = load_expectations();
  return e;
}

using cgdmer::testing::TempDir;

// Runs the stage of `e` and returns "" when the outcome matches, else what went wrong.
std::string check(const Expectation& e) {
  const std::string path = kCorpus + e.file;
  std::string error_type, message;
  try {
    if (e.stage == "read") {
      (void)read_any_record(path);
    } else if (e.stage == "preprocess" || e.stage == "ok") {
      const EcgRecord rec = read_any_record(path);
      const std::vector<float> x = preprocess_record(rec, PreprocessOptions{});
      if (x.size() != 12u * 5000u) return "preprocessed size " + std::to_string(x.size());
      for (float v : x)
        if (!(v >= 0.0f && v <= 1.0f)) return "preprocessed value outside [0, 1]: " + std::to_string(v);
    } else if (e.stage == "labels_csv") {
      PrepareOptions o;
      o.dataset = "folder";
      o.src = kCorpus + "records";
      o.labels_csv = path;
      (void)plan_folder(o);
    } else if (e.stage == "ptbxl_csv") {
      PrepareOptions o;
      o.dataset = "ptbxl";
      o.src = path;
      o.rate = 100;
      (void)plan_ptbxl(o);
    } else {
      return "unknown stage '" + e.stage + "'";
    }
  } catch (const FormatError& x) {
    error_type = "FormatError";
    message = x.what();
  } catch (const IoError& x) {
    error_type = "IoError";
    message = x.what();
  } catch (const std::exception& x) {
    return std::string("unexpected exception type: ") + x.what();
  }
  if (e.error == "-") return error_type.empty() ? "" : "unexpected " + error_type + ": " + message;
  if (error_type != e.error)
    return "expected " + e.error + ", got " + (error_type.empty() ? "no error" : error_type + ": " + message);
  if (message.find(kCorpus + e.names) == std::string::npos)
    return "message does not name " + e.names + ": " + message;
  if (message.find(e.message) == std::string::npos)
    return "message lacks '" + e.message + "': " + message;
  return "";
}

TEST(Corpus, TableCoversEveryCorpusFile) {
  std::map<std::string, bool> listed;
  for (const auto& e : expectations()) listed[e.file] = true;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), kCorpus).string();
    const std::string ext = entry.path().extension().string();
    if (rel.rfind("records/", 0) == 0 && (ext == ".hea" || ext == ".mat")) {
      EXPECT_TRUE(listed.count(rel)) << rel << " has no line in EXPECTED.tsv";
    }
  }
  EXPECT_GE(expectations().size(), 20u);
}

TEST(Corpus, EveryFileGivesItsExpectedOutcome) {
  for (const auto& e : expectations()) {
    SCOPED_TRACE(e.file);
    EXPECT_EQ(check(e), "") << e.file << " (" << e.stage << ")";
  }
}

TEST(Corpus, TinyGainReadsAsInfinityAndZeroGainAsDefault) {
  // The reader keeps the header's calibration: 1e-300 adu/mV turns ADC 100 into +inf (then
  // rejected by preprocessing, see EXPECTED.tsv); gain 0 means WFDB's default 200 adu/mV.
  const EcgRecord tiny = read_any_record(kCorpus + "records/tiny_gain.hea");
  EXPECT_TRUE(std::isinf(tiny.lead(0)[0]));
  const EcgRecord zero = read_any_record(kCorpus + "records/zero_gain.hea");
  EXPECT_FLOAT_EQ(zero.lead(0)[0], 100.0f / 200.0f);
}

// Duplicate ids in metadata would silently merge two records (folder CSV: the last row won;
// PTB-XL: two records with one id): both adapters refuse them, naming the file, id and rows.
TEST(Corpus, DuplicateIdsAreRefused) {
  PrepareOptions o;
  o.dataset = "folder";
  o.src = kCorpus + "records";
  o.labels_csv = kCorpus + "labels_duplicate_ids.csv";
  try {
    plan_folder(o);
    FAIL() << "duplicate ids in the labels CSV were accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("labels_duplicate_ids.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("duplicate id 'good'"), std::string::npos) << e.what();
  }
  PrepareOptions p;
  p.dataset = "ptbxl";
  p.src = kCorpus + "ptbxl_duplicate_ids";
  p.rate = 100;
  try {
    plan_ptbxl(p);
    FAIL() << "duplicate ecg_id rows were accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("ptbxl_database.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("duplicate ecg_id '2'"), std::string::npos) << e.what();
  }
}

TEST(Corpus, PrepareSkipsEveryBadRecordAndGoesOn) {
  TempDir out;
  PrepareOptions o;
  o.dataset = "folder";
  o.src = kCorpus + "records";
  o.out = out.str() + "/store";
  o.labels_csv = kCorpus + "labels.csv";
  o.jobs = 1;
  o.progress = false;
  const PrepareSummary s = prepare_dataset(o);
  EXPECT_TRUE(s.complete);

  std::ifstream in(o.out + "/summary.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json summary = nlohmann::json::parse(in);
  std::map<std::string, std::string> skipped;  // file (relative) → reason
  for (const auto& sk : summary.at("skipped"))
    skipped[fs::relative(sk.at("path").get<std::string>(), kCorpus).string()] =
        sk.at("reason").get<std::string>();

  const ShardStore store = ShardStore::open(o.out);
  std::map<std::string, std::int64_t> written;
  for (std::int64_t i = 0; i < store.size(); ++i) written[store.record_id(i)] = i;

  int n_in_run = 0, n_written = 0;
  for (const auto& e : expectations()) {
    if (e.prepare == "-") continue;
    SCOPED_TRACE(e.file);
    ++n_in_run;
    const std::string id = fs::path(e.file).stem().string();
    if (e.prepare == "written") {
      ++n_written;
      EXPECT_TRUE(written.count(id)) << e.file << " not written; skip reason: " << skipped[e.file];
      EXPECT_FALSE(skipped.count(e.file));
      continue;
    }
    const std::string want = e.prepare == "skipped" ? e.message : e.prepare.substr(e.prepare.find(':') + 1);
    ASSERT_TRUE(skipped.count(e.file)) << e.file << " missing from summary.json's skip list";
    EXPECT_NE(skipped[e.file].find(want), std::string::npos) << "reason: " << skipped[e.file];
    EXPECT_FALSE(written.count(id));
  }
  EXPECT_EQ(summary.at("records_seen").get<std::int64_t>(), n_in_run);
  EXPECT_EQ(summary.at("records_written").get<std::int64_t>(), n_written);
  EXPECT_EQ(store.size(), n_written);

  // The 100 kB report is kept whole as text; its token ids are cut to max_text_len.
  ASSERT_TRUE(written.count("report_100k"));
  const std::int64_t i = written["report_100k"];
  EXPECT_GT(store.report(i).size(), 90000u);
  EXPECT_EQ(store.token_ids(i).size(), std::size_t(o.max_text_len));
}

}  // namespace
}  // namespace cgdmer
