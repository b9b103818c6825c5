// MERL's split CSVs mapped onto a store (eval/merl_splits.h): a store prepared from the
// embedded PTB-XL sample, split files written here in MERL's layout (the released ones hold
// held-out labels and are not bundled) — row order kept, absent records counted, a record in
// two parts refused; ICBEB and CSN key columns; errors name the file.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../scratch_dir.h"
#include "core/error.h"
#include "data/prepare.h"
#include "data/shard_store.h"
#include "eval/merl_splits.h"

using namespace cgdmer;
namespace fs = std::filesystem;

namespace {

const ShardStore& sample_store() {
  static const ShardStore store = [] {
    PrepareOptions o;
    o.dataset = "ptbxl";
    o.src = std::string(CGDMER_SOURCE_DIR) + "/data/sample/ptbxl";
    o.out = cgdmer::testing::scratch_path("merl_store");
    o.rate = 100;
    o.jobs = 2;
    o.progress = false;
    prepare_dataset(o);
    return ShardStore::open(o.out);
  }();
  return store;
}

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// MERL's PTB-XL layout: ecg_id, patient_id, strat_fold, filename_lr, filename_hr, task, labels.
std::string ptbxl_csv(const std::vector<std::string>& ids) {
  std::string s = "ecg_id,patient_id,strat_fold,filename_lr,filename_hr,super_class,HYP,NORM,MI,CD,STTC\n";
  for (const auto& id : ids)
    s += id + ",1.0,1,records100/00000/x_lr,records500/00000/x_hr,['NORM'],0,1,0,0,0\n";
  return s;
}

}  // namespace

TEST(MerlSplits, RowsFollowTheCsvOrderAndAbsentRecordsAreCounted) {
  const ShardStore& store = sample_store();
  ASSERT_GT(store.size(), 20);
  const std::string dir = cgdmer::testing::scratch_path("data_split_ok");
  const std::string base = dir + "/ptbxl/super_class/ptbxl_super_class_";
  // Train lists store rows 7, 3, 11 (not the store's order) and one record the store lacks.
  write(base + "train.csv", ptbxl_csv({store.record_id(7), store.record_id(3), "999999",
                                       store.record_id(11)}));
  write(base + "val.csv", ptbxl_csv({store.record_id(5)}));
  write(base + "test.csv", ptbxl_csv({store.record_id(0), store.record_id(19)}));
  const MerlTaskSplit s = merl_task_split(dir, "ptbxl_super", store);
  EXPECT_EQ(s.train, (std::vector<std::int64_t>{7, 3, 11}));
  EXPECT_EQ(s.val, (std::vector<std::int64_t>{5}));
  EXPECT_EQ(s.test, (std::vector<std::int64_t>{0, 19}));
  EXPECT_EQ(s.missing, 1);
  EXPECT_EQ(s.missing_examples, (std::vector<std::string>{"999999"}));
  EXPECT_EQ(s.files[2], base + "test.csv");
}

TEST(MerlSplits, RecordInTwoPartsMissingFilesAndUnknownTasksAreRefused) {
  const ShardStore& store = sample_store();
  const std::string dir = cgdmer::testing::scratch_path("data_split_bad");
  const std::string base = dir + "/ptbxl/form/ptbxl_form_";
  write(base + "train.csv", ptbxl_csv({store.record_id(1), store.record_id(2)}));
  write(base + "val.csv", ptbxl_csv({store.record_id(2)}));
  try {
    merl_task_split(dir, "ptbxl_form", store);
    FAIL() << "no error for a missing test file";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(base + "test.csv"), std::string::npos) << e.what();
  }
  write(base + "test.csv", ptbxl_csv({store.record_id(4)}));
  try {
    merl_task_split(dir, "ptbxl_form", store);
    FAIL() << "no error for a record in train and val";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(base + "val.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("also listed in " + base + "train.csv"), std::string::npos) << m;
  }
  EXPECT_THROW(merl_split_files(dir, "ludb"), ConfigError);
  write(dir + "/nokey.csv", "patient_id,age,AF\n1,50,1\n");
  EXPECT_THROW(merl_split_keys(dir + "/nokey.csv"), FormatError);
}

TEST(MerlSplits, IcbebAndChapmanKeysAreTheStoreIds) {
  const std::string dir = cgdmer::testing::scratch_path("data_split_keys");
  // ICBEB: patient_id and ecg_id are numbers; the record is `filename` (the CPSC store's id).
  write(dir + "/icbeb.csv",
        "patient_id,ecg_id,filename,validation,age,sex,scp_codes,AFIB,VPC\n"
        "677,677,A6729,False,61.0,0,{},0,1\n6114,6114,A0493,False,27.0,0,{},1,0\n");
  EXPECT_EQ(merl_split_keys(dir + "/icbeb.csv"), (std::vector<std::string>{"A6729", "A0493"}));
  // CSN: ecg_path → file stem (the CSN store's id).
  write(dir + "/chapman.csv",
        "ecg_path,age,diagnose,AF,SB\n/chapman/WFDBRecords/18/186/JS18048.mat,60,x,1,0\n");
  EXPECT_EQ(merl_split_keys(dir + "/chapman.csv"), (std::vector<std::string>{"JS18048"}));
  EXPECT_EQ(merl_split_files("/s", "cpsc2018")[1], "/s/icbeb/icbeb_val.csv");
  EXPECT_EQ(merl_split_files("/s", "csn")[0], "/s/chapman/chapman_train.csv");
  EXPECT_EQ(merl_split_files("/s", "ptbxl_sub")[2], "/s/ptbxl/sub_class/ptbxl_sub_class_test.csv");
}
