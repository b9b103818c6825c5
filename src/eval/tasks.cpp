// Task table and MERL label-bug emulation (see tasks.h).
#include "eval/tasks.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "data/label_sets.h"

namespace cgdmer {
namespace {

TaskDef make(std::string name, std::string title, std::string dataset, std::string set,
             const std::vector<std::string>& classes) {
  return {std::move(name), std::move(title), std::move(dataset), std::move(set), classes, classes};
}

}  // namespace

const std::vector<TaskDef>& all_tasks() {
  static const std::vector<TaskDef> t = {
      make("ptbxl_super", "PTBXL-Super", "ptbxl", "super", ptbxl_super_classes()),
      make("ptbxl_sub", "PTBXL-Sub", "ptbxl", "sub", ptbxl_sub_classes()),
      make("ptbxl_form", "PTBXL-Form", "ptbxl", "form", ptbxl_form_classes()),
      make("ptbxl_rhythm", "PTBXL-Rhythm", "ptbxl", "rhythm", ptbxl_rhythm_classes()),
      make("cpsc2018", "CPSC2018", "cpsc2018", "cpsc2018", cpsc_classes()),
      make("csn", "CSN", "csn", "csn", csn_classes()),
  };
  return t;
}

const TaskDef& find_task(const std::string& name) {
  std::string known;
  for (const auto& t : all_tasks()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw ConfigError("unknown task '" + name + "'", "known tasks: " + known + ", all");
}

std::vector<std::string> parse_task_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "all") {
      for (const auto& t : all_tasks()) out.push_back(t.name);
      continue;
    }
    out.push_back(find_task(item).name);
  }
  if (out.empty()) throw ConfigError("no task given", "e.g. --tasks ptbxl_super,ptbxl_form");
  return out;
}

const std::vector<std::string>& merl_ptbxl_sub_train_order() {
  static const std::vector<std::string> order = [] {
    auto v = ptbxl_sub_classes();  // val/test: ... NORM, ISC, AVB, RAO/RAE ...
    const int i = class_index(v, "ISC");
    // train: ... NORM, AVB, RAO/RAE, ISC ...
    std::rotate(v.begin() + i, v.begin() + i + 1, v.begin() + i + 3);
    return v;
  }();
  return order;
}

std::vector<int> merl_train_label_permutation(const TaskDef& task) {
  std::vector<int> perm(task.classes.size());
  for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = int(k);
  if (task.name != "ptbxl_sub") return perm;
  // Column position k of the train CSV holds class train_order[k]; the model output k is
  // evaluated as task.classes[k]. So output k is trained on class train_order[k].
  const auto& train_order = merl_ptbxl_sub_train_order();
  for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = class_index(task.classes, train_order[k]);
  return perm;
}

void apply_csn_substring_bug(std::vector<std::uint8_t>& labels, const std::vector<std::string>& classes) {
  const std::size_t C = classes.size();
  std::vector<std::vector<int>> supers(C);  // classes b ≠ a with a ⊂ b
  for (std::size_t a = 0; a < C; ++a)
    for (std::size_t b = 0; b < C; ++b)
      if (a != b && classes[b].find(classes[a]) != std::string::npos) supers[a].push_back(int(b));
  for (std::size_t r = 0; r + C <= labels.size(); r += C)
    for (std::size_t a = 0; a < C; ++a)
      for (int b : supers[a])
        if (labels[r + b]) labels[r + a] = 1;
}

LabelSetMatch match_label_set(const TaskDef& task,
                              const std::map<std::string, std::vector<std::string>>& store_sets,
                              const std::string& store_dir) {
  auto try_set = [&](const std::string& key, const std::vector<std::string>& cls,
                     LabelSetMatch& m) {
    m.set = key;
    m.column.clear();
    for (const auto& c : task.classes) {
      const int i = class_index(cls, c);
      if (i < 0) return false;
      m.column.push_back(i);
    }
    return true;
  };
  LabelSetMatch m;
  auto it = store_sets.find(task.label_set);
  if (it != store_sets.end() && try_set(it->first, it->second, m)) return m;
  for (const auto& [k, v] : store_sets)
    if (v.size() == task.classes.size() && try_set(k, v, m)) return m;
  std::string have;
  for (const auto& [k, v] : store_sets) have += (have.empty() ? "" : ", ") + k;
  throw ConfigError(store_dir + ": no label set with the classes of task " + task.name +
                    " (store has: " + (have.empty() ? "none" : have) + ")");
}

}  // namespace cgdmer
