// Downstream task definitions (paper Tables 1–2; MERL's split CSVs, reference/peers.md §7):
// PTB-XL super (5) / sub (23) / form (19) / rhythm (12), CPSC 2018 (9), CSN (38). Class
// lists are in MERL's CSV column order; every class name is also its key in the CKEPE
// prompt file (identity map, overridable per task).
//
// MERL's label bugs, reproducible with `merl_bugs = true` (default off = fixed):
//  - PTB-XL sub column order: MERL reads labels by position and its TRAIN CSV orders three
//    columns "…NORM, AVB, RAO/RAE, ISC…" while val/test have "…NORM, ISC, AVB, RAO/RAE…",
//    so during training the output for ISC learns AVB's labels, AVB learns RAO/RAE's and
//    RAO/RAE learns ISC's. Reproduced by permuting the TRAIN label columns accordingly
//    (merl_train_label_permutation); val/test are untouched. Affects linear probing only.
//  - CSN substring labels: MERL set a class when its acronym was a SUBSTRING of the
//    record's Dx string (AF for every AFIB, ST for STE/STDD/STTC/STTU, VB for AVB, AVB for
//    1AVB/2AVB/2AVB1, CR for CCR, 2AVB for 2AVB1, SA for SAAWR). Reproduced on the 38-class
//    labels by the substring closure within the class list (apply_csn_substring_bug). Codes
//    outside the 38 (SAAWR, 2AVB2, 3AVB …) are not in a store's label set, so their part of
//    the bug (e.g. SA for SAAWR) cannot be reproduced from stored labels — documented gap.
//  - (CSN drops SB and CPSC keeps only 5 s: preprocessing/label-set decisions of the data
//    layer, identical in both modes.)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cgdmer {

struct TaskDef {
  std::string name;           // "ptbxl_super", "ptbxl_sub", "ptbxl_form", "ptbxl_rhythm", "cpsc2018", "csn"
  std::string title;          // column title in results.md
  std::string dataset;        // StoreInfo::dataset expected ("ptbxl", "cpsc2018", "csn")
  std::string label_set;      // preferred StoreInfo::label_sets key
  std::vector<std::string> classes;      // MERL CSV order
  std::vector<std::string> prompt_keys;  // per class, key into the prompt JSON
};

const std::vector<TaskDef>& all_tasks();
const TaskDef& find_task(const std::string& name);  // ConfigError listing the known names
std::vector<std::string> parse_task_list(const std::string& comma_separated);  // "all" → every task

// MERL's train-CSV column order for ptbxl_sub (the bug above).
const std::vector<std::string>& merl_ptbxl_sub_train_order();

// For a task and labels in task order, the column permutation MERL's training effectively
// saw: trained_column[k] = true_column[perm[k]]. Identity except for ptbxl_sub.
std::vector<int> merl_train_label_permutation(const TaskDef& task);

// Sets class a wherever a class b of which a is a substring is set (row-major (N, C) bytes).
void apply_csn_substring_bug(std::vector<std::uint8_t>& labels, const std::vector<std::string>& classes);

// Finds the store label set holding the task's classes: the preferred key if present, else
// any set with the same classes; returns for each task class its column in that set.
// ConfigError (naming the store and its sets) when a class is missing.
struct LabelSetMatch {
  std::string set;
  std::vector<int> column;  // (C_task) index into the store set
};
LabelSetMatch match_label_set(const TaskDef& task,
                              const std::map<std::string, std::vector<std::string>>& store_sets,
                              const std::string& store_dir);

}  // namespace cgdmer
